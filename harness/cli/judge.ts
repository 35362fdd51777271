/**
 * Compares a run's engines with the baseline and says what the command exits with: 3 if an
 * engine could not be loaded or started, else 1 on an unexpected break or a stale baseline entry,
 * else 0. A shard judges no staleness: a listed break it did not see may be another shard's, so
 * only the merge (`crosstalk report --merge`) can call an entry stale.
 */
import {
  type Baseline,
  type BaselineComparison,
  compareWithBaseline,
  isAsExpected,
} from "../conformance/baseline.ts";
import type { EngineReport } from "../conformance/check-engine.ts";
import { EXIT } from "./exit-codes.ts";

export interface Judgement {
  comparisons: BaselineComparison[];
  exitCode: number;
}

/** Marks each broken clause expected or not, and each engine's stale entries, in place. */
export function judge(
  engines: EngineReport[],
  baseline: Baseline,
  { stale = true }: { stale?: boolean } = {},
): Judgement {
  const comparisons: BaselineComparison[] = [];
  for (const engine of engines) {
    if (engine.failure) continue;
    const comparison = compareWithBaseline(engine, baseline);
    if (!stale) comparison.stale = [];
    if (comparison.stale.length > 0) engine.stale = comparison.stale;
    else delete engine.stale;
    comparisons.push(comparison);
  }
  const exitCode = engines.some((e) => e.failure)
    ? EXIT.engine
    : comparisons.every(isAsExpected)
      ? EXIT.ok
      : EXIT.unexpected;
  return { comparisons, exitCode };
}
