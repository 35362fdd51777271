/**
 * Simulated browser tabs. A SimSocket is one WebSocket that authenticates (or deliberately does
 * not), sends frames, and records every frame it receives, in order, with the real time it
 * arrived. A SimUser holds a user's token and tabs: it opens them, closes them, and reconnects
 * one (the engine then replays what it buffered: delivery.resume).
 *
 * For probes of the gateway it can also misbehave as a broken or hostile client would: send
 * binary frames, text that is not UTF-8, stop reading, or drop the TCP connection in the middle
 * of a frame.
 */
import { randomBytes } from "node:crypto";
import type { Socket } from "node:net";
import { type RawData, WebSocket } from "ws";

export interface ReceivedFrame {
  /** Position on this socket, from 0. */
  no: number;
  /** performance.now() when it arrived. */
  at: number;
  text: string;
  binary: boolean;
}

export interface CloseInfo {
  code: number;
  reason: string;
  /** performance.now() when the socket closed. */
  at: number;
  /** The client started the close (close(), drop()). */
  byClient: boolean;
}

export interface SimSocketOptions {
  /** The client's own name for this socket (a tab), for logs and histories. */
  name: string;
  /** Sent as the first frame once open; none means the socket never authenticates. */
  token?: string;
  /** Keep received frames in `frames` (default true; load tests may only count them). */
  record?: boolean;
  /** Called for each frame as it arrives, after it is recorded. */
  onFrame?: (frame: ReceivedFrame, socket: SimSocket) => void;
  onClose?: (info: CloseInfo, socket: SimSocket) => void;
}

export class SimSocket {
  readonly name: string;
  readonly ws: WebSocket;
  readonly frames: ReceivedFrame[] = [];
  /** Frames received so far (also when not recorded). */
  received = 0;
  /** Frames this client has written, auth included. */
  sentFrames = 0;
  closeInfo: CloseInfo | undefined;
  /** Resolves once open (with the client's local port), rejects if it could not connect. */
  readonly opened: Promise<number>;
  /** Resolves once closed, however. */
  readonly closed: Promise<CloseInfo>;
  #queue: (() => void)[] = [];
  #localPort = 0;
  #closingByClient = false;
  readonly #options: SimSocketOptions;

