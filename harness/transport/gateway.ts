/**
 * The WebSocket gateway: serves one in-process Engine over the wire protocol (protocol.ts) on
 * 127.0.0.1. Each socket authenticates with a token (token.ts); the gateway then hands the engine
 * a Connection for it, turns execute/cancel/stats frames into engine calls and writes the
 * engine's events and answers back. It trusts nothing a frame says about who is asking: the
 * user is the token's.
 *
 * It never buffers without bound: a socket whose client stopped reading is closed with 1013 as
 * soon as its send buffer passes `maxBufferedBytes`, and the engine is told it is gone, so the
 * user's other sockets and other users go on as before.
 *
 * A tap sees everything the gateway hands the engine and everything it writes, synchronously and
 * in order, so a harness in the same process can record a history (harness/run/ws-runner.ts).
 */
import type { AddressInfo } from "node:net";
import { type RawData, WebSocket, WebSocketServer } from "ws";
import type {
  Connection,
  Engine,
  ExecuteRequest,
  JsonValue,
  Limits,
  UserExecutionContext,
} from "../contract/index.ts";
import {
  CAPABILITIES,
  type CancelFrame,
  CLOSE,
  type ExecuteFrame,
  FRAME_ERRORS,
  type FrameErrorCode,
  MAX_FRAME_BYTES,
  parseClientFrame,
  type ServerFrameType,
} from "./protocol.ts";
import { verifyToken } from "./token.ts";

/** A socket as the tap sees it. */
export interface SocketRef {
  /** The gateway's id for the socket; also the engine's connection id. */
  readonly id: string;
  /** The client's port: how an in-process client finds its socket before `welcome`. */
  readonly peerPort: number;
  /** Set once the socket authenticated. */
  readonly userId: string | undefined;
}

export type EngineCall = "attach" | "execute" | "cancel" | "detach";
export type CallOutcome = { value: unknown } | { threw: unknown };
export type SentKind = "event" | ServerFrameType;

export interface GatewayTap {
  /** Frame `frameNo` (counted per socket from 0) arrived; called before it is handled. */
  frame?(socket: SocketRef, frameNo: number): void;
  /** The frame has been handled (the engine calls it caused have returned). */
  handled?(socket: SocketRef, frameNo: number): void;
  /** Right before engine.attach. */
  attach?(socket: SocketRef, connection: Connection): void;
  /** Right before engine.execute. */
  execute?(
    socket: SocketRef,
    frameNo: number,
    context: UserExecutionContext,
    request: ExecuteRequest,
  ): void;
  /** Right before engine.detach; `why` is what closed the socket. */
  detach?(socket: SocketRef, why: string): void;
  /** An engine call returned (its promise settled, for execute and cancel) or threw. */
  outcome?(
    socket: SocketRef,
    call: EngineCall,
    frameNo: number | undefined,
    outcome: CallOutcome,
  ): void;
  /** Frame `outNo` (counted per socket from 0) was written; `answers` is the frame it answers. */
  sent?(socket: SocketRef, outNo: number, kind: SentKind, answers: number | undefined): void;
  /** The engine passed send() something JSON cannot carry: nothing was written. */
  unsendable?(socket: SocketRef, event: unknown, problem: string): void;
  /** The socket closed. `by` says who started the close. */
  closed?(socket: SocketRef, code: number, reason: string, by: "client" | "gateway"): void;
}

export interface GatewayOptions {
  engine: Engine;
  /** The shared secret tokens are signed with. */
  secret: string;
  /** Announced in `welcome`. */
  limits: Limits;
  port?: number;
  /** The address to listen on (default 127.0.0.1: only this machine can connect). */
  host?: string;
  /** Real milliseconds a socket may take to authenticate before it is closed with 4401. */
  authTimeoutMs?: number;
  maxFrameBytes?: number;
  /** Bytes a socket may have waiting to be sent before it counts as not reading (1013). */
  maxBufferedBytes?: number;
  /** Real milliseconds a 1013 close may take before the socket is cut. */
  slowCloseGraceMs?: number;
  tap?: GatewayTap;
}

