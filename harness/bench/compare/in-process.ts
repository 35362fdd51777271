/**
 * In-process figures of one engine: runs per second at each user count (run and recorded, not
 * checked: the engine's cost, with the runner's fixed share), and the harness's own checking
 * overhead: the same workload timed with the checkers off and on. Alongside wall time, each
 * measured iteration's CPU time (this process, all threads) is kept: on a machine shared with
 * other work, wall time mostly measures the others, CPU time much less so.
 */
import { checkHistory } from "../../checkers/index.ts";
import type { EngineModule } from "../../contract/index.ts";
import { type Budget, measure, type Phase, type Stats, summarise } from "./stats.ts";
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

/** Checked runs made before timing, so the checkers are compiled when the timing starts. */
const CHECKER_WARMUP_RUNS = 3;

/**
 * The same workload unchecked and checked, interleaved in one timed task, the order alternating:
 * both see the same JIT state, heap and machine load. Timed one after the other instead, the
 * checked runs paid for compiling the checkers and whatever the machine did meanwhile.
 */
export async function checkingCost(
  module: EngineModule,
  workload: Workload,
  budget: Budget,
): Promise<CheckingCost> {
  const meters = { unchecked: new CpuMeter(), checked: new CpuMeter() };
  const samples = { unchecked: [] as number[], checked: [] as number[] };
  const once = async (check: boolean, phase: Phase) => {
    const cpuFrom = process.cpuUsage();
    const started = performance.now();
    const history = await runOnce(module, workload);
    if (check) checkHistory(history);
    const ms = performance.now() - started;
    const which = check ? "checked" : "unchecked";
    meters[which].add(phase, cpuMsSince(cpuFrom));
    if (phase === "run") samples[which].push(ms);
    return ms;
  };
  if (budget.warmup) {
    for (let i = 0; i < CHECKER_WARMUP_RUNS; i += 1) await once(true, "warmup");
  }
  let checkedFirst = false;
  await measure(`${module.name} ${workload.id} unchecked and checked`, budget, async (phase) => {
    checkedFirst = !checkedFirst;
    const first = await once(checkedFirst, phase);
    const second = await once(!checkedFirst, phase);
    return { value: first + second, costMs: first + second };
  });
  return {
    unchecked: await summarise(`${workload.id} unchecked`, samples.unchecked),
    checked: await summarise(`${workload.id} checked`, samples.checked),
    uncheckedCpuMs: meters.unchecked.mean,
    checkedCpuMs: meters.checked.mean,
  };
}
