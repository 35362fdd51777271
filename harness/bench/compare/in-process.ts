/**
 * In-process figures of one engine: runs per second at each user count (run and recorded, not
 * checked: the engine's cost, with the runner's fixed share), and the harness's own checking
 * overhead: the same workload timed with the checkers off and on. Alongside wall time, each
 * measured iteration's CPU time (this process, all threads) is kept: on a machine shared with
 * other work, wall time mostly measures the others, CPU time much less so.
 */
import { checkHistory } from "../../checkers/index.ts";
import type { EngineModule } from "../../contract/index.ts";
import { type Budget, measure, type Phase, type Stats } from "./stats.ts";
import { runOnce, type Workload } from "./workloads.ts";

export interface RunsPerSecond {
  /** Runs per second (tinybench's throughput of one-run samples). */
  throughput: Stats;
  /** Milliseconds per run. */
  perRun: Stats;
  /** Mean CPU milliseconds per run over the measured iterations. */
  cpuMsPerRun: number;
}

/** CPU milliseconds of this process (user + system, every thread) since `from`. */
export function cpuMsSince(from: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(from);
  return (used.user + used.system) / 1000;
}

/** Mean CPU time of the measured (not warm-up) iterations. */
class CpuMeter {
  #total = 0;
  #count = 0;

  add(phase: Phase, ms: number): void {
    if (phase !== "run") return;
    this.#total += ms;
    this.#count += 1;
  }

  get mean(): number {
    return this.#count > 0 ? this.#total / this.#count : Number.NaN;
  }
}

/** Times the workload; each sample is the iteration's milliseconds per run. */
export async function runsPerSecond(
  module: EngineModule,
  workload: Workload,
  budget: Budget,
): Promise<RunsPerSecond> {
  const cpu = new CpuMeter();
  const result = await measure(`${module.name} ${workload.id}`, budget, async (phase) => {
    const cpuFrom = process.cpuUsage();
    const started = performance.now();
    const history = await runOnce(module, workload);
    const costMs = performance.now() - started;
    cpu.add(phase, cpuMsSince(cpuFrom) / workload.runs);
    if (history.failure) throw new Error(`${history.failure.phase}: ${history.failure.message}`);
    return { value: costMs / workload.runs, costMs };
  });
  return { throughput: result.throughput, perRun: result.latency, cpuMsPerRun: cpu.mean };
}

export interface CheckingCost {
  /** Milliseconds per scenario, run and recorded only. */
  unchecked: Stats;
  /** Milliseconds per scenario, run, recorded and judged by every checker. */
  checked: Stats;
  /** Mean CPU milliseconds per scenario, unchecked and checked. */
  uncheckedCpuMs: number;
  checkedCpuMs: number;
}

export async function checkingCost(
  module: EngineModule,
  workload: Workload,
  budget: Budget,
): Promise<CheckingCost> {
  const time = async (check: boolean) => {
    const cpu = new CpuMeter();
    const name = `${module.name} ${workload.id} ${check ? "checked" : "unchecked"}`;
    const result = await measure(name, budget, async (phase) => {
      const cpuFrom = process.cpuUsage();
      const started = performance.now();
      const history = await runOnce(module, workload);
      if (check) checkHistory(history);
      const costMs = performance.now() - started;
      cpu.add(phase, cpuMsSince(cpuFrom));
      return { value: costMs, costMs };
    });
    return { stats: result.latency, cpuMs: cpu.mean };
  };
  const unchecked = await time(false);
  const checked = await time(true);
  return {
    unchecked: unchecked.stats,
    checked: checked.stats,
    uncheckedCpuMs: unchecked.cpuMs,
    checkedCpuMs: checked.cpuMs,
  };
}
