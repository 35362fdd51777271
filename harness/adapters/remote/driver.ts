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
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { ConformanceScenario } from "../../conformance/types.ts";
import type { JsonValue, Limits } from "../../contract/index.ts";
import { jsonCopy } from "../../run/copy.ts";
import type { History, HistoryEntry } from "../../run/history.ts";
import { Recorder } from "../../run/recorder.ts";
import type { Operation, TimedOperation } from "../../run/scenario.ts";
import { isPlainJson } from "../../run/ws-record.ts";
import { type CloseInfo, type ReceivedFrame, SimSocket } from "../../transport/client.ts";
import { serverFrameType } from "../../transport/protocol.ts";
import { mintToken, probeToken } from "../../transport/token.ts";
import type {
  Probe,
  TimedProbe,
  WireLog,
  WireReceived,
  WireScenario,
  WireSent,
  WireSocket,
} from "../../transport/wire-log.ts";
import { canariesFor, plantCanaries } from "../../world/canary.ts";
import { type Awaiting, takeAnswered } from "./answers.ts";
import { namespaceUsers, plantToolCanaries } from "./namespace.ts";
import { probeBytes } from "./probes.ts";

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

export interface StatsObservation {
  user: string;
  socket: string;
  /** History length when the frame was sent: the requests the engine had before it. */
  askedIndex: number;
  /** History length when the answer arrived: what the client had seen by then. */
  index: number;
  stats: JsonValue;
  /** Asked by the harness after the scenario, when every run should be over. */
  final: boolean;
}

export interface RemoteFacts {
  stats: StatsObservation[];
  /** Executes whose socket closed before their result could arrive. */
  lostResults: Set<number>;
  /** Of those, the ones no socket of the user ever saw end: how they ended is unknown. */
  unresolved: Set<number>;
  /** Operations of users with no open socket: no frame could carry them, so they were left out. */
  dropped: string[];
  /** Requests on sockets still open that had no answer when the deadline passed. */
  unanswered: { callId: number; what: string }[];
  /** Sockets of the scenario the engine closed without being asked to. */
  engineCloses: string[];
  /** Real milliseconds from the first operation to the last frame recorded. */
  elapsedMs: number;
}

type Frame = Record<string, unknown>;

interface Deferred {
  op: Operation;
  awaiting: Awaiting;
  sock: Sock;
  /** Whether a frame arriving on `on` (of server frame `type`, or an event) is its effect. */
  isEffect: (on: Sock, event: Frame | undefined, type: string | undefined) => boolean;
}

