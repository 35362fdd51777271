/**
 * Forced garbage collection. Uses `--expose-gc` when the process has it, otherwise turns the
 * flag on at run time (V8 honours it for functions created afterwards).
 */
import { setImmediate as nextMacrotask } from "node:timers/promises";
import v8 from "node:v8";
import vm from "node:vm";

let cached: (() => void) | null | undefined;

export function gcFunction(): (() => void) | undefined {
  if (cached !== undefined) return cached ?? undefined;
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (typeof exposed === "function") {
    cached = exposed;
    return exposed;
  }
  try {
    v8.setFlagsFromString("--expose-gc");
    const gc = vm.runInNewContext("gc") as unknown;
    cached = typeof gc === "function" ? (gc as () => void) : null;
  } catch {
    cached = null;
  }
  return cached ?? undefined;
}

/**
 * Collects until weak references have had a chance to clear: WeakRef targets survive the job
 * that last touched them, so each round yields a macrotask before collecting again.
 */
export async function collectGarbage(rounds = 3): Promise<boolean> {
  const gc = gcFunction();
  if (!gc) return false;
  for (let i = 0; i < rounds; i += 1) {
    await nextMacrotask();
    gc();
  }
  await nextMacrotask();
  return true;
}
