/**
 * The sockets of a remote run: opening them, sending on them, choosing which carries a request,
 * and what arrives on them (answers, events, welcomes, closes) recorded as history entries. A
 * request's call may be held until its first effect arrives (Deferred); a close decides what
 * became of the results it cut off.
 */
import type { JsonValue } from "../../contract/index.ts";
import { jsonCopy } from "../../run/copy.ts";
import type { Recorder } from "../../run/recorder.ts";
import type { Operation } from "../../run/scenario.ts";
import { type CloseInfo, type ReceivedFrame, SimSocket } from "../../transport/client.ts";
import { serverFrameType } from "../../transport/protocol.ts";
import type {
  WireLog,
  WireReceived,
  WireScenario,
  WireSent,
  WireSocket,
} from "../../transport/wire-log.ts";
import { type Awaiting, takeAnswered } from "./answers.ts";
import type { RemoteFacts } from "./facts.ts";
import type { Move, Stamps } from "./stamps.ts";

export type Frame = Record<string, unknown>;

export interface Deferred {
  op: Operation;
  awaiting: Awaiting;
  sock: Sock;
  /** Whether a frame arriving on `on` (of server frame `type`, or an event) is its effect. */
  isEffect: (on: Sock, event: Frame | undefined, type: string | undefined) => boolean;
}

export interface Sock {
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

export class Sockets {
  readonly socks: Sock[] = [];
  readonly byName = new Map<string, Sock>();
  /** A request sent whose call is recorded with its first effect (see RemoteRun#deferCall). */
  deferred: Deferred | undefined;
  /** The run is over: what still arrives or closes is not recorded. */
  finished = false;
  /** Stats asked now are the final ones (RemoteRun#finalStats). */
  finalAsked = false;
  /** Detaches to place earlier in the history than they were recorded (see #closed). */
  readonly moves: Move[] = [];
  /** The scenario time of the operation being issued. */
  stepAt = 0;
  readonly #url: string;
  readonly #scenario: WireScenario;
  readonly #recorder: Recorder;
  readonly #stamps: Stamps;
  readonly #log: WireLog;
  readonly #facts: RemoteFacts;
  #welcomedAt = 0;

  constructor(
    url: string,
    scenario: WireScenario,
    recorder: Recorder,
    stamps: Stamps,
    log: WireLog,
    facts: RemoteFacts,
  ) {
    this.#url = url;
    this.#scenario = scenario;
    this.#recorder = recorder;
    this.#stamps = stamps;
    this.#log = log;
    this.#facts = facts;
  }

  #call(op: Operation): number {
    return this.#recorder.call(op);
  }

  /** Records the held call, stamped as of `real` (now by default). */
  flushCall(real?: number): void {
    const deferred = this.deferred;
    if (!deferred) return;
    this.deferred = undefined;
    if (real !== undefined) this.#stamps.stampNextAt(real);
    deferred.awaiting.callId = this.#call(deferred.op);
  }

  // --- sockets --------------------------------------------------------------------------------