interface Sock {
  name: string;
  user: string | undefined;
  sim: SimSocket;
  log: WireSocket;
  /** A scenario connection (not a probe socket). */
  scenario: boolean;
  welcomed: boolean;
  /** Closed, or asked to close: no request leaves on it any more. */
  done: boolean;
  closeRequested: boolean;
  attachCall?: number;
  pending: Awaiting[];
  /** The last entry recorded from a frame of this socket, and the last before it was asked to close. */
  lastReceived: number;
  closeAsked: number;
  welcome: Promise<void>;
  onWelcome: () => void;
}

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
  readonly #socks: Sock[] = [];
  readonly #byName = new Map<string, Sock>();
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
  #t0 = 0;
  #lastStamp = 0;
  #welcomedAt = 0;
  /** The scenario time of the operation being issued. */
  #stepAt = 0;
  /** Real milliseconds from an execute to its agent_started, at their slowest (warm-up's first). */
  #slowestStart: number;
  /**
   * The engine's clock (its events' `ts`) minus our arrival times, at its largest: ts - arrival is
   * the clocks' difference minus the frame's latency, so the largest is the least delayed frame's.
   * (The smallest would date every event as late as the slowest frame, after attaches it preceded.)
   */
  #tsOffset: number | undefined;
  /** A request sent whose call is recorded with its first effect (see #deferCall). */
  #deferred: Deferred | undefined;
  #finished = false;

  constructor(item: ConformanceScenario, options: RemoteRunOptions) {
    this.#o = options;
    this.#slowestStart = options.startLatencyMs;
    const named = namespaceUsers(item.scenario as WireScenario, options.userSuffix);
    this.#canaries = canariesFor(options.seed, named.users);
    this.#scenario = plantToolCanaries(plantCanaries(named, this.#canaries) as WireScenario);
    this.#log = { url: options.url, sockets: [], direct: [], lost: [] };
  }

  async run(): Promise<{ history: History; facts: RemoteFacts }> {
    this.#t0 = performance.now();
    this.#recorder.clock = { now: () => this.#stamp() };
    const steps: Step[] = [
      ...this.#scenario.ops.map((op) => ({ at: op.at, op })),
      ...(this.#scenario.probes ?? []).map((probe) => ({ at: probe.at, probe })),
    ];
    steps.sort((a, b) => a.at - b.at);
    const deadline = () => this.#t0 + this.#o.expectedMs + this.#o.graceMs;
    try {
      for (const step of steps) {
        // An operation waits for the one before it (a welcome, a run's start): when those run
        // late, later operations go at once, and the history shows when they really went.
        const wait = this.#t0 + step.at - performance.now();
        if (wait > 0) await sleep(wait);
        this.#stepAt = step.at;
        if (step.op) await this.#issue(step.op);
        else this.#probe(step.probe);
      }
      // Every answer that can still come, and late work the engine must not report.
      await this.#until(() => this.#answered(), deadline());
      const settle = this.#t0 + this.#o.settleMs + 50 - performance.now();
      if (settle > 0) await sleep(Math.min(settle, Math.max(0, deadline() - performance.now())));
      for (const sock of this.#socks) {
        for (const a of sock.pending) {
          if (a.callId !== undefined && !sock.done) {
            this.#facts.unanswered.push({ callId: a.callId, what: `${a.kind} on ${sock.name}` });
          }
        }
      }
      await this.#finalStats();
      const unauthenticated = () => this.#socks.every((s) => s.done || s.welcomed);
      await this.#until(unauthenticated, performance.now() + this.#o.connectTimeoutMs + 1_000);
    } finally {
      this.#finished = true;
      for (const sock of this.#socks) {
        if (!sock.log.close) sock.log.cutAtEnd = true;
      }
      await Promise.all(this.#socks.map((s) => (s.log.close ? undefined : s.sim.terminate())));
    }
    this.#facts.elapsedMs = Math.round(performance.now() - this.#t0);
    for (const callId of this.#lost.values()) this.#facts.unresolved.add(callId);
    this.#placeDetaches();
    return { history: this.#history(), facts: this.#facts };
  }

  /**
   * History time: real milliseconds since the start (for an event, since it was emitted),
   * never going back.
   */
  #stamp(real = performance.now() - this.#t0): number {
    this.#lastStamp = Math.max(this.#lastStamp, Math.round(real));
    return this.#lastStamp;
  }

  /**
   * When a live event was emitted, in our real milliseconds: from the engine's own `ts` (a
   * millisecond clock, whatever its origin), so durations between events are the engine's and
   * not the network's. Within a second before its arrival, or its arrival when `ts` says otherwise.
   */
  #emittedAt(event: unknown, arrived: number): number {
    const e = event as { ts?: unknown; replayed?: unknown } | null;
    if (typeof e?.ts !== "number" || !Number.isFinite(e.ts) || e.replayed === true) return arrived;
    const offset = e.ts - arrived;
    this.#tsOffset = this.#tsOffset === undefined ? offset : Math.max(this.#tsOffset, offset);
    const estimate = e.ts - this.#tsOffset;
    return estimate <= arrived && estimate >= arrived - 1_000 ? estimate : arrived;
  }

  /** The next entry recorded is stamped as of `real` rather than now. */
  #stampNextAt(real: number): void {
    const stamp = this.#stamp(real);
    this.#recorder.clock = {
      now: () => {
        this.#recorder.clock = { now: () => this.#stamp() };
        return stamp;
      },
    };
  }

  #call(op: Operation): number {
    return this.#recorder.call(op);
  }

  /** Detaches to place earlier in the history than they were recorded (see #closed). */
  readonly #moves: { entries: HistoryEntry[]; after: number }[] = [];

  /** Moves each late detach to its place, renumbering entries and what refers to them. */
  #placeDetaches(): void {
    if (this.#moves.length === 0) return;
    const entries = this.#recorder.entries;
    const moving = new Set(this.#moves.flatMap((m) => m.entries));
    const after = new Map<number, HistoryEntry[]>();
    for (const m of this.#moves) after.set(m.after, [...(after.get(m.after) ?? []), ...m.entries]);
    const order: HistoryEntry[] = [...(after.get(-1) ?? [])];
    for (const entry of entries) {
      if (moving.has(entry)) continue;
      order.push(entry);
      for (const late of after.get(entry.index) ?? []) {
        late.at = entry.at;
        order.push(late);
      }
    }
    const newIndex = new Map<number, number>();
    for (const [position, entry] of order.entries()) newIndex.set(entry.index, position);
    const remap = (old: number) => (old < entries.length ? (newIndex.get(old) ?? old) : old);
    entries.length = 0;
    order.forEach((entry, position) => {
      entry.index = position;
      entries.push(entry);
    });
    for (const sock of this.#log.sockets) {
      for (const r of sock.received) if (r.entry !== undefined) r.entry = remap(r.entry);
    }
    for (const d of this.#log.direct) d.entry = remap(d.entry);
    for (const st of this.#facts.stats) {
      st.index = remap(st.index);
      st.askedIndex = remap(st.askedIndex);
    }
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
        const existing = this.#byName.get(op.connectionId);
        if (existing && !existing.done) await this.#detach(existing);
        const sock = this.#open(op.connectionId, op.userId, mintToken(this.#o.secret, op.userId));
        sock.scenario = true;
        await Promise.race([sock.welcome, sleep(this.#o.connectTimeoutMs)]);
        return;
      }
      case "detach": {
        const sock = this.#byName.get(op.connectionId);
        if (sock && !sock.done) await this.#detach(sock);
        return;
      }
      case "execute":
        return await this.#execute(op);
      case "cancel": {
        const sock = this.#carrierFor(op.byUserId, undefined);
        if (!sock) {
          this.#facts.dropped.push(
            `cancel of ${op.runId} by ${op.byUserId}, who had no open socket`,
          );
          return;
        }
        const awaiting = this.#send(sock, { type: "cancel", runId: op.runId }, "cancel", {
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
          const sock = this.#firstOpen(user);
          if (sock) this.#askStats(sock);
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
    const sock = this.#carrierFor(context.userId, context.connectionId);
    if (!sock) {
      this.#facts.dropped.push(
        `execute of run ${String(context.runId)} by user ${String(context.userId)}, who had no open socket`,
      );
      return;
    }
    const frame: Record<string, unknown> = {
      type: "execute",
      requestId: context.requestId,
      threadId: context.threadId,
      runId: context.runId,
      agentName: request.agentName,
      input: request.input,
    };
    // A named connection travels as the engine knows it (its welcome's id); unknown names as they are.
    if (context.connectionId !== undefined && context.connectionId !== sock.name) {
      const target = this.#byName.get(context.connectionId);
      frame.connectionId = target?.log.gatewayId ?? context.connectionId;
    }
    if (Object.keys(context.metadata ?? {}).length > 0) frame.metadata = context.metadata;
    const awaiting = this.#send(sock, frame, "execute", {
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
    this.#deferred = { op, awaiting, sock, isEffect };
    await this.#until(() => this.#deferred === undefined, performance.now() + limitMs);
    this.#flushCall();
  }

  /** Records the held call, stamped as of `real` (now by default). */
  #flushCall(real?: number): void {
    const deferred = this.#deferred;
    if (!deferred) return;
    this.#deferred = undefined;
    if (real !== undefined) this.#stampNextAt(real);
    deferred.awaiting.callId = this.#call(deferred.op);
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
      const sock = this.#open(probe.socket, probe.token?.user, token);
      const auth = sock.log.sent[0];
      if (auth && probe.token) {
        auth.kind = "probe";
        auth.probe = "bad-token";
        auth.text = `<auth with a token ${probe.token.forge}>`;
      }
      return;
    }
    const sock = this.#byName.get(probe.socket);
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

  // --- sockets --------------------------------------------------------------------------------

  #open(name: string, user: string | undefined, token: string | undefined): Sock {
    const log: WireSocket = { name, authenticated: false, sent: [], received: [] };
    if (user !== undefined) log.user = user;
    this.#log.sockets.push(log);
    let onWelcome = () => {};
    const welcome = new Promise<void>((resolve) => {
      onWelcome = resolve;
    });
    const sock: Sock = {
      name,
      user,
      log,
      scenario: false,
      welcomed: false,
      done: false,
      closeRequested: false,
      pending: [],
      lastReceived: -1,
      closeAsked: -1,
      welcome,
      onWelcome,
      sim: new SimSocket(this.#o.url, {
        name,
        ...(token !== undefined ? { token } : {}),
        record: false,
        onFrame: (frame) => this.#arrived(sock, frame),
        onClose: (info) => this.#closed(sock, info),
      }),
    };
    if (token !== undefined) {
      log.sent.push({ no: 0, at: this.#recorder.clock.now(), kind: "auth" });
    }
    this.#socks.push(sock);
    this.#byName.set(name, sock);
    return sock;
  }

  #send(
    sock: Sock,
    frame: object,
    kind: WireSent["kind"],
    awaiting: Omit<Awaiting, "no">,
  ): Awaiting {
    const no = sock.sim.sentFrames;
    sock.log.sent.push({
      no,
      at: Math.max(this.#lastStamp, Math.round(performance.now() - this.#t0)),
      kind,
    });
    const pending = { ...awaiting, no };
    sock.pending.push(pending);
    sock.sim.send(frame);
    return pending;
  }

  #askStats(sock: Sock): void {
    const askedIndex = this.#recorder.entries.length;
    this.#send(sock, { type: "stats" }, "stats", { kind: "stats", askedIndex });
  }

  /**
   * The socket a user's request leaves on: of their open sockets, the one the scenario keeps
   * open longest, since an answer goes only to the socket that asked. A request that names one
   * of the user's sockets still names it (the frame's connectionId), whichever carries it.
   */
  #carrierFor(user: unknown, named: string | undefined): Sock | undefined {
    const open = this.#socks.filter((s) => s.scenario && s.welcomed && !s.done && s.user === user);
    let best = open.find((s) => s.name === named) ?? open[0];
    for (const sock of open) {
      if (best && this.#closesAt(sock.name) > this.#closesAt(best.name)) best = sock;
    }
    return best;
  }

  /** The scenario time at which the socket named `name` is next detached or replaced. */
  #closesAt(name: string): number {
    const now = this.#stepAt;
    const next = this.#scenario.ops.find(
      (op) =>
        (op.op === "detach" || op.op === "attach") &&
        op.connectionId === name &&
        (op.at > now || (op.at === now && op.op === "detach")),
    );
    return next ? next.at : Number.POSITIVE_INFINITY;
  }

  #firstOpen(user: unknown): Sock | undefined {
    return this.#socks.find((s) => s.scenario && s.welcomed && !s.done && s.user === user);
  }

  #arrived(sock: Sock, frame: ReceivedFrame): void {
    if (this.#finished) return;
    const before = this.#recorder.entries.length;
    this.#receive(sock, frame);
    if (this.#recorder.entries.length > before)
      sock.lastReceived = this.#recorder.entries.length - 1;
  }

  #receive(sock: Sock, frame: ReceivedFrame): void {
    const received: WireReceived = {
      no: frame.no,
      type: frame.binary ? "binary" : "event",
      afterSent: sock.sim.sentFrames,
      realMs: frame.at - this.#t0,
    };
    sock.log.received.push(received);
    let parsed: unknown = frame.text;
    try {
      parsed = JSON.parse(frame.text);
    } catch {
      // Kept as text: something that is not JSON arrived.
    }
    const type = frame.binary ? undefined : serverFrameType(parsed);
    const arrived = frame.at - this.#t0;
    const emitted = type ? arrived : this.#emittedAt(parsed, arrived);
    const event = typeof parsed === "object" && parsed !== null ? (parsed as Frame) : undefined;
    if (this.#deferred?.isEffect(sock, event, type)) this.#flushCall(emitted);
    if (!type) {
      if (sock.welcomed && sock.user !== undefined) {
        this.#stampNextAt(emitted);
        this.#recorder.deliver(sock.name, sock.user, parsed);
        received.entry = this.#recorder.entries.length - 1;
        this.#stampNextAt(emitted);
        this.#agentStarted(parsed);
        this.#terminalSeen(sock.user, parsed);
      }
      return;
    }
    received.type = type;
    const body = parsed as Record<string, unknown>;
    if (type !== "result") {
      const copy = jsonCopy(parsed);
      received.frame = "value" in copy ? copy.value : null;
    }
    if (type === "welcome") {
      this.#welcomedAt = arrived;
      this.#welcomed(sock, body);
      return;
    }
    const answered = takeAnswered(sock.pending, type, body);
    if (!answered) return;
    this.#stampNextAt(arrived);
    received.answers = answered.no;
    if (type === "stats" && sock.user !== undefined) {
      const copy = jsonCopy(body.stats);
      this.#facts.stats.push({
        user: sock.user,
        socket: sock.name,
        askedIndex: answered.askedIndex ?? 0,
        index: this.#recorder.entries.length,
        stats: "value" in copy ? copy.value : null,
        final: this.#finalAsked,
      });
      return;
    }
    if (answered.callId === undefined) return;
    if (type === "result") this.#recorder.returned(answered.callId, body.result);
    else if (type === "cancel") this.#recorder.returned(answered.callId, body.cancelled);
    else if (answered.kind === "execute") {
      // Refused before the engine ran it: what execute resolves to when refused.
      this.#recorder.returned(answered.callId, {
        runId: answered.runId as JsonValue,
        status: "rejected",
        error: { code: String(body.code), message: String(body.message) },
      });
    } else {
      this.#recorder.threw(answered.callId, {
        name: "ErrorFrame",
        message: `${String(body.code)}: ${String(body.message)}`,
      });
    }
    if (answered.callId !== undefined) received.entry = this.#recorder.entries.length - 1;
  }

  #welcomed(sock: Sock, frame: Record<string, unknown>): void {
    if (sock.welcomed) return;
    sock.welcomed = true;
    sock.log.authenticated = true;
    if (typeof frame.connectionId === "string") sock.log.gatewayId = frame.connectionId;
    if (sock.scenario && sock.user !== undefined) {
      this.#stampNextAt(this.#welcomedAt);
      const callId = this.#call({ op: "attach", connectionId: sock.name, userId: sock.user });
      this.#stampNextAt(this.#welcomedAt);
      this.#recorder.returned(callId, undefined);
      sock.attachCall = callId;
    }
    sock.onWelcome();
  }

  /** The first live agent_started of a run: the engine says its agent started. */
  readonly #started = new Set<string>();
  /** Live agent_started frames seen per user and run, on all sockets. */
  readonly #startCounts = new Map<string, number>();
  #agentStarted(event: unknown): void {
    const e = event as Record<string, unknown> | null;
    if (e?.type !== "agent_started" || e.replayed === true || typeof e.runId !== "string") return;
    const key = runKey(String(e.userId), e.runId);
    this.#startCounts.set(key, (this.#startCounts.get(key) ?? 0) + 1);
    if (this.#started.has(key)) return;
    this.#started.add(key);
    const input = (e.payload as { input?: { canary?: unknown } } | undefined)?.input;
    this.#recorder.append({
      kind: "runtime",
      invocation: this.#started.size,
      call: "start",
      context: { userId: e.userId, threadId: e.threadId, runId: e.runId, requestId: undefined },
      inputCanary: typeof input?.canary === "string" ? input.canary : null,
    });
  }

  #closed(sock: Sock, info: CloseInfo): void {
    const wasDone = sock.done;
    sock.done = true;
    if (this.#deferred?.sock === sock) this.#flushCall();
    sock.onWelcome();
    if (this.#finished) return;
    sock.log.close = {
      code: info.code,
      reason: info.reason,
      by: info.byClient ? "client" : "gateway",
      at: this.#recorder.clock.now(),
      realMs: info.at - this.#t0,
    };
    for (const a of sock.pending) {
      if (a.kind !== "execute" || a.callId === undefined || sock.user === undefined) continue;
      this.#facts.lostResults.add(a.callId);
      const key = runKey(sock.user, a.runId);
      const terminal = this.#terminals.get(key);
      if (terminal) this.#resolve(a.callId, terminal);
      else this.#lost.set(key, a.callId);
    }
    if (!sock.scenario || sock.user === undefined) return;
    if (!sock.welcomed) {
      const callId = this.#call({
        op: "attach",
        connectionId: sock.name,
        userId: sock.user,
      });
      this.#recorder.threw(
        callId,
        new Error(`the engine closed the socket (${info.code}) before welcome`),
      );
      this.#facts.engineCloses.push(
        `${sock.name} of user ${sock.user} was closed with ${info.code} "${info.reason}" before its welcome`,
      );
      return;
    }
    const callId = this.#call({ op: "detach", connectionId: sock.name });
    this.#recorder.returned(callId, undefined);
    // The engine let go of the socket right after the last frame it sent on it (or once asked
    // to close); what other sockets received after that was not the closing socket's to get.
    const after = Math.max(sock.lastReceived, sock.closeAsked);
    const moved = this.#recorder.entries.slice(-2);
    if (after < this.#recorder.entries.length - 3) this.#moves.push({ entries: moved, after });
    // A close after a malformed frame the socket sent on purpose is the engine's answer to it.
    const probed = sock.log.sent.some((s) => s.kind === "probe");
    if (!sock.closeRequested && !wasDone && !probed && !info.byClient) {
      const why = `the engine closed it with ${info.code}${info.reason ? ` "${info.reason}"` : ""}`;
      this.#log.direct.push({ entry: this.#recorder.entries.length - 2, why });
      this.#facts.engineCloses.push(`socket ${sock.name} of user ${sock.user}: ${why}`);
    }
  }

  // --- results that could not arrive --------------------------------------------------------

  /** Terminal events seen, by user and run; executes whose result was lost, likewise. */
  readonly #terminals = new Map<string, Record<string, unknown>>();
  readonly #lost = new Map<string, number>();

  #terminalSeen(user: string, event: unknown): void {
    const e = event as Record<string, unknown> | null;
    if (e?.type !== "agent_completed" && e?.type !== "agent_error") return;
    const key = runKey(user, e.runId);
    if (!this.#terminals.has(key)) this.#terminals.set(key, e);
    const callId = this.#lost.get(key);
    if (callId === undefined) return;
    this.#lost.delete(key);
    this.#resolve(callId, e);
  }

  /**
   * An execute whose socket closed before its result: a client learns how its run ended from
   * the terminal event (live on another tab, or replayed), and so does the history.
   */
  #resolve(callId: number, terminal: Record<string, unknown>): void {
    const payload = (terminal.payload ?? {}) as Record<string, unknown>;
    const runId = terminal.runId as JsonValue;
    const value =
      terminal.type === "agent_completed"
        ? { runId, status: "completed", output: (payload.result ?? null) as JsonValue }
        : {
            runId,
            status: String(payload.reason),
            error: { code: String(payload.reason), message: String(payload.message) },
          };
    this.#recorder.returned(callId, value);
    this.#log.direct.push({
      entry: this.#recorder.entries.length - 1,
      why: "its socket closed before the result frame: resolved as its terminal event says",
    });
  }

  // --- waiting --------------------------------------------------------------------------------

  /** Every request on a socket still open has its answer. */
  #answered(): boolean {
    return this.#socks.every((s) => s.done || s.pending.every((a) => a.kind === "probe"));
  }

  #finalAsked = false;

  /**
   * After the scenario, each user's numbers once more, when nothing should be running. Asked on
   * every open socket, not only the first: an engine answers a socket's frames in order, so each
   * answer also flushes what was sent before it on that socket, and no event still in flight on a
   * slower socket is cut off and taken for one never sent. (cleanup.stats judges only users with
   * one socket, so the extra answers are not compared with anything.)
   */
  async #finalStats(): Promise<void> {
    this.#finalAsked = true;
    const asked = this.#socks.filter(
      (s) => s.scenario && s.welcomed && !s.done && s.user !== undefined,
    );
    for (const sock of asked) this.#askStats(sock);
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

function runKey(user: string, runId: unknown): string {
  return `${user}\u0000${String(runId)}`;
}

function isTerminal(event: Frame | undefined): event is Frame {
  return event?.type === "agent_completed" || event?.type === "agent_error";
}

/** How far a measured duration may fall short of runTimeoutMs over the wire. */
export function timingLeeway(runTimeoutMs: number): number {
  return Math.max(25, Math.round(runTimeoutMs * 0.02));
}
