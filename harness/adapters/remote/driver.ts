/**
 * Runs one contract scenario against a remote engine, in real time, and records a History from
 * the frames alone. Nothing of the engine is visible but its sockets, so:
 * - an attach is recorded when `welcome` arrives (the engine has the connection then), a detach
 *   when the socket has closed (so what arrived on it before came first);
 * - an execute or cancel is recorded when its frame is sent, and returns when its answer
 *   arrives (answers.ts says which frame a server frame answers);
 * - an event is a delivery when it arrives, on the socket it arrived on;
 * - a run's agent counts as started when its `agent_started` arrives (the runtime entry the
 *   in-process world would have recorded; nothing finer can be seen);
 * - a scenario's `stats` is a `stats` frame on each user's first open socket; the answers are
 *   kept apart (RemoteFacts.stats), as they are one user's numbers, not the engine's stats().
 * Operations are issued at their scenario time in real milliseconds; before the next one, an
 * attach waits for its welcome, so a request never leaves before its socket is authenticated.
 * This file issues the operations and waits for them; sockets.ts records what arrives, and
 * stamps.ts dates it.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { ConformanceScenario } from "../../conformance/types.ts";
import type { Limits } from "../../contract/index.ts";
import type { History } from "../../run/history.ts";
import { Recorder } from "../../run/recorder.ts";
import type { Operation, TimedOperation } from "../../run/scenario.ts";
import { isPlainJson } from "../../run/ws-record.ts";
import { executeFrame } from "../../transport/execute-frame.ts";
import { mintToken, probeToken } from "../../transport/token.ts";
import type {
  Probe,
  TimedProbe,
  WireLog,
  WireScenario,
  WireSent,
} from "../../transport/wire-log.ts";
import { canariesFor, plantCanaries } from "../../world/canary.ts";
import type { Awaiting } from "./answers.ts";
import type { RemoteFacts } from "./facts.ts";
import { namespaceUsers, plantToolCanaries } from "./namespace.ts";
import { probeBytes } from "./probes.ts";
import { type Deferred, type Frame, type Sock, Sockets } from "./sockets.ts";
import { placeDetaches, Stamps, timingLeeway } from "./stamps.ts";

export type { RemoteFacts, StatsObservation } from "./facts.ts";
export { timingLeeway } from "./stamps.ts";

export interface RemoteRunOptions {
  url: string;
  secret: string;
  /** The engine's limits, from `welcome`. */
  limits: Limits;
  seed: string | number;
  /** Real milliseconds the scenario should take, and until when late work may still show. */
  expectedMs: number;
  settleMs: number;
  /** Real milliseconds past `expectedMs` before unanswered requests count as never answered. */
  graceMs: number;
  /** Real milliseconds a socket may take to receive `welcome`, or an unauthenticated one its close. */
  connectTimeoutMs: number;
  engineName: string;
  /** Real milliseconds the warm-up run took to start: how long "at once" takes over this wire. */
  startLatencyMs: number;
  /** Makes this scenario's user names its own on a shared engine (namespace.ts). */
  userSuffix: string;
}

/** Shortest and longest wait for a run to start before it counts as queued. */
const MIN_START_WAIT_MS = 60;
const MAX_START_WAIT_MS = 600;
/** Longest wait for a cancel's effect before the next operation goes. */
const CANCEL_WAIT_MS = 1_000;

type Step =
  | { at: number; op: TimedOperation; probe?: undefined }
  | { at: number; probe: TimedProbe; op?: undefined };

export async function runRemoteScenario(
  item: ConformanceScenario,
  options: RemoteRunOptions,
): Promise<{ history: History; facts: RemoteFacts }> {
  return new RemoteRun(item, options).run();
}

