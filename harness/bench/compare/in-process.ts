/**
 * In-process figures of one engine: runs per second at each user count (run and recorded, not
 * checked: the engine's cost, with the runner's fixed share), and the harness's own checking
 * overhead: the same workload timed with the checkers off and on.
 */
import { checkHistory } from "../../checkers/index.ts";
import type { EngineModule } from "../../contract/index.ts";
import { type Budget, measure, type Stats } from "./stats.ts";
import { runOnce, type Workload } from "./workloads.ts";

export interface RunsPerSecond {
  /** Runs per second (tinybench's throughput of one-run samples). */
  throughput: Stats;
  /** Milliseconds per run. */
  perRun: Stats;
}

/** Times the workload; each sample is the iteration's milliseconds per run. */
export async function runsPerSecond(
  module: EngineModule,
  workload: Workload,
  budget: Budget,
): Promise<RunsPerSecond> {
  const result = await measure(`${module.name} ${workload.id}`, budget, async () => {
    const started = performance.now();
    const history = await runOnce(module, workload);
    const costMs = performance.now() - started;
    if (history.failure) throw new Error(`${history.failure.phase}: ${history.failure.message}`);
    return { value: costMs / workload.runs, costMs };
  });
  return { throughput: result.throughput, perRun: result.latency };
}

export interface CheckingCost {
  /** Milliseconds per scenario, run and recorded only. */
  unchecked: Stats;
  /** Milliseconds per scenario, run, recorded and judged by every checker. */
  checked: Stats;
}

export async function checkingCost(
  module: EngineModule,
  workload: Workload,
  budget: Budget,
): Promise<CheckingCost> {
  const time = (check: boolean) =>
    measure(
      `${module.name} ${workload.id} ${check ? "checked" : "unchecked"}`,
      budget,
      async () => {
        const started = performance.now();
        const history = await runOnce(module, workload);
        if (check) checkHistory(history);
        const costMs = performance.now() - started;
        return { value: costMs, costMs };
      },
    );
  const unchecked = (await time(false)).latency;
  const checked = (await time(true)).latency;
  return { unchecked, checked };
}
