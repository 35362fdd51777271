/**
 * Waits until an engine accepts WebSocket connections: a completed handshake, not merely an open
 * TCP port (a container's port proxy accepts TCP before the engine inside listens). The probe
 * closes at once without authenticating, which the protocol allows.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { WebSocket } from "ws";

export interface ReadyOptions {
  /** Give up after this long (ms). */
  deadlineMs: number;
  /** Stop waiting when this settles (the engine exited): its rejection is what `waitUntilAccepting` rejects with. */
  gaveUp?: Promise<never>;
  /** Between attempts (ms). */
  retryMs?: number;
}

export class NotReadyError extends Error {
  override name = "NotReadyError";
}

export async function waitUntilAccepting(url: string, options: ReadyOptions): Promise<void> {
  const started = performance.now();
  let lastError = "no attempt made";
  let stop = false;
  const attempts = (async () => {
    while (!stop) {
      const left = options.deadlineMs - (performance.now() - started);
      if (left <= 0) break;
      const outcome = await handshake(url, Math.min(left, 2000));
      if (outcome === true) return;
      lastError = outcome;
      await sleep(options.retryMs ?? 50);
    }
    if (!stop) {
      throw new NotReadyError(
        `no WebSocket handshake with ${url} within ${options.deadlineMs} ms (last attempt: ${lastError})`,
      );
    }
  })();
  try {
    await (options.gaveUp ? Promise.race([attempts, options.gaveUp]) : attempts);
  } finally {
    stop = true;
    attempts.catch(() => {});
  }
}

/** One attempt: true once the handshake completed, otherwise why it did not. */
function handshake(url: string, timeoutMs: number): Promise<true | string> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: timeoutMs });
    socket.once("open", () => {
      socket.terminate();
      resolve(true);
    });
    socket.once("error", (error) => {
      socket.terminate();
      resolve(error.message || String(error));
    });
  });
}
