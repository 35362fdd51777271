/**
 * When the wire is quiet (every frame a client sent handled, every socket opened or closed) and
 * drained (every frame the gateway wrote arrived): the ws runner moves the virtual clock only
 * then (see ws-runner.ts). Waiters are woken by the driver's parts as frames come and go.
 */
import { setImmediate as nextMacrotask } from "node:timers/promises";
import type { Sock } from "./ws-state.ts";

export class Quiescence {
  readonly #socks: readonly Sock[];
  readonly #waiting = new Set<() => void>();
  #poked = false;

  constructor(socks: readonly Sock[]) {
    this.#socks = socks;
  }

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
      if (!(await this.until(() => this.isQuiet(), deadline))) return false;
      await nextMacrotask();
      if (this.isQuiet()) return true;
    }
  }

  /** Waits until every frame the gateway wrote has arrived (or its socket is gone). */
  drain(deadline: number): Promise<boolean> {
    return this.until(() => this.#socks.every((s) => s.closed || s.slots.size === 0), deadline);
  }

  /** Waits until every socket that never authenticated has been closed by the gateway. */
  unauthenticatedClosed(deadline: number): Promise<boolean> {
    return this.until(() => this.#socks.every((s) => s.closed || s.log.authenticated), deadline);
  }

  async until(done: () => boolean, deadline = Number.POSITIVE_INFINITY): Promise<boolean> {
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
  poke = (): void => {
    if (this.#poked || this.#waiting.size === 0) return;
    this.#poked = true;
    setImmediate(() => {
      this.#poked = false;
      for (const wake of [...this.#waiting]) wake();
    });
  };
}