  constructor(url: string, options: SimSocketOptions) {
    this.name = options.name;
    this.#options = options;
    this.ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 0 });
    this.opened = new Promise<number>((resolve, reject) => {
      this.ws.once("open", () => {
        this.#localPort = this.#socket()?.localPort ?? 0;
        if (options.token !== undefined) this.#write({ type: "auth", token: options.token });
        for (const send of this.#queue) send();
        this.#queue = [];
        resolve(this.localPort);
      });
      this.ws.once("error", reject);
    });
    // A refused connection also closes: the promise above carries the error.
    this.opened.catch(() => {});
    this.closed = new Promise<CloseInfo>((resolve) => {
      this.ws.once("close", (code, reason) => {
        this.closeInfo = {
          code,
          reason: reason.toString(),
          at: performance.now(),
          byClient: this.#closingByClient,
        };
        options.onClose?.(this.closeInfo, this);
        resolve(this.closeInfo);
      });
    });
    this.ws.on("error", () => {
      // Reported through `close`; an error must not escape as an uncaught exception.
    });
    this.ws.on("message", (data, isBinary) => this.#receive(data, isBinary));
  }

  /** The client's port once open (0 before): what the server sees as its peer's port. */
  get localPort(): number {
    return this.#localPort;
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** The client started closing it (close, terminate, dropMidFrame) and it is not closed yet. */
  get closing(): boolean {
    return this.#closingByClient && this.closeInfo === undefined;
  }

  /** Sends a frame (an object is sent as JSON, a string as it is); queued until open. */
  send(frame: object | string): void {
    const text = typeof frame === "string" ? frame : JSON.stringify(frame);
    this.#whenOpen(() => this.#write(text));
  }

  sendBinary(bytes: Uint8Array): void {
    this.#whenOpen(() => {
      this.sentFrames += 1;
      this.ws.send(bytes, { binary: true });
    });
  }

  /** A text frame whose payload is not UTF-8: ws cannot send one, so it is written by hand. */
  sendInvalidUtf8(): void {
    this.#whenOpen(() => {
      this.sentFrames += 1;
      this.#socket()?.write(maskedFrame(Buffer.from([0xc3, 0x28, 0xff, 0xfe])));
    });
  }

  /** Writes the start of a text frame and cuts the TCP connection before its end. */
  dropMidFrame(): void {
    this.#whenOpen(() => {
      this.#closingByClient = true;
      const frame = maskedFrame(
        Buffer.from(JSON.stringify({ type: "stats", pad: "x".repeat(512) })),
      );
      const socket = this.#socket();
      socket?.write(frame.subarray(0, Math.floor(frame.length / 2)), () => socket.destroy());
    });
  }

  /** Stops reading: what the server sends piles up in its send buffer. */
  pause(): void {
    this.ws.pause();
  }

  resume(): void {
    this.ws.resume();
  }

  /** Closes (1000) and resolves once closed. */
  close(code = 1000, reason = "tab closed"): Promise<CloseInfo> {
    this.#closingByClient = true;
    if (this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
    else if (this.ws.readyState === WebSocket.OPEN) this.ws.close(code, reason);
    return this.closed;
  }

  /** Cuts the connection without a close handshake. */
  terminate(): Promise<CloseInfo> {
    this.#closingByClient = true;
    this.ws.terminate();
    return this.closed;
  }

  #whenOpen(send: () => void): void {
    if (this.ws.readyState === WebSocket.CONNECTING) this.#queue.push(send);
    else if (this.ws.readyState === WebSocket.OPEN) send();
  }

  #write(frame: object | string): void {
    this.sentFrames += 1;
    this.ws.send(typeof frame === "string" ? frame : JSON.stringify(frame));
  }

  #receive(data: RawData, isBinary: boolean): void {
    const frame: ReceivedFrame = {
      no: this.received++,
      at: performance.now(),
      text: Buffer.isBuffer(data)
        ? data.toString("utf8")
        : Array.isArray(data)
          ? Buffer.concat(data).toString("utf8")
          : Buffer.from(data).toString("utf8"),
      binary: isBinary,
    };
    if (this.#options.record !== false) this.frames.push(frame);
    this.#options.onFrame?.(frame, this);
  }

  #socket(): Socket | undefined {
    return (this.ws as unknown as { _socket?: Socket })._socket;
  }
}

/** A client-to-server text frame, masked as RFC 6455 requires of clients. */
function maskedFrame(payload: Buffer): Buffer {
  const mask = randomBytes(4);
  const length = payload.length;
  const header =
    length < 126
      ? Buffer.from([0x81, 0x80 | length])
      : Buffer.from([0x81, 0x80 | 126, length >> 8, length & 0xff]);
  const body = Buffer.alloc(length);
  for (let i = 0; i < length; i++) body[i] = (payload[i] as number) ^ (mask[i % 4] as number);
  return Buffer.concat([header, mask, body]);
}

/** A user and their tabs. */
export class SimUser {
  readonly tabs = new Map<string, SimSocket>();

  constructor(
    readonly userId: string,
    readonly token: string,
    private readonly url: string,
    private readonly defaults: Omit<SimSocketOptions, "name" | "token"> = {},
  ) {}

  open(name: string, options: Omit<SimSocketOptions, "name" | "token"> = {}): SimSocket {
    const socket = new SimSocket(this.url, {
      ...this.defaults,
      ...options,
      name,
      token: this.token,
    });
    this.tabs.set(name, socket);
    return socket;
  }

  /** Closes tab `name` and opens a new one under the same name: the engine resumes the user. */
  async reconnect(name: string): Promise<SimSocket> {
    await this.tabs.get(name)?.close();
    return this.open(name);
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.tabs.values()].map((tab) => tab.close()));
  }
}
