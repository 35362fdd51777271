/**
 * What the ws driver's parts share: the sockets it opened and how to find them (by the
 * scenario's name, by the gateway's id, by the client's port), the wire log, and which engine
 * calls have settled. Each part (ws-issue, ws-probes, ws-tap, ws-frames, ws-direct, ws-calls,
 * ws-quiet) works on one WireState.
 */
import type { Engine, ExecuteRequest, Limits, UserExecutionContext } from "../contract/index.ts";
import type { SimSocket } from "../transport/client.ts";
import type { Gateway, SocketRef } from "../transport/gateway.ts";
import type { WireLog, WireSocket } from "../transport/wire-log.ts";
import type { VirtualClock } from "../world/clock.ts";
import type { HistoryEntry, ReturnEntry } from "./history.ts";
import type { Recorder } from "./recorder.ts";
import type { Operation } from "./scenario.ts";
import { Quiescence } from "./ws-quiet.ts";
import type { Slot } from "./ws-record.ts";

export type ExecuteOp = Extract<Operation, { op: "execute" }>;

/** A scenario operation carried by one frame of a socket. */
export interface WireOp {
  operation: Operation;
  callId?: number;
  /** For executes, until they settle: what the engine was handed, and its JSON then. */
  handed?: { context: UserExecutionContext; request: ExecuteRequest; before: [string, string] };
  returned?: ReturnEntry;
}

export interface Sock {
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

export class WireState {
  /** Set once the gateway listens (the tap it is started with needs this state first). */
  gateway!: Gateway;
  readonly socks: Sock[] = [];
  readonly byName = new Map<string, Sock>();
  readonly byGateway = new Map<string, Sock>();
  /** Sockets not yet known to the gateway, by the client's port (how the gateway names its peer). */
  readonly byPort = new Map<number, Sock>();
  /** runId → callIds of its executes; settled callIds; closeUser bookkeeping (retention). */
  readonly runCalls = new Map<string, number[]>();
  readonly settled = new Set<number>();
  readonly closedUsers = new Map<string, number>();
  readonly closeCalls = new Map<string, number>();
  readonly shutdownCalls: number[] = [];
  /** Executes and closeUser calls settled so far: retention is worth checking when it grows. */
  settledCount = 0;
  readonly log: WireLog = { url: "", sockets: [], direct: [], lost: [] };

  /** Waits for the wire to be quiet; the parts poke it as frames come and go. */
  readonly quiet = new Quiescence(this.socks);

  constructor(readonly o: WsDriverOptions) {}

  /** The socket the gateway means; the first time, matched by the client's port. */
  sockOf(ref: SocketRef): Sock | undefined {
    const known = this.byGateway.get(ref.id);
    if (known) return known;
    let sock = this.byPort.get(ref.peerPort);
    if (sock?.gatewayId !== undefined || sock?.sim.localPort !== ref.peerPort) {
      sock = this.socks.find((s) => !s.gatewayId && s.sim.localPort === ref.peerPort);
    }
    if (!sock) return undefined;
    this.byPort.delete(ref.peerPort);
    sock.gatewayId = ref.id;
    sock.log.gatewayId = ref.id;
    this.byGateway.set(ref.id, sock);
    return sock;
  }

  firstSocketOf(userId: unknown): Sock | undefined {
    if (typeof userId !== "string") return undefined;
    return this.socks.find((s) => s.usable && s.user === userId);
  }

  must(name: string): Sock {
    const sock = this.byName.get(name);
    if (!sock) throw new Error(`probe on unknown socket ${name}`);
    return sock;
  }

  last(): HistoryEntry {
    return this.o.recorder.entries[this.o.recorder.entries.length - 1] as HistoryEntry;
  }
}