class RemoteRun {
  readonly #o: RemoteRunOptions;
  readonly #scenario: WireScenario;
  readonly #canaries: Map<string, string>;
  readonly #recorder = new Recorder(200_000);
  readonly #stamps = new Stamps(this.#recorder);
  readonly #sockets: Sockets;
  readonly #log: WireLog;
  readonly #facts: RemoteFacts = {
    stats: [],
    lostResults: new Set(),
    unresolved: new Set(),
    dropped: [],
    unanswered: [],
    engineCloses: [],
    elapsedMs: 0,
  };
  /** Real milliseconds from an execute to its agent_started, at their slowest (warm-up's first). */
  #slowestStart: number;

  constructor(item: ConformanceScenario, options: RemoteRunOptions) {
    this.#o = options;
    this.#slowestStart = options.startLatencyMs;
    const named = namespaceUsers(item.scenario as WireScenario, options.userSuffix);
    this.#canaries = canariesFor(options.seed, named.users);
    this.#scenario = plantToolCanaries(plantCanaries(named, this.#canaries) as WireScenario);
    this.#log = { url: options.url, sockets: [], direct: [], lost: [] };
    this.#sockets = new Sockets(
      options.url,
      this.#scenario,
      this.#recorder,
      this.#stamps,
      this.#log,
      this.#facts,
    );
  }

  async run(): Promise<{ history: History; facts: RemoteFacts }> {
    this.#stamps.t0 = performance.now();
    this.#recorder.clock = { now: () => this.#stamps.stamp() };
    const steps: Step[] = [
      ...this.#scenario.ops.map((op) => ({ at: op.at, op })),
      ...(this.#scenario.probes ?? []).map((probe) => ({ at: probe.at, probe })),
    ];
    steps.sort((a, b) => a.at - b.at);
    const deadline = () => this.#stamps.t0 + this.#o.expectedMs + this.#o.graceMs;
    try {
      for (const step of steps) {
        // An operation waits for the one before it (a welcome, a run's start): when those run
        // late, later operations go at once, and the history shows when they really went.
        const wait = this.#stamps.t0 + step.at - performance.now();
        if (wait > 0) await sleep(wait);
        this.#sockets.stepAt = step.at;
        if (step.op) await this.#issue(step.op);
        else this.#probe(step.probe);
      }
      // Every answer that can still come, and late work the engine must not report.
      await this.#until(() => this.#answered(), deadline());
      const settle = this.#stamps.t0 + this.#o.settleMs + 50 - performance.now();
      if (settle > 0) await sleep(Math.min(settle, Math.max(0, deadline() - performance.now())));
      for (const sock of this.#sockets.socks) {
        for (const a of sock.pending) {
          if (a.callId !== undefined && !sock.done) {
            this.#facts.unanswered.push({ callId: a.callId, what: `${a.kind} on ${sock.name}` });
          }
        }
      }
      await this.#finalStats();
      const unauthenticated = () => this.#sockets.socks.every((s) => s.done || s.welcomed);
      await this.#until(unauthenticated, performance.now() + this.#o.connectTimeoutMs + 1_000);
    } finally {
      this.#sockets.finished = true;
      for (const sock of this.#sockets.socks) {
        if (!sock.log.close) sock.log.cutAtEnd = true;
      }
      await Promise.all(
        this.#sockets.socks.map((s) => (s.log.close ? undefined : s.sim.terminate())),
      );
    }
    this.#facts.elapsedMs = Math.round(performance.now() - this.#stamps.t0);
    for (const callId of this.#sockets.lost.values()) this.#facts.unresolved.add(callId);
    placeDetaches(this.#sockets.moves, this.#recorder.entries, this.#log, this.#facts.stats);
    return { history: this.#history(), facts: this.#facts };
  }

  #history(): History {
    return {
      engine: this.#o.engineName,
      // The operations as carried, in the order recorded: checkers pair the n-th call with the
      // n-th operation (dropped ones are not there; a close by the engine is a detach).
      scenario: {
        ...this.#scenario,
        ops: this.#recorder.entries.flatMap((e) =>
          e.kind === "call" ? [{ ...e.operation, at: e.at } as TimedOperation] : [],
        ),
      },
      // Checkers demand a timeout no earlier than runTimeoutMs; over a network durations are
      // known to within the jitter of clocks and timers, so they get that much leeway.
      limits: {
        ...this.#o.limits,
        runTimeoutMs: this.#o.limits.runTimeoutMs - timingLeeway(this.#o.limits.runTimeoutMs),
      },
      canaries: Object.fromEntries(this.#canaries),
      entries: this.#recorder.entries,
      retention: {
        checked: false,
        reason: "what an engine keeps alive is not visible from outside its process",
        retained: [],
      },
      leftovers: { virtualTimers: 0, resources: [] },
      wire: this.#log,
      ...(this.#recorder.truncated ? { truncated: this.#recorder.truncated } : {}),
    };
  }

  // --- operations ---------------------------------------------------------------------------

  async #issue(op: Operation): Promise<void> {
    switch (op.op) {
      case "attach": {
        const existing = this.#sockets.byName.get(op.connectionId);
        if (existing && !existing.done) await this.#detach(existing);
        const sock = this.#sockets.open(
          op.connectionId,
          op.userId,
          mintToken(this.#o.secret, op.userId),
        );
        sock.scenario = true;
        await Promise.race([sock.welcome, sleep(this.#o.connectTimeoutMs)]);
        return;
      }
      case "detach": {
        const sock = this.#sockets.byName.get(op.connectionId);
        if (sock && !sock.done) await this.#detach(sock);
        return;
      }
      case "execute":
        return await this.#execute(op);
      case "cancel": {
        const sock = this.#sockets.carrierFor(op.byUserId, undefined);
        if (!sock) {
          this.#facts.dropped.push(
            `cancel of ${op.runId} by ${op.byUserId}, who had no open socket`,
          );
          return;
        }
        const awaiting = this.#sockets.send(sock, { type: "cancel", runId: op.runId }, "cancel", {
          kind: "cancel",
          runId: op.runId,
        });
        // Its effect: the run's terminal or result on a socket of the canceller, or the answer.
        const effect: Deferred["isEffect"] = (on, frame, type) => {
          if (type === undefined) {
            return on.user === op.byUserId && isTerminal(frame) && frame.runId === op.runId;
          }
          const result = (frame?.result ?? undefined) as Frame | undefined;
          if (type === "result") return on.user === op.byUserId && result?.runId === op.runId;
          return (
            on === sock &&
            ((type === "cancel" && frame?.runId === op.runId) ||
              (type === "error" && typeof frame?.requestId !== "string"))
          );
        };
        await this.#deferCall(op, awaiting, sock, effect, CANCEL_WAIT_MS);
        return;
      }
      case "stats":
        for (const user of this.#scenario.users) {
          const sock = this.#sockets.firstOpen(user);
          if (sock) this.#sockets.askStats(sock);
        }
        return;
      default:
        // closeUser and shutdown: plan.ts keeps such scenarios from running.
        throw new Error(`no frame carries ${op.op}`);
    }
  }

  async #execute(op: Extract<Operation, { op: "execute" }>): Promise<void> {
    const { context, request } = op;
    if (!isPlainJson(context) || !isPlainJson(request)) {
      this.#facts.dropped.push(
        `execute of run ${String(context.runId)}: JSON cannot carry its request`,
      );
      return;
    }
    const sock = this.#sockets.carrierFor(context.userId, context.connectionId);
    if (!sock) {
      this.#facts.dropped.push(
        `execute of run ${String(context.runId)} by user ${String(context.userId)}, who had no open socket`,
      );
      return;
    }
    // A named connection travels as the engine knows it (its welcome's id); unknown names as they are.
    const frame = executeFrame(
      op,
      sock.name,
      (named) => this.#sockets.byName.get(named)?.log.gatewayId ?? named,
    );
    const awaiting = this.#sockets.send(sock, frame, "execute", {
      kind: "execute",
      requestId: context.requestId,
      runId: context.runId,
    });
    // What the engine does at once (start the run, or refuse it) is seen before the next
    // operation, as in process. A run that stays queued shows nothing: the wait ends after a
    // few times the slowest start seen so far.
    const sent = performance.now();
    let started = false;
    const effect: Deferred["isEffect"] = (on, event, type) => {
      if (type !== undefined) {
        const answers =
          (type === "result" || type === "error") && event?.requestId === context.requestId;
        return on === sock && answers;
      }
      // Its first event (agent_started, or whatever an engine that skips it sends first).
      started =
        on.user === context.userId && event?.replayed !== true && event?.runId === context.runId;
      return started;
    };
    const limit = Math.min(MAX_START_WAIT_MS, Math.max(MIN_START_WAIT_MS, 3 * this.#slowestStart));
    await this.#deferCall(op, awaiting, sock, effect, limit);
    if (started) this.#slowestStart = Math.max(this.#slowestStart, performance.now() - sent);
  }

  /**
   * Holds the call of a request just sent until its first effect arrives (or `limitMs` pass):
   * the call is then recorded at the instant of that effect, right before it, as in process,
   * where a run that starts at once starts within its execute call. Over a network the effect
   * comes later, and a call stamped at sending would make every run look slow to start and
   * every cancel slow to end its run.
   */
  async #deferCall(
    op: Operation,
    awaiting: Awaiting,
    sock: Sock,
    isEffect: Deferred["isEffect"],
    limitMs: number,
  ): Promise<void> {
    this.#sockets.deferred = { op, awaiting, sock, isEffect };
    await this.#until(() => this.#sockets.deferred === undefined, performance.now() + limitMs);
    this.#sockets.flushCall();
  }

  async #detach(sock: Sock): Promise<void> {
    sock.closeAsked = this.#recorder.entries.length - 1;
    sock.closeRequested = true;
    sock.done = true;
    await sock.sim.close();
  }

  #probe(probe: Probe): void {
    if (probe.probe === "connect") {
      const token = probe.token ? probeToken(this.#o.secret, probe.token) : undefined;
      const sock = this.#sockets.open(probe.socket, probe.token?.user, token);
      const auth = sock.log.sent[0];
      if (auth && probe.token) {
        auth.kind = "probe";
        auth.probe = "bad-token";
        auth.text = `<auth with a token ${probe.token.forge}>`;
      }
      return;
    }
    const sock = this.#sockets.byName.get(probe.socket);
    if (!sock) throw new Error(`probe on unknown socket ${probe.socket}`);
    if (probe.probe === "drop") {
      sock.sim.dropMidFrame();
      return;
    }
    const sent: WireSent = {
      no: sock.sim.sentFrames,
      at: this.#recorder.clock.now(),
      kind: "probe",
      probe: sock.welcomed ? probe.kind : "before-auth",
    };
    const named = "json" in probe.frame ? probe.frame.json : undefined;
    const awaiting: Awaiting = { no: sent.no, kind: "probe" };
    if (named && typeof named === "object" && !Array.isArray(named)) {
      if (typeof named.type === "string") sent.type = awaiting.type = named.type;
      if (typeof named.runId === "string") sent.runId = awaiting.runId = named.runId;
      if (typeof named.userId === "string") sent.claims = named.userId;
      if (named.requestId !== undefined) awaiting.requestId = named.requestId;
    }
    const bytes = probeBytes(probe.frame);
    sent.text = bytes.text;
    sock.log.sent.push(sent);
    if (sock.welcomed) sock.pending.push(awaiting);
    bytes.send(sock.sim);
  }

  // --- waiting --------------------------------------------------------------------------------

  /** Every request on a socket still open has its answer. */
  #answered(): boolean {
    return this.#sockets.socks.every((s) => s.done || s.pending.every((a) => a.kind === "probe"));
  }

  /**
   * After the scenario, each user's numbers once more, when nothing should be running. Asked on
   * every open socket, not only the first: an engine answers a socket's frames in order, so each
   * answer also flushes what was sent before it on that socket, and no event still in flight on a
   * slower socket is cut off and taken for one never sent. (cleanup.stats judges only users with
   * one socket, so the extra answers are not compared with anything.)
   */
  async #finalStats(): Promise<void> {
    this.#sockets.finalAsked = true;
    const asked = this.#sockets.socks.filter(
      (s) => s.scenario && s.welcomed && !s.done && s.user !== undefined,
    );
    for (const sock of asked) this.#sockets.askStats(sock);
    const done = () => asked.every((s) => s.done || !s.pending.some((a) => a.kind === "stats"));
    await this.#until(done, performance.now() + Math.min(this.#o.graceMs, 2_000));
  }

  async #until(done: () => boolean, deadline: number): Promise<boolean> {
    while (!done()) {
      const left = deadline - performance.now();
      if (left <= 0) return false;
      await sleep(Math.min(left, 5));
    }
    return true;
  }
}

function isTerminal(event: Frame | undefined): event is Frame {
  return event?.type === "agent_completed" || event?.type === "agent_error";
}
