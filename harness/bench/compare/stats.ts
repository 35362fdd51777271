/**
 * tinybench, used two ways. `measure` runs a task under the budget and takes each iteration's
 * own sample (a duration, or any non-negative quantity the task reports as `overriddenDuration`,
 * such as bytes per user or ms per run). `summarise` hands samples gathered in those iterations
 * (e.g. each iteration's latency p99) to tinybench so every figure carries tinybench's own mean,
 * relative margin of error and sample count.
 */
import { Bench, type Statistics } from "tinybench";

export interface Budget {
  /** tinybench `time`: minimum milliseconds per task. */
  timeMs: number;
  /** tinybench `iterations`: minimum iterations per task. */
  iterations: number;
  warmup: boolean;
}

export interface Stats {
  mean: number;
  /** Percent; null when the mean is 0 and a relative margin is undefined. */
  rme: number | null;
  samples: number;
  p99: number;
}

/** What a task returns per iteration: its sample, and what the iteration really cost in ms. */
export interface Sample {
  value: number;
  costMs: number;
}

export type Phase = "warmup" | "run";

/**
 * Runs `task` under the budget. `task` gets the phase so it can leave warm-up iterations out of
 * anything it gathers on the side. Returns tinybench's statistics of the samples, or throws the
 * task's error.
 */
export async function measure(
  name: string,
  budget: Budget,
  task: (phase: Phase) => Promise<Sample>,
): Promise<{ latency: Stats; throughput: Stats }> {
  let phase: Phase = "warmup";
  const bench = new Bench({
    time: budget.timeMs,
    iterations: budget.iterations,
    warmup: budget.warmup,
    warmupIterations: Math.min(2, budget.iterations),
    warmupTime: Math.min(250, budget.timeMs / 4),
    throws: true,
  });
  bench.add(
    name,
    async () => {
      const sample = await task(phase);
      // A negative quantity (heap noise) would make tinybench fall back to the measured time.
      return {
        overriddenDuration: Math.max(0, sample.value),
        overriddenIterationCost: sample.costMs,
      };
    },
    {
      beforeAll(mode) {
        phase = mode === "warmup" ? "warmup" : "run";
      },
    },
  );
  await bench.run();
  const result = bench.tasks[0]?.result;
  if (result?.state !== "completed") {
    throw new Error(`benchmark task ${name} did not complete (${result?.state ?? "no result"})`);
  }
  return { latency: stats(result.latency), throughput: stats(result.throughput) };
}

/** tinybench's statistics of samples already gathered (one per measured iteration). */
export async function summarise(name: string, values: readonly number[]): Promise<Stats> {
  if (values.length === 0) return { mean: Number.NaN, rme: null, samples: 0, p99: Number.NaN };
  let next = 0;
  const bench = new Bench({ time: 0, iterations: values.length, warmup: false, throws: true });
  bench.add(name, () => ({
    overriddenDuration: Math.max(0, values[next++ % values.length] as number),
    overriddenIterationCost: 0,
  }));
  await bench.run();
  const result = bench.tasks[0]?.result;
  if (result?.state !== "completed") throw new Error(`summarising ${name} failed`);
  return stats(result.latency);
}

function stats(s: Statistics): Stats {
  return {
    mean: s.mean,
    rme: Number.isFinite(s.rme) ? s.rme : null,
    samples: s.samplesCount,
    p99: s.p99,
  };
}
