/**
 * The wire side of the ws runner: it issues a scenario's operations through real sockets to a
 * gateway serving the engine, and records, from the gateway's tap and the clients' frames, the
 * same history the in-process runner records.
 *
 * How the history stays what it would be in process, and stable from run to run:
 * - A call is recorded when the engine is called (the gateway's tap), not when the client sent
 *   the frame; its return when the engine answered.
 * - An event gets its place in the history when the gateway writes it (the engine's order); its
 *   content is what the socket actually received, filled in when the frame arrives. A frame that
 *   never arrives leaves no delivery. Results are filled in from result frames the same way.
 * - Operations no socket can carry are made by the harness directly, as an operator would:
 *   closeUser, stats, shutdown, and executes and cancels of a user with no open socket or with a
 *   request JSON cannot carry (NaN, Infinity). The wire log lists them.
 * The runner waits for the wire to be quiet (settle, drain) before each operation and before
 * the virtual clock moves on; see ws-runner.ts.
 */
import { setImmediate as nextMacrotask } from "node:timers/promises";
import type {
  Connection,
  Engine,
  ExecuteRequest,
  Limits,
  UserExecutionContext,
} from "../contract/index.ts";
import { type CloseInfo, type ReceivedFrame, SimSocket } from "../transport/client.ts";
import {
  type CallOutcome,
  type EngineCall,
  Gateway,
  type GatewayTap,
  type SentKind,
  type SocketRef,
} from "../transport/gateway.ts";
import { serverFrameType } from "../transport/protocol.ts";
import { mintToken } from "../transport/token.ts";
import type {
  Probe,
  ProbeToken,
  WireLog,
  WireReceived,
  WireSent,
  WireSocket,
} from "../transport/wire-log.ts";
import type { VirtualClock } from "../world/clock.ts";
import { jsonCopy } from "./copy.ts";
import type { DeliveryEntry, HistoryEntry, ReturnEntry } from "./history.ts";
import type { Recorder, TrackedObject } from "./recorder.ts";
import type { RetentionRules } from "./retention.ts";
import type { Operation } from "./scenario.ts";
import { compact, cut, fill, isPlainJson, isThenable, type Slot } from "./ws-record.ts";

type ExecuteOp = Extract<Operation, { op: "execute" }>;

/** A scenario operation carried by one frame of a socket. */
interface WireOp {
  operation: Operation;
  callId?: number;
  /** For executes, until they settle: what the engine was handed, and its JSON then. */
  handed?: { context: UserExecutionContext; request: ExecuteRequest; before: [string, string] };
  returned?: ReturnEntry;
}

interface Sock {
  name: string;
  user: string | undefined;
  sim: SimSocket;
  log: WireSocket;
  gatewayId?: string;
  /** Operations by the number of the frame that carries them (0 is the auth of an attach). */
  ops: (WireOp | undefined)[];
  frames: number;
  handled: number;
  slots: Map<number, Slot>;
  /** Authenticated and attached to the engine, and not closed, nor let go of by closeUser. */
  usable: boolean;
  detachOp?: WireOp;
  /** The client saw it close; the gateway saw it close (and told the engine, if attached). */
  closed: boolean;
  gatewayClosed: boolean;
}

export interface WsDriverOptions {
  engine: Engine;
  recorder: Recorder;
  clock: VirtualClock;
  limits: Limits;
  secret: string;
  authTimeoutMs: number;
  maxBufferedBytes?: number;
  /** History entries recorded before the engine counts as flooding. */
  maxEntries: number;
  /** performance.now() when the run started: wire times are counted from it. */
  startedAt: number;
}

export class WsDriver implements GatewayTap {
  readonly gateway: Gateway;
  readonly #o: WsDriverOptions;
  readonly #socks: Sock[] = [];
  readonly #byName = new Map<string, Sock>();
  readonly #byGateway = new Map<string, Sock>();
  /** Sockets not yet known to the gateway, by the client's port (how the gateway names its peer). */
  readonly #byPort = new Map<number, Sock>();
  readonly #log: WireLog;
  readonly #waiting = new Set<() => void>();
  #poked = false;
  /** runId → callIds of its executes; settled callIds; closeUser bookkeeping (retention). */
  readonly #runCalls = new Map<string, number[]>();
  readonly #settled = new Set<number>();
  readonly #closedUsers = new Map<string, number>();
  readonly #closeCalls = new Map<string, number>();
  readonly #shutdownCalls: number[] = [];
  settledCount = 0;

