/** A hand-written contract scenario: the situation, and the clauses it is there to exercise. */
import type { ClauseId } from "../contract/index.ts";
import type { RunOptions } from "../run/runner.ts";
import type { Scenario } from "../run/scenario.ts";

export interface ConformanceScenario {
  scenario: Scenario;
  /** The clauses this scenario exists to exercise; every checker still reads its history. */
  clauses: ClauseId[];
  /** Runner options it needs, e.g. retention tracking for cleanup.*. */
  options?: Pick<RunOptions, "checkRetention">;
}
