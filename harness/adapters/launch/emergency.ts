/**
 * Last-resort cleanup of what the launchers started, for when crosstalk itself is interrupted
 * before it could stop them: each registered action runs once, synchronously, on exit and on
 * SIGINT/SIGTERM/SIGHUP. (A SIGKILL of crosstalk cannot be intercepted; nothing can clean up
 * after that, which is why CI also stops its container runtime on exit.)
 */

type Cleanup = () => void;

const pending = new Set<Cleanup>();
const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/** Registers `cleanup`; the returned function unregisters it (call it once stopped normally). */
export function onEmergency(cleanup: Cleanup): () => void {
  if (pending.size === 0) install();
  pending.add(cleanup);
  return () => {
    pending.delete(cleanup);
    if (pending.size === 0) uninstall();
  };
}

function runAll(): void {
  for (const cleanup of pending) {
    try {
      cleanup();
    } catch {
      // Best effort: one failure must not stop the others.
    }
  }
  pending.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  runAll();
  uninstall();
  // Without our handler, the signal's default (or someone else's handler) decides what happens.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function install(): void {
  process.on("exit", runAll);
  for (const signal of SIGNALS) process.on(signal, onSignal);
}

function uninstall(): void {
  process.off("exit", runAll);
  for (const signal of SIGNALS) process.off(signal, onSignal);
}