  private constructor(gateway: Gateway, options: WsDriverOptions, log: WireLog) {
    this.gateway = gateway;
    this.#o = options;
    this.#log = log;
  }

  static async start(options: WsDriverOptions): Promise<WsDriver> {
    let driver: WsDriver | undefined;
    const tap: GatewayTap = {
      frame: (s, n) => driver?.frame(s, n),
      handled: (s, n) => driver?.handled(s, n),
      attach: (s, c) => driver?.attach(s, c),
      execute: (s, n, c, r) => driver?.execute(s, n, c, r),
      detach: (s, w) => driver?.detach(s, w),
      outcome: (s, c, n, o) => driver?.outcome(s, c, n, o),
      sent: (s, n, k, a) => driver?.sent(s, n, k, a),
      unsendable: (s, e, p) => driver?.unsendable(s, e, p),
      closed: (s, c, r, b) => driver?.closed(s, c, r, b),
    };
    const gateway = await Gateway.start({
      engine: options.engine,
      secret: options.secret,
      limits: options.limits,
      authTimeoutMs: options.authTimeoutMs,
      ...(options.maxBufferedBytes ? { maxBufferedBytes: options.maxBufferedBytes } : {}),
      tap,
    });
    driver = new WsDriver(gateway, options, {
      url: gateway.url,
      sockets: [],
      direct: [],
      lost: [],
    });
    return driver;
  }

  // --- issuing ------------------------------------------------------------------------------

  /** Issues one scenario operation, over a socket when one can carry it. */
  async issue(operation: Operation, epilogue = false): Promise<void> {
    switch (operation.op) {
      case "attach":
        return this.#attach(operation);
      case "detach":
        return this.#detachOp(operation);
      case "execute":
        return this.#executeOp(operation);
      case "cancel":
        return this.#cancelOp(operation);
      case "closeUser":
      case "stats":
      case "shutdown":
        return this.#direct(operation, "an operator's call, not a client's", epilogue);
    }
  }