  open(name: string, user: string | undefined, token: string | undefined): Sock {
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
      sim: new SimSocket(this.#url, {
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
    this.socks.push(sock);
    this.byName.set(name, sock);
    return sock;
  }

  send(
    sock: Sock,
    frame: object,
    kind: WireSent["kind"],
    awaiting: Omit<Awaiting, "no">,
  ): Awaiting {
    const no = sock.sim.sentFrames;
    sock.log.sent.push({
      no,
      at: Math.max(this.#stamps.last, Math.round(performance.now() - this.#stamps.t0)),
      kind,
    });
    const pending = { ...awaiting, no };
    sock.pending.push(pending);
    sock.sim.send(frame);
    return pending;
  }

  askStats(sock: Sock): void {
    const askedIndex = this.#recorder.entries.length;
    this.send(sock, { type: "stats" }, "stats", { kind: "stats", askedIndex });
  }

  /**
   * The socket a user's request leaves on: of their open sockets, the one the scenario keeps
   * open longest, since an answer goes only to the socket that asked. A request that names one
   * of the user's sockets still names it (the frame's connectionId), whichever carries it.
   */
  carrierFor(user: unknown, named: string | undefined): Sock | undefined {
    const open = this.socks.filter((s) => s.scenario && s.welcomed && !s.done && s.user === user);
    let best = open.find((s) => s.name === named) ?? open[0];
    for (const sock of open) {
      if (best && this.#closesAt(sock.name) > this.#closesAt(best.name)) best = sock;
    }
    return best;
  }

  /** The scenario time at which the socket named `name` is next detached or replaced. */
  #closesAt(name: string): number {
    const now = this.stepAt;
    const next = this.#scenario.ops.find(
      (op) =>
        (op.op === "detach" || op.op === "attach") &&
        op.connectionId === name &&
        (op.at > now || (op.at === now && op.op === "detach")),
    );
    return next ? next.at : Number.POSITIVE_INFINITY;
  }

  firstOpen(user: unknown): Sock | undefined {
    return this.socks.find((s) => s.scenario && s.welcomed && !s.done && s.user === user);
  }

  #arrived(sock: Sock, frame: ReceivedFrame): void {
    if (this.finished) return;
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
      realMs: frame.at - this.#stamps.t0,
    };
    sock.log.received.push(received);
    let parsed: unknown = frame.text;
    try {
      parsed = JSON.parse(frame.text);
    } catch {
      // Kept as text: something that is not JSON arrived.
    }
    const type = frame.binary ? undefined : serverFrameType(parsed);
    const arrived = frame.at - this.#stamps.t0;
    const emitted = type ? arrived : this.#stamps.emittedAt(parsed, arrived);
    const event = typeof parsed === "object" && parsed !== null ? (parsed as Frame) : undefined;
    if (this.deferred?.isEffect(sock, event, type)) this.flushCall(emitted);
    if (!type) {
      if (sock.welcomed && sock.user !== undefined) {
        this.#stamps.stampNextAt(emitted);
        this.#recorder.deliver(sock.name, sock.user, parsed);
        received.entry = this.#recorder.entries.length - 1;
        this.#stamps.stampNextAt(emitted);
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
    this.#stamps.stampNextAt(arrived);
    received.answers = answered.no;
    if (type === "stats" && sock.user !== undefined) {
      const copy = jsonCopy(body.stats);
      this.#facts.stats.push({
        user: sock.user,
        socket: sock.name,
        askedIndex: answered.askedIndex ?? 0,
        index: this.#recorder.entries.length,
        stats: "value" in copy ? copy.value : null,
        final: this.finalAsked,
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
      this.#stamps.stampNextAt(this.#welcomedAt);
      const callId = this.#call({ op: "attach", connectionId: sock.name, userId: sock.user });
      this.#stamps.stampNextAt(this.#welcomedAt);
      this.#recorder.returned(callId, undefined);
      sock.attachCall = callId;
    }
    sock.onWelcome();
  }

  /** The first live agent_started of a run: the engine says its agent started. */
  readonly #started = new Set<string>();
  #agentStarted(event: unknown): void {
    const e = event as Record<string, unknown> | null;
    if (e?.type !== "agent_started" || e.replayed === true || typeof e.runId !== "string") return;
    const key = runKey(String(e.userId), e.runId);
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
    if (this.deferred?.sock === sock) this.flushCall();
    sock.onWelcome();
    if (this.finished) return;
    sock.log.close = {
      code: info.code,
      reason: info.reason,
      by: info.byClient ? "client" : "gateway",
      at: this.#recorder.clock.now(),
      realMs: info.at - this.#stamps.t0,
    };
    for (const a of sock.pending) {
      if (a.kind !== "execute" || a.callId === undefined || sock.user === undefined) continue;
      this.#facts.lostResults.add(a.callId);
      const key = runKey(sock.user, a.runId);
      const terminal = this.#terminals.get(key);
      if (terminal) this.#resolve(a.callId, terminal);
      else this.lost.set(key, a.callId);
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
    if (after < this.#recorder.entries.length - 3) this.moves.push({ entries: moved, after });
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
  readonly lost = new Map<string, number>();

  #terminalSeen(user: string, event: unknown): void {
    const e = event as Record<string, unknown> | null;
    if (e?.type !== "agent_completed" && e?.type !== "agent_error") return;
    const key = runKey(user, e.runId);
    if (!this.#terminals.has(key)) this.#terminals.set(key, e);
    const callId = this.lost.get(key);
    if (callId === undefined) return;
    this.lost.delete(key);
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
}

function runKey(user: string, runId: unknown): string {
  return `${user}\u0000${String(runId)}`;
}