const DEFAULTS = {
  authTimeoutMs: 5_000,
  maxBufferedBytes: 4 * 1024 * 1024,
  slowCloseGraceMs: 1_000,
};

class Peer implements SocketRef {
  userId: string | undefined;
  /** The engine holds a connection for this socket and has not been told it is gone. */
  attached = false;
  frames = 0;
  sent = 0;
  closing: { code: number; by: "gateway" } | undefined;
  authTimer: NodeJS.Timeout | undefined;
  /** Largest send buffer seen, for reports on slow readers. */
  maxBuffered = 0;
  corked = false;

  constructor(
    readonly id: string,
    readonly peerPort: number,
    readonly ws: WebSocket,
  ) {}
}

export class Gateway {
  readonly #server: WebSocketServer;
  readonly #options: GatewayOptions & typeof DEFAULTS;
  readonly #peers = new Map<string, Peer>();
  /** Sockets not yet closed, as promises that settle when they are. */
  readonly #closing = new Set<Promise<void>>();
  #nextId = 1;
  /** Sockets closed with 1013, and how many bytes were waiting for them then. */
  readonly slowReaders: { id: string; userId: string | undefined; buffered: number }[] = [];

  private constructor(server: WebSocketServer, options: GatewayOptions) {
    this.#server = server;
    this.#options = { ...DEFAULTS, ...options };
    server.on("connection", (ws, request) => this.#accept(ws, request.socket.remotePort ?? 0));
  }

  static async start(options: GatewayOptions): Promise<Gateway> {
    const server = new WebSocketServer({
      host: options.host ?? "127.0.0.1",
      port: options.port ?? 0,
      maxPayload: options.maxFrameBytes ?? MAX_FRAME_BYTES,
      perMessageDeflate: false,
      // Thousands of tabs may connect at once; the default backlog (511) would drop their SYNs.
      backlog: 4096,
    });
    await new Promise<void>((resolve, reject) => {
      server.once("listening", resolve);
      server.once("error", reject);
    });
    return new Gateway(server, options);
  }

  /** Where a client on this machine connects (loopback when listening on every interface). */
  get url(): string {
    const { address, port } = this.#server.address() as AddressInfo;
    const host = address === "0.0.0.0" || address === "::" ? "127.0.0.1" : address;
    return `ws://${host.includes(":") ? `[${host}]` : host}:${port}`;
  }

  /** Open sockets, authenticated or not. */
  get sockets(): number {
    return this.#peers.size;
  }

  /**
   * Ends `userId`'s session on the wire after closeUser: their sockets are closed (1000). The
   * engine has already let their connections go, so it is not told again.
   */
  endSession(userId: string): void {
    for (const peer of this.#peers.values()) {
      if (peer.userId !== userId) continue;
      peer.attached = false;
      this.#close(peer, CLOSE.sessionClosed, "session closed");
    }
  }

  /**
   * After the engine shut down: every authenticated socket is closed (1001); the engine is not
   * told. One still authenticating keeps its own deadline (4401).
   */
  endAll(): void {
    for (const peer of this.#peers.values()) {
      if (peer.userId === undefined) continue;
      peer.attached = false;
      this.#close(peer, CLOSE.goingAway, "the engine shut down");
    }
  }

  /** Stops listening and cuts every socket; resolves once all are closed. */
  async close(): Promise<void> {
    const stopped = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const peer of this.#peers.values()) {
      peer.attached = false;
      peer.ws.terminate();
    }
    await Promise.all([stopped, ...this.#closing]);
    // The listening handle is released in the close phase of the loop's next turn.
    for (let turn = 0; turn < 2; turn += 1) await new Promise((resolve) => setImmediate(resolve));
  }

  #accept(ws: WebSocket, peerPort: number): void {
    const peer = new Peer(`ws-${this.#nextId++}`, peerPort, ws);
    this.#peers.set(peer.id, peer);
    // Timers run before sockets are read in a turn of the loop: after a stall, an auth frame may
    // be waiting unread when the timer fires. setImmediate lets it be read first.
    peer.authTimer = setTimeout(
      () =>
        setImmediate(() => {
          if (!peer.userId) this.#close(peer, CLOSE.unauthenticated, "authentication timed out");
        }),
      this.#options.authTimeoutMs,
    );
    const closed = new Promise<void>((resolve) => {
      ws.on("close", (code, reason) => {
        this.#closing.delete(closed);
        this.#gone(peer, code, reason.toString());
        resolve();
      });
    });
    this.#closing.add(closed);
    // ws reports a frame over maxPayload, bad UTF-8 or a protocol error here, then closes the
    // socket itself (1009, 1007, 1002): the engine learns it is gone when it has closed.
    ws.on("error", (error) => {
      const code = (error as unknown as Record<symbol, unknown>)[statusCode(error)];
      peer.closing ??= {
        code: typeof code === "number" ? code : CLOSE.internalError,
        by: "gateway",
      };
    });
    ws.on("message", (data, isBinary) => this.#receive(peer, data, isBinary));
  }

  #receive(peer: Peer, data: RawData, isBinary: boolean): void {
    const frameNo = peer.frames++;
    const tap = this.#options.tap;
    tap?.frame?.(peer, frameNo);
    try {
      this.#handle(peer, data, isBinary, frameNo);
    } catch {
      // The gateway's own fault (or its tap's): the socket is no longer in a known state.
      this.#close(peer, CLOSE.internalError, "internal error");
    } finally {
      tap?.handled?.(peer, frameNo);
    }
  }

  #handle(peer: Peer, data: RawData, isBinary: boolean, frameNo: number): void {
    if (peer.closing) return;
    if (isBinary) {
      if (!peer.userId) {
        this.#close(peer, CLOSE.unauthenticated, "authenticate first");
        return;
      }
      this.#error(peer, frameNo, FRAME_ERRORS.badFrame, "frames are JSON text, not binary");
      return;
    }
    const parsed = parseClientFrame(rawText(data));
    if (!peer.userId) {
      if (!parsed.ok || parsed.frame.type !== "auth") {
        this.#close(peer, CLOSE.unauthenticated, "authenticate first");
        return;
      }
      const userId = verifyToken(this.#options.secret, parsed.frame.token);
      if (userId === undefined) {
        this.#close(peer, CLOSE.unauthenticated, "bad token");
        return;
      }
      this.#authenticate(peer, userId);
      return;
    }
    if (!parsed.ok) {
      this.#error(peer, frameNo, parsed.code, parsed.message, parsed.requestId);
      return;
    }
    const frame = parsed.frame;
    switch (frame.type) {
      case "auth": {
        this.#error(peer, frameNo, FRAME_ERRORS.badFrame, "this socket is already authenticated");
        return;
      }
      case "execute": {
        this.#execute(peer, frameNo, frame);
        return;
      }
      case "cancel": {
        this.#cancel(peer, frameNo, frame);
        return;
      }
      case "stats": {
        this.#stats(peer, frameNo);
        return;
      }
    }
  }

  #authenticate(peer: Peer, userId: string): void {
    clearTimeout(peer.authTimer);
    peer.userId = userId;
    const { engine, limits, tap } = this.#options;
    // The connection holds the peer, never the other way round: once the engine lets go of it,
    // nothing of the gateway keeps it alive (cleanup.user is checked by weak reference).
    const connection: Connection = {
      id: peer.id,
      userId,
      send: (event) => this.#event(peer, event),
    };
    this.#write(peer, "welcome", undefined, {
      type: "welcome",
      userId,
      connectionId: peer.id,
      limits: limits as unknown as JsonValue,
      capabilities: [...CAPABILITIES],
    });
    tap?.attach?.(peer, connection);
    try {
      engine.attach(connection);
      peer.attached = true;
      tap?.outcome?.(peer, "attach", undefined, { value: undefined });
    } catch (error) {
      tap?.outcome?.(peer, "attach", undefined, { threw: error });
      this.#close(peer, CLOSE.internalError, "the engine refused the connection");
    }
  }

  #execute(peer: Peer, frameNo: number, frame: ExecuteFrame): void {
    const { engine, tap } = this.#options;
    const owner = peer.userId as string;
    if (frame.userId !== undefined && frame.userId !== owner) {
      this.#refuseImpersonation(peer, frameNo, frame.requestId);
      return;
    }
    const context: UserExecutionContext = {
      userId: owner,
      threadId: frame.threadId,
      runId: frame.runId,
      requestId: frame.requestId,
      connectionId: frame.connectionId ?? peer.id,
      metadata: (frame.metadata ?? {}) as UserExecutionContext["metadata"],
    };
    const request: ExecuteRequest = { agentName: frame.agentName, input: frame.input as JsonValue };
    const requestId = frame.requestId;
    tap?.execute?.(peer, frameNo, context, request);
    let pending: Promise<unknown>;
    try {
      pending = Promise.resolve(engine.execute(context, request));
    } catch (error) {
      this.#engineFailed(peer, frameNo, "execute", error, requestId);
      return;
    }
    pending.then(
      (result) => {
        tap?.outcome?.(peer, "execute", frameNo, { value: result });
        this.#write(peer, "result", frameNo, {
          type: "result",
          requestId,
          result: result as JsonValue,
        });
      },
      (error: unknown) => this.#engineFailed(peer, frameNo, "execute", error, requestId),
    );
  }

  #cancel(peer: Peer, frameNo: number, frame: CancelFrame): void {
    const { engine, tap } = this.#options;
    if (frame.userId !== undefined && frame.userId !== peer.userId) {
      this.#refuseImpersonation(peer, frameNo);
      return;
    }
    const runId = frame.runId;
    let pending: Promise<unknown>;
    try {
      pending = Promise.resolve(engine.cancel(runId, peer.userId as string));
    } catch (error) {
      this.#engineFailed(peer, frameNo, "cancel", error);
      return;
    }
    pending.then(
      (cancelled) => {
        tap?.outcome?.(peer, "cancel", frameNo, { value: cancelled });
        this.#write(peer, "cancel", frameNo, {
          type: "cancel",
          runId,
          cancelled: cancelled as JsonValue,
        });
      },
      (error: unknown) => this.#engineFailed(peer, frameNo, "cancel", error),
    );
  }

  #stats(peer: Peer, frameNo: number): void {
    let own: JsonValue = { activeRuns: 0, queuedRuns: 0, bufferedEvents: 0 };
    try {
      const perUser = this.#options.engine.stats().perUser;
      const mine = Object.hasOwn(perUser, peer.userId as string)
        ? perUser[peer.userId as string]
        : undefined;
      if (mine) own = { ...mine } as unknown as JsonValue;
    } catch {
      this.#error(peer, frameNo, FRAME_ERRORS.engineError, "stats are not available");
      return;
    }
    this.#write(peer, "stats", frameNo, { type: "stats", stats: own });
  }

  #refuseImpersonation(peer: Peer, frameNo: number, requestId?: string): void {
    this.#error(
      peer,
      frameNo,
      FRAME_ERRORS.forbidden,
      "a request may name only its own socket's user",
      requestId,
    );
  }

  /** The engine threw or rejected: the caller gets a generic error, never the engine's text. */
  #engineFailed(
    peer: Peer,
    frameNo: number,
    call: EngineCall,
    error: unknown,
    requestId?: string,
  ): void {
    this.#options.tap?.outcome?.(peer, call, frameNo, { threw: error });
    this.#error(
      peer,
      frameNo,
      FRAME_ERRORS.engineError,
      `the engine failed the ${call}`,
      requestId,
    );
  }

  #error(
    peer: Peer,
    frameNo: number,
    code: FrameErrorCode,
    message: string,
    requestId?: string,
  ): void {
    const frame = {
      type: "error",
      ...(requestId !== undefined ? { requestId } : {}),
      code,
      message,
    };
    this.#write(peer, "error", frameNo, frame);
  }

  /** An event from the engine: written, unless the socket is gone or its client stopped reading. */
  #event(peer: Peer, event: unknown): void {
    if (peer.closing || peer.ws.readyState !== WebSocket.OPEN) return;
    const buffered = peer.ws.bufferedAmount;
    if (buffered > peer.maxBuffered) peer.maxBuffered = buffered;
    if (buffered > this.#options.maxBufferedBytes) {
      this.#slowReader(peer, buffered);
      return;
    }
    let text: string | undefined;
    let problem = "send() was handed undefined";
    try {
      text = JSON.stringify(event);
    } catch (error) {
      problem = `not JSON: ${error instanceof Error ? error.message : String(error)}`;
    }
    if (text === undefined) {
      this.#options.tap?.unsendable?.(peer, event, problem);
      return;
    }
    this.#send(peer, text, "event", undefined);
  }

  #write(peer: Peer, kind: SentKind, answers: number | undefined, frame: Record<string, unknown>) {
    if (peer.closing || peer.ws.readyState !== WebSocket.OPEN) return;
    this.#send(peer, JSON.stringify(frame), kind, answers);
  }

  #send(peer: Peer, text: string, kind: SentKind, answers: number | undefined): void {
    // Frames written in one burst (an engine step often emits several) leave in one write.
    if (!peer.corked) {
      const socket = (peer.ws as unknown as { _socket?: import("node:net").Socket })._socket;
      if (socket) {
        peer.corked = true;
        socket.cork();
        process.nextTick(() => {
          peer.corked = false;
          socket.uncork();
        });
      }
    }
    peer.ws.send(text);
    this.#options.tap?.sent?.(peer, peer.sent++, kind, answers);
  }

  /**
   * The client stopped reading: close with 1013 and cut the socket if even that cannot get
   * through in time. The engine is told at once (after the send it is in the middle of), so it
   * stops sending and keeps nothing for a socket that is gone.
   */
  #slowReader(peer: Peer, buffered: number): void {
    this.slowReaders.push({ id: peer.id, userId: peer.userId, buffered });
    this.#close(
      peer,
      CLOSE.tryAgainLater,
      `send buffer over ${this.#options.maxBufferedBytes} bytes (${buffered})`,
    );
    const cut = setTimeout(() => peer.ws.terminate(), this.#options.slowCloseGraceMs);
    peer.ws.once("close", () => clearTimeout(cut));
    queueMicrotask(() => this.#detach(peer, "the client stopped reading"));
  }

  #close(peer: Peer, code: number, reason: string): void {
    if (peer.closing || peer.ws.readyState >= WebSocket.CLOSING) return;
    clearTimeout(peer.authTimer);
    peer.closing = { code, by: "gateway" };
    peer.ws.close(code, reason);
  }

  #gone(peer: Peer, code: number, reason: string): void {
    clearTimeout(peer.authTimer);
    this.#peers.delete(peer.id);
    const by = peer.closing ? "gateway" : "client";
    this.#detach(peer, by === "client" ? "the client closed the socket" : `closed with ${code}`);
    this.#options.tap?.closed?.(peer, peer.closing?.code ?? code, reason, by);
  }

  #detach(peer: Peer, why: string): void {
    if (!peer.attached) return;
    peer.attached = false;
    const { engine, tap } = this.#options;
    tap?.detach?.(peer, why);
    try {
      engine.detach(peer.id);
      tap?.outcome?.(peer, "detach", undefined, { value: undefined });
    } catch (error) {
      tap?.outcome?.(peer, "detach", undefined, { threw: error });
    }
  }
}

function rawText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString("utf8");
  if (Array.isArray(data)) return Buffer.concat(data).toString("utf8");
  return Buffer.from(data).toString("utf8");
}

/** ws keeps the close code of an error under a symbol named `status-code`. */
function statusCode(error: object): symbol {
  return (
    Object.getOwnPropertySymbols(error).find((s) => s.description === "status-code") ??
    Symbol("none")
  );
}