  async #attach(operation: Extract<Operation, { op: "attach" }>): Promise<void> {
    const existing = this.#byName.get(operation.connectionId);
    if (existing && !existing.closed)
      await this.#detachOp({ op: "detach", connectionId: existing.name });
    const sock = this.#open(operation.connectionId, operation.userId, {
      token: mintToken(this.#o.secret, operation.userId),
    });
    sock.ops[0] = { operation };
  }

  async #detachOp(operation: Extract<Operation, { op: "detach" }>): Promise<void> {
    const sock = this.#byName.get(operation.connectionId);
    if (!sock || sock.closed || !sock.usable) {
      return this.#direct(operation, "no open socket has this connection id");
    }
    sock.detachOp = { operation };
    sock.usable = false;
    // What the engine sent before the tab closed reached it (the in-process detach is instant).
    await this.#until(() => sock.slots.size === 0 || sock.closed);
    await sock.sim.close();
  }

  async #executeOp(operation: ExecuteOp): Promise<void> {
    const { context, request } = operation;
    if (!isPlainJson(context) || !isPlainJson(request)) {
      return this.#direct(operation, "the request is not JSON: no frame can carry it");
    }
    const named = context.connectionId;
    const own = named !== undefined ? this.#byName.get(named) : undefined;
    const sock =
      own?.usable && own.user === context.userId ? own : this.#firstSocketOf(context.userId);
    if (!sock) return this.#direct(operation, "the user has no open socket");
    const frame: Record<string, unknown> = {
      type: "execute",
      requestId: context.requestId,
      threadId: context.threadId,
      runId: context.runId,
      agentName: request.agentName,
      input: request.input,
    };
    // Named connections travel as the gateway knows them; unknown names as they are.
    if (named !== undefined && named !== sock.name) {
      const target = this.#byName.get(named);
      frame.connectionId = target?.usable && target.gatewayId ? target.gatewayId : named;
    }
    if (Object.keys(context.metadata ?? {}).length > 0) frame.metadata = context.metadata;
    this.#sendOp(sock, operation, frame, "execute");
  }

  async #cancelOp(operation: Extract<Operation, { op: "cancel" }>): Promise<void> {
    const sock = this.#firstSocketOf(operation.byUserId);
    if (!sock || typeof operation.runId !== "string") {
      return this.#direct(operation, "the user has no open socket");
    }
    this.#sendOp(sock, operation, { type: "cancel", runId: operation.runId }, "cancel");
  }

  #sendOp(sock: Sock, operation: Operation, frame: object, kind: WireSent["kind"]): void {
    sock.ops[sock.frames] = { operation };
    this.#sentLog(sock, kind, undefined, frame);
    sock.frames += 1;
    sock.sim.send(frame);
  }

  /** Runs a probe: a hostile or broken client's move. */
  probe(probe: Probe): void {
    if (probe.probe === "connect") {
      if (!probe.token) {
        this.#open(probe.socket, undefined, {});
        return;
      }
      const sock = this.#open(probe.socket, probe.token.user, {
        token: this.#probeToken(probe.token),
      });
      const auth = sock.log.sent[0] as WireSent;
      auth.kind = "probe";
      auth.probe = "bad-token";
      auth.text = `<auth with a token ${probe.token.forge}>`;
      return;
    }
    const sock = this.#must(probe.socket);
    if (probe.probe === "drop") {
      sock.sim.dropMidFrame();
      return;
    }
    const frame = probe.frame;
    const named = "json" in frame ? (frame.json as Record<string, unknown> | null) : null;
    const sent: WireSent = {
      no: sock.frames,
      at: this.#o.clock.now(),
      kind: "probe",
      probe: sock.log.authenticated || sock.usable ? probe.kind : "before-auth",
    };
    if (named && typeof named === "object" && !Array.isArray(named)) {
      if (typeof named.type === "string") sent.type = named.type;
      if (typeof named.runId === "string") sent.runId = named.runId;
      if (typeof named.userId === "string") sent.claims = named.userId;
    }
    sock.frames += 1;
    if ("json" in frame) {
      sent.text = cut(JSON.stringify(frame.json));
      sock.sim.send(JSON.stringify(frame.json));
    } else if ("text" in frame) {
      sent.text = cut(frame.text);
      sock.sim.send(frame.text);
    } else if ("binary" in frame) {
      sent.text = `<binary, ${frame.binary} bytes>`;
      sock.sim.sendBinary(new Uint8Array(frame.binary).fill(0x7b));
    } else if ("oversize" in frame) {
      sent.text = `<text, ${frame.oversize} bytes>`;
      const shell = '{"type":"stats","pad":""}';
      sock.sim.send(
        `{"type":"stats","pad":"${"x".repeat(Math.max(0, frame.oversize - shell.length))}"}`,
      );
    } else {
      sent.text = "<text, not UTF-8>";
      sock.sim.sendInvalidUtf8();
    }
    sock.log.sent.push(sent);
  }

  #probeToken(token: ProbeToken): string {
    const good = mintToken(this.#o.secret, token.user);
    switch (token.forge) {
      case "other-secret":
        return mintToken(`${this.#o.secret}-other`, token.user);
      case "tampered":
        return `${token.user}x${good.slice(good.lastIndexOf("."))}`;
      case "garbage":
        return "not a token";
      case "empty":
        return "";
    }
  }

  #open(name: string, user: string | undefined, options: { token?: string }): Sock {
    const log: WireSocket = { name, authenticated: false, sent: [], received: [] };
    if (user !== undefined) log.user = user;
    this.#log.sockets.push(log);
    const sock: Sock = {
      name,
      user,
      log,
      ops: [],
      frames: 0,
      handled: 0,
      slots: new Map(),
      usable: false,
      closed: false,
      gatewayClosed: false,
      sim: new SimSocket(this.gateway.url, {
        name,
        ...options,
        onFrame: (frame) => this.#arrived(sock, frame),
        onClose: (info) => this.#clientClosed(sock, info),
      }),
    };
    if (options.token !== undefined) {
      this.#sentLog(sock, "auth", undefined, { type: "auth" });
      sock.frames = 1;
    }
    sock.sim.opened.then(
      (port) => this.#byPort.set(port, sock),
      () => {},
    );
    this.#socks.push(sock);
    this.#byName.set(name, sock);
    return sock;
  }

  #firstSocketOf(userId: unknown): Sock | undefined {
    if (typeof userId !== "string") return undefined;
    return this.#socks.find((s) => s.usable && s.user === userId);
  }

  #must(name: string): Sock {
    const sock = this.#byName.get(name);
    if (!sock) throw new Error(`probe on unknown socket ${name}`);
    return sock;
  }

  #sentLog(sock: Sock, kind: WireSent["kind"], probe: WireSent["probe"], frame: object): void {
    const sent: WireSent = { no: sock.frames, at: this.#o.clock.now(), kind };
    if (probe) sent.probe = probe;
    if (kind === "probe" || probe) sent.text = cut(JSON.stringify(frame));
    sock.log.sent.push(sent);
  }

  // --- operations the harness makes itself --------------------------------------------------

  async #direct(operation: Operation, why: string, epilogue = false): Promise<void> {
    const { engine, recorder, clock } = this.#o;
    clock.startLineage();
    const callId = recorder.call(operation, epilogue);
    const entry = recorder.entries.length - 1;
    if (operation.op === "execute" || operation.op === "cancel" || operation.op === "detach") {
      this.#log.direct.push({ entry, why });
    }
    try {
      switch (operation.op) {
        case "attach":
          throw new Error("attach always goes over a socket");
        case "detach":
          engine.detach(operation.connectionId);
          return this.#done(callId, undefined);
        case "execute":
          return this.#directExecute(callId, operation);
        case "cancel":
          return this.#settle(callId, engine.cancel(operation.runId, operation.byUserId));
        case "closeUser": {
          const user = operation.userId;
          this.#closedUsers.set(user, entry);
          this.#closeCalls.set(user, callId);
          for (const sock of this.#socks) if (sock.user === user) sock.usable = false;
          return this.#settle(callId, engine.closeUser(user), true, () =>
            this.gateway.endSession(user),
          );
        }
        case "stats": {
          const stats = engine.stats();
          recorder.stats(stats, false);
          return this.#done(callId, stats);
        }
        case "shutdown":
          this.#shutdownCalls.push(callId);
          for (const sock of this.#socks) sock.usable = false;
          return this.#settle(callId, engine.shutdown(), false, () => this.gateway.endAll());
      }
    } catch (error) {
      this.#settled.add(callId);
      recorder.threw(callId, error);
    }
  }

  #directExecute(callId: number, operation: ExecuteOp): void {
    const context = structuredClone(operation.context) as UserExecutionContext;
    const request = structuredClone(operation.request);
    const op: WireOp = { operation, callId };
    this.#handOver(op, context, request);
    Promise.resolve(this.#o.engine.execute(context, request)).then(
      (value) => this.#executeSettled(op, { value }),
      (error: unknown) => this.#executeSettled(op, { threw: error }),
    );
  }

  #settle(callId: number, outcome: unknown, counts = false, then?: () => void): void {
    const finish = (result: CallOutcome) => {
      if (counts) this.settledCount += 1;
      this.#settled.add(callId);
      if ("threw" in result) this.#o.recorder.threw(callId, result.threw);
      else this.#o.recorder.returned(callId, result.value);
      then?.();
    };
    if (isThenable(outcome)) {
      Promise.resolve(outcome).then(
        (value) => finish({ value }),
        (error: unknown) => finish({ threw: error }),
      );
    } else finish({ value: outcome });
  }

  #done(callId: number, value: unknown): void {
    this.#settled.add(callId);
    this.#o.recorder.returned(callId, value);
  }

  // --- the gateway's tap ----------------------------------------------------------------------

  frame(ref: SocketRef, frameNo: number): void {
    const sock = this.#sockOf(ref);
    if (!sock) return;
    const op = sock.ops[frameNo];
    if (!op || op.callId !== undefined) return;
    this.#o.clock.startLineage();
    op.callId = this.#o.recorder.call(op.operation);
    if (op.operation.op === "execute") {
      const runId = op.operation.context.runId;
      this.#runCalls.set(runId, [...(this.#runCalls.get(runId) ?? []), op.callId]);
    }
  }

  handled(ref: SocketRef, frameNo: number): void {
    const sock = this.#sockOf(ref);
    if (sock) sock.handled = Math.max(sock.handled, frameNo + 1);
    this.#poke();
  }

  attach(ref: SocketRef, connection: Connection): void {
    const sock = this.#sockOf(ref);
    if (sock) sock.log.authenticated = true;
    this.#o.recorder.track("connection", connection, connection.userId);
  }

  execute(ref: SocketRef, frameNo: number, context: UserExecutionContext, request: ExecuteRequest) {
    const op = this.#sockOf(ref)?.ops[frameNo];
    if (op) this.#handOver(op, context, request);
  }

  detach(ref: SocketRef, why: string): void {
    const sock = this.#sockOf(ref);
    if (!sock) return;
    sock.usable = false;
    // A detach the scenario asked for, or one the gateway made (a socket it had to close).
    const op = sock.detachOp ?? { operation: { op: "detach", connectionId: sock.name } };
    sock.detachOp = op;
    if (op.callId === undefined) {
      this.#o.clock.startLineage();
      op.callId = this.#o.recorder.call(op.operation);
      if (!why.startsWith("the client")) {
        this.#log.direct.push({ entry: this.#o.recorder.entries.length - 1, why });
      }
    }
  }

  outcome(ref: SocketRef, call: EngineCall, frameNo: number | undefined, outcome: CallOutcome) {
    const sock = this.#sockOf(ref);
    if (!sock) return;
    const op = call === "detach" ? sock.detachOp : sock.ops[frameNo ?? 0];
    if (!op || op.callId === undefined) return;
    if (call === "attach" && !("threw" in outcome)) sock.usable = true;
    if (call === "execute") return this.#executeSettled(op, outcome);
    this.#settled.add(op.callId);
    if ("threw" in outcome) this.#o.recorder.threw(op.callId, outcome.threw);
    else {
      this.#o.recorder.returned(op.callId, outcome.value);
      op.returned = this.#last() as ReturnEntry;
    }
    this.#poke();
  }

  sent(ref: SocketRef, outNo: number, kind: SentKind, answers: number | undefined): void {
    const sock = this.#sockOf(ref);
    if (!sock) return;
    const slot: Slot = { kind, writtenAt: performance.now() };
    if (answers !== undefined) slot.answers = answers;
    if (kind === "event") {
      const { recorder } = this.#o;
      if (recorder.truncated || recorder.entries.length >= this.#o.maxEntries) {
        recorder.deliver(sock.name, sock.user ?? "", null);
        this.#log.lost.push({ connectionId: sock.name, why: "the history was full" });
        return;
      }
      slot.entry = recorder.append({
        kind: "deliver",
        connectionId: sock.name,
        connectionUserId: sock.user ?? "",
        event: null,
      }) as DeliveryEntry;
    } else if (answers !== undefined) {
      const op = sock.ops[answers];
      if (op?.returned) slot.entry = op.returned;
      else if (op && kind === "error" && op.callId !== undefined && !this.#settled.has(op.callId)) {
        // The gateway refused the frame before the engine saw it: a typed refusal.
        this.#settled.add(op.callId);
        this.#o.recorder.returned(op.callId, null);
        slot.entry = this.#last() as ReturnEntry;
        slot.op = op;
      }
    }
    sock.slots.set(outNo, slot);
  }

  unsendable(ref: SocketRef, event: unknown, problem: string): void {
    const sock = this.#sockOf(ref);
    if (!sock) return;
    // What the in-process transport records for the same frame: a malformed delivery.
    this.#o.recorder.deliver(sock.name, sock.user ?? "", event);
    this.#log.lost.push({ connectionId: sock.name, why: `the engine sent ${problem}` });
  }

  closed(ref: SocketRef, code: number, reason: string, by: "client" | "gateway"): void {
    const sock = this.#sockOf(ref);
    if (!sock) return;
    sock.usable = false;
    sock.gatewayClosed = true;
    sock.log.close = {
      code,
      reason,
      by,
      at: this.#o.clock.now(),
      realMs: performance.now() - this.#o.startedAt,
    };
    const attachOp = sock.ops[0];
    if (
      attachOp?.operation.op === "attach" &&
      attachOp.callId !== undefined &&
      !this.#settled.has(attachOp.callId)
    ) {
      this.#settled.add(attachOp.callId);
      this.#o.recorder.threw(attachOp.callId, new Error(`the gateway closed the socket (${code})`));
    }
    this.#poke();
  }

  // --- the clients ----------------------------------------------------------------------------

  #arrived(sock: Sock, frame: ReceivedFrame): void {
    const received: WireReceived = {
      no: frame.no,
      type: frame.binary ? "binary" : "event",
      afterSent: sock.sim.sentFrames,
      realMs: frame.at - this.#o.startedAt,
    };
    let parsed: unknown = frame.text;
    try {
      parsed = JSON.parse(frame.text);
    } catch {
      // Kept as text: a delivery of something that is not JSON.
    }
    const type = serverFrameType(parsed);
    if (type) received.type = type;
    if (type && type !== "result") {
      const copy = jsonCopy(parsed);
      received.frame = "value" in copy ? copy.value : null;
    }
    const slot = sock.slots.get(frame.no);
    if (slot) {
      sock.slots.delete(frame.no);
      received.latencyMs = frame.at - slot.writtenAt;
      if (slot.answers !== undefined) received.answers = slot.answers;
      if (slot.entry) {
        received.entry = slot.entry.index;
        fill(slot, parsed);
      }
    }
    sock.log.received.push(received);
    if (slot && sock.slots.size === 0) this.#poke();
  }

  #clientClosed(sock: Sock, info: CloseInfo): void {
    sock.closed = true;
    sock.usable = false;
    if (!sock.log.close) {
      sock.log.close = {
        code: info.code,
        reason: info.reason,
        by: info.byClient ? "client" : "gateway",
        at: this.#o.clock.now(),
        realMs: info.at - this.#o.startedAt,
      };
    }
    this.#poke();
  }

  // --- quiet and drained ----------------------------------------------------------------------

  /** Every frame a client sent has been handled, every socket opened or closed. */
  isQuiet(): boolean {
    for (const sock of this.#socks) {
      if (sock.closed) {
        // Closed by the client: the gateway must have seen it too (and told the engine).
        if (sock.gatewayId !== undefined && !sock.gatewayClosed) return false;
        continue;
      }
      if (!sock.sim.isOpen || sock.sim.closing) return false;
      if (sock.handled < sock.sim.sentFrames || sock.frames > sock.sim.sentFrames) return false;
    }
    return true;
  }

  /** Waits until quiet, then lets every job that follows run, and looks again. */
  async settle(deadline: number): Promise<boolean> {
    for (;;) {
      if (!(await this.#until(() => this.isQuiet(), deadline))) return false;
      await nextMacrotask();
      if (this.isQuiet()) return true;
    }
  }

  /** Waits until every frame the gateway wrote has arrived (or its socket is gone). */
  drain(deadline: number): Promise<boolean> {
    return this.#until(() => this.#socks.every((s) => s.closed || s.slots.size === 0), deadline);
  }

  /** Waits until every socket that never authenticated has been closed by the gateway. */
  unauthenticatedClosed(deadline: number): Promise<boolean> {
    return this.#until(() => this.#socks.every((s) => s.closed || s.log.authenticated), deadline);
  }

  async #until(done: () => boolean, deadline = Number.POSITIVE_INFINITY): Promise<boolean> {
    while (!done()) {
      const left = deadline - performance.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.#waiting.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, Math.min(left, 50));
        this.#waiting.add(wake);
      });
    }
    return true;
  }

  /** Wakes the waiters, once per macrotask however many frames came (a check scans every socket). */
  #poke(): void {
    if (this.#poked || this.#waiting.size === 0) return;
    this.#poked = true;
    setImmediate(() => {
      this.#poked = false;
      for (const wake of [...this.#waiting]) wake();
    });
  }

  /** stats() at a quiet instant, as the in-process runner takes it. */
  probeStats(): void {
    try {
      this.#o.recorder.stats(this.#o.engine.stats(), true);
    } catch (error) {
      this.#o.recorder.unhandled(error, "stats()");
    }
  }

  // --- retention ------------------------------------------------------------------------------

  retentionRules(): RetentionRules {
    const runSettled = (runId: string) => {
      const calls = this.#runCalls.get(runId);
      return calls?.every((callId) => this.#settled.has(callId)) === true;
    };
    return {
      runSettled: (object: TrackedObject) =>
        object.callId !== undefined
          ? this.#settled.has(object.callId)
          : object.runId !== undefined && runSettled(object.runId),
      userClosed: (object: TrackedObject) => {
        const index = this.#closedUsers.get(object.userId);
        const callId = this.#closeCalls.get(object.userId);
        return (
          index !== undefined &&
          callId !== undefined &&
          object.since <= index &&
          this.#settled.has(callId)
        );
      },
      harnessBusy: (object: TrackedObject) => this.#o.recorder.isWorking(object.runId),
    };
  }

  get shutdownSettled(): boolean {
    return this.#shutdownCalls.some((callId) => this.#settled.has(callId));
  }

  hasShutdown(): boolean {
    return this.#shutdownCalls.length > 0;
  }

  // --- the end --------------------------------------------------------------------------------

  /** Cuts every client and stops the gateway. */
  async close(): Promise<void> {
    for (const sock of this.#socks) if (!sock.closed && !sock.log.close) sock.log.cutAtEnd = true;
    await Promise.all(this.#socks.map((s) => (s.closed ? s.sim.closed : s.sim.terminate())));
    await this.gateway.close();
  }

  /**
   * The wire log, once the run is over. Deliveries whose frame never arrived are dropped from
   * the history (the socket never received them), and the entries renumbered.
   */
  finish(): WireLog {
    const lost = new Set<HistoryEntry>();
    for (const sock of this.#socks) {
      for (const slot of sock.slots.values()) {
        if (slot.entry?.kind === "deliver") {
          lost.add(slot.entry);
          this.#log.lost.push({
            connectionId: sock.name,
            why: "its socket closed before it arrived",
          });
        } else if (slot.entry && slot.op) lost.add(slot.entry);
      }
      sock.slots.clear();
    }
    if (lost.size > 0) compact(this.#o.recorder, this.#closedUsers, lost, this.#log);
    return this.#log;
  }

  // --- helpers --------------------------------------------------------------------------------

  #handOver(op: WireOp, context: UserExecutionContext, request: ExecuteRequest): void {
    const { recorder } = this.#o;
    const { userId, runId } = context;
    const callId = op.callId;
    recorder.track("context", context, userId, runId, callId);
    recorder.track("request", request, userId, runId, callId);
    if (typeof request.input === "object" && request.input !== null) {
      recorder.track("input", request.input, userId, runId, callId);
    }
    if (op.operation.op === "execute" && callId !== undefined) {
      const calls = this.#runCalls.get(runId) ?? [];
      if (!calls.includes(callId)) this.#runCalls.set(runId, [...calls, callId]);
    }
    op.handed = { context, request, before: [JSON.stringify(context), JSON.stringify(request)] };
  }

  #executeSettled(op: WireOp, outcome: CallOutcome): void {
    const callId = op.callId as number;
    const handed = op.handed;
    op.handed = undefined;
    this.#settled.add(callId);
    this.settledCount += 1;
    if ("threw" in outcome) {
      this.#o.recorder.threw(callId, outcome.threw);
      return;
    }
    const mutated: ("context" | "request")[] = [];
    if (handed && JSON.stringify(handed.context) !== handed.before[0]) mutated.push("context");
    if (handed && JSON.stringify(handed.request) !== handed.before[1]) mutated.push("request");
    this.#o.recorder.returned(callId, outcome.value, mutated);
    op.returned = this.#last() as ReturnEntry;
  }

  #sockOf(ref: SocketRef): Sock | undefined {
    const known = this.#byGateway.get(ref.id);
    if (known) return known;
    let sock = this.#byPort.get(ref.peerPort);
    if (sock?.gatewayId !== undefined || sock?.sim.localPort !== ref.peerPort) {
      sock = this.#socks.find((s) => !s.gatewayId && s.sim.localPort === ref.peerPort);
    }
    if (!sock) return undefined;
    this.#byPort.delete(ref.peerPort);
    sock.gatewayId = ref.id;
    sock.log.gatewayId = ref.id;
    this.#byGateway.set(ref.id, sock);
    return sock;
  }

  #last(): HistoryEntry {
    return this.#o.recorder.entries[this.#o.recorder.entries.length - 1] as HistoryEntry;
  }
}
