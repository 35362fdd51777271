/**
 * Heap figures of one engine, after forced garbage collection:
 * - bytes per active user: `users` users attach and start a run each; with every run in flight
 *   (waiting on a tool's virtual latency), heap in use minus heap before, per user;
 * - bytes per completed run: `users` users attach and complete one run each (so per-user state
 *   and warm code are there), then RUNS_MEASURED more each; heap after minus heap before, per
 *   run. An engine that cleans up keeps about nothing per run.
 * Both include the harness's share per user (a connection and a pending promise), the same for
 * every engine, so ratios compare engines. Samples below zero (collection noise on an engine
 * that keeps nothing) count as zero.
 */
import type { EngineModule } from "../../contract/index.ts";
import { heapUsedBytes } from "../../memory/counts.ts";
import { collectGarbage } from "../../run/gc.ts";
import { Driver } from "./drive.ts";
import { type Budget, measure, type Stats } from "./stats.ts";

const RUNS_MEASURED = 3;

async function heapNow(): Promise<number> {
  if (!(await collectGarbage())) throw new Error("forced garbage collection is not available");
  return heapUsedBytes();
}

export async function heapPerActiveUser(
  module: EngineModule,
  users: number,
  budget: Budget,
): Promise<Stats> {
  const result = await measure(`${module.name} heap per active user`, budget, async () => {
    const started = performance.now();
    const before = await heapNow();
    const driver = new Driver(module, users);
    const runs: Promise<unknown>[] = [];
    for (let u = 1; u <= users; u += 1) driver.attach(`u${u}`);
    for (let u = 1; u <= users; u += 1) runs.push(driver.start(`u${u}`));
    await driver.idle();
    const during = await heapNow();
    await driver.settle(runs);
    await driver.shutdown();
    return { value: (during - before) / users, costMs: performance.now() - started };
  });
  return result.latency;
}

export async function heapPerCompletedRun(
  module: EngineModule,
  users: number,
  budget: Budget,
): Promise<Stats> {
  const result = await measure(`${module.name} heap per completed run`, budget, async () => {
    const started = performance.now();
    const driver = new Driver(module, users);
    const ids = Array.from({ length: users }, (_, i) => `u${i + 1}`);
    for (const id of ids) driver.attach(id);
    await driver.settle(ids.map((id) => driver.start(id)));
    const before = await heapNow();
    for (let r = 0; r < RUNS_MEASURED; r += 1)
      await driver.settle(ids.map((id) => driver.start(id)));
    const after = await heapNow();
    await driver.shutdown();
    return {
      value: (after - before) / (users * RUNS_MEASURED),
      costMs: performance.now() - started,
    };
  });
  return result.latency;
}
