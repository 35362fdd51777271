/**
 * The `pct` strategy: Probabilistic Concurrency Testing (Burckhardt et al., ASPLOS 2010), as
 * in Coyote and shuttle. Each thread gets a random priority when first seen; at every choice
 * the due timer of the highest-priority thread fires; at `d - 1` change points (choice numbers
 * drawn in advance) the thread that was just chosen drops below every initial priority. A bug
 * that needs `d` ordering constraints is found with probability at least 1/(n·k^(d-1)), where a
 * uniform pick can make that exponentially small in the number of steps.
 *
 * A thread here is a timer's lineage (see DueTimer): the causal chain an operation started,
 * so one run's steps, its tools and its timeout are threads that race each other.
 */
import type { TimerChooser } from "../world/clock.ts";
import { mulberry32 } from "./prng.ts";

export interface PctParams {
  /** Seeds the priorities. */
  seed: number;
  /** The choices (1-based, counting only real choices) after which priorities change. */
  changes: number[];
}

export function pctChooser(params: PctParams): TimerChooser {
  const random = mulberry32(params.seed);
  const depth = params.changes.length + 1;
  const priorities = new Map<number, number>();
  let choice = 0;
  const priorityOf = (lineage: number): number => {
    let priority = priorities.get(lineage);
    if (priority === undefined) {
      // Initial priorities are in [depth, depth + 1): above every lowered one.
      priority = depth + random();
      priorities.set(lineage, priority);
    }
    return priority;
  };
  return (_count, timers) => {
    choice += 1;
    let best = 0;
    let bestPriority = Number.NEGATIVE_INFINITY;
    timers.forEach((timer, index) => {
      const priority = priorityOf(timer.lineage);
      if (priority > bestPriority) {
        best = index;
        bestPriority = priority;
      }
    });
    params.changes.forEach((at, i) => {
      const lineage = timers[best]?.lineage;
      if (at === choice && lineage !== undefined) priorities.set(lineage, depth - 1 - i);
    });
    return best;
  };
}
