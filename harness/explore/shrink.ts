/**
 * Shrinking a finding to a minimal witness, in two stages.
 *
 * 1. The scenario: fast-check replays the counterexample from its seed and path, then shrinks
 *    the workload (fewer users, connections, runs, steps; plainer steps; smaller numbers) with a
 *    property that fails only while the same clause breaks, so shrinking never wanders off to
 *    another defect. The strategy's own value is kept while it does (fast-check clones its
 *    scheduler, so each replay draws the same picks).
 * 2. The schedule: fast-check never shrinks its scheduler, so the harness shrinks the recorded
 *    picks toward FIFO (all zeros): first plain FIFO, then cutting the tail, then zeroing and
 *    lowering single picks, keeping each change that still breaks the clause. Later picks may
 *    mean other timers once an earlier one changes; the replayed picks are what counts.
 *
 * Then the scenario is shrunk once more under the shrunk schedule (what only mattered to the
 * strategy's random picks can go), and the schedule once more.
 *
 * Every stage is bounded by a number of evaluations, not by time, so a shrink gives the same
 * witness on every machine.
 */
import fc from "fast-check";
import type { Scenario } from "../run/scenario.ts";
import {
  type Decisions,
  deviations,
  expandDecisions,
  recording,
  replaying,
} from "../schedule/replay.ts";
import type { Strategy } from "../schedule/strategies.ts";
import { compileWorkload } from "../workload/compile.ts";
import type { Workload } from "../workload/model.ts";
import type { TimerChooser } from "../world/clock.ts";
import { type FindingKey, runTrial, type Target, type Trial } from "./trial.ts";

export interface ShrinkBudget {
  /** Evaluations fast-check may spend shrinking the scenario. */
  scenario: number;
  /** Evaluations the harness may spend shrinking the schedule. */
  schedule: number;
}

export const DEFAULT_SHRINK_BUDGET: ShrinkBudget = { scenario: 250, schedule: 40 };

export interface Shrunk {
  scenario: Scenario;
  retention: boolean;
  /** The picks of the final replay. */
  decisions: Decisions;
  trial: Trial;
  /** fast-check's path of the shrunk scenario. */
  path: string;
  evaluations: number;
}

export interface ShrinkInput {
  target: Target;
  strategy: Strategy;
  workloads: fc.Arbitrary<Workload>;
  seed: number;
  path: string;
  key: FindingKey;
  budget: ShrinkBudget;
}

/** Undefined when replaying the path does not break the clause again (a flaky engine). */
export async function shrinkFinding(input: ShrinkInput): Promise<Shrunk | undefined> {
  const { target, strategy, key, budget } = input;
  // Pass 1: the scenario, under the strategy's own value (fast-check keeps it while shrinking).
  const first = await shrinkScenario(input, input.path, strategy, budget.scenario);
  if (!first.found) return undefined;
  let evaluations = first.evaluations;
  const schedule = await shrinkSchedule(target, first.found, key, budget.schedule);
  evaluations += schedule.evaluations;
  let best: Omit<Shrunk, "path" | "evaluations"> = { ...first.found, ...schedule };
  let path = first.path;
  // Pass 2, when the schedule still deviates from FIFO: the scenario again, under the shrunk
  // schedule or one deviating from FIFO at a single early choice. Parts that only mattered to
  // the strategy's random picks can go now (a smaller scenario has other choices, where the old
  // picks may mean nothing). Then the schedule again.
  if (deviations(best.decisions) > 0) {
    const second = await shrinkScenario(
      input,
      path,
      nearby(best.decisions),
      Math.ceil(budget.scenario / 2),
    );
    evaluations += second.evaluations;
    if (second.found && second.path !== path) {
      const again = await shrinkSchedule(target, second.found, key, budget.schedule);
      evaluations += again.evaluations;
      best = { ...second.found, ...again };
      path = second.path;
    }
  }
  return { ...best, path, evaluations };
}

interface ScenarioPass {
  found?: Omit<Shrunk, "path" | "evaluations">;
  path: string;
  evaluations: number;
}

/**
 * fast-check replays `path` and shrinks from there with a property that fails only while `key`
 * breaks: under the strategy's own value, or under the first of some fixed schedules that
 * breaks it. The last failing evaluation is the shrunk counterexample.
 */
async function shrinkScenario(
  input: ShrinkInput,
  path: string,
  schedule: Strategy | Decisions[],
  budget: number,
): Promise<ScenarioPass> {
  const { target, strategy, key } = input;
  let evaluations = 0;
  let found: ScenarioPass["found"];
  const attempt = async (workload: Workload, chooser: TimerChooser) => {
    evaluations += 1;
    const scenario = compileWorkload(workload);
    const recorder = recording(chooser);
    const trial = await runTrial(target, scenario, {
      chooser: recorder.chooser,
      retention: workload.retention,
    });
    if (!trial.found.has(key)) return false;
    found = { scenario, retention: workload.retention, decisions: recorder.decisions, trial };
    return true;
  };
  const property = fc.asyncProperty(input.workloads, strategy.params, async (workload, params) => {
    // The first evaluation replays the counterexample itself; past the budget every candidate
    // "passes", which ends shrinking where it stands.
    if (evaluations > budget) return true;
    if (!Array.isArray(schedule))
      return !(await attempt(workload, schedule.chooser(params) ?? fifo));
    for (const decisions of schedule) {
      if (evaluations > budget) return true;
      if (await attempt(workload, replaying(decisions).chooser)) return false;
    }
    return true;
  });
  const details = await fc.check(property, { seed: input.seed, path });
  const result: ScenarioPass = { path: details.counterexamplePath ?? path, evaluations };
  if (found) result.found = found;
  return result;
}

/** The schedule itself, then FIFO but for one pick of the second timer at one of 8 choices. */
function nearby(decisions: Decisions): Decisions[] {
  const single = Array.from({ length: 8 }, (_, at) => expandDecisions([[at, 1]]));
  return [decisions, ...single];
}

const fifo = () => 0;

export async function shrinkSchedule(
  target: Target,
  found: { scenario: Scenario; retention: boolean; decisions: Decisions; trial: Trial },
  key: FindingKey,
  budget: number,
): Promise<{ decisions: Decisions; trial: Trial; evaluations: number }> {
  let evaluations = 0;
  let current = trimmed(found.decisions);
  let trial = found.trial;
  let replayed: Decisions | undefined;
  const attempt = async (candidate: Decisions): Promise<boolean> => {
    if (evaluations >= budget) return false;
    evaluations += 1;
    const replay = replaying(candidate);
    const result = await runTrial(target, found.scenario, {
      chooser: replay.chooser,
      retention: found.retention,
    });
    if (!result.found.has(key)) return false;
    current = trimmed(replay.decisions);
    trial = result;
    replayed = current;
    return true;
  };

  if (deviations(current) > 0 && !(await attempt([]))) {
    for (let chunk = highestPowerOfTwo(current.length); chunk >= 1; chunk >>= 1) {
      while (current.length >= chunk && (await attempt(current.slice(0, current.length - chunk))));
    }
    for (let i = current.length - 1; i >= 0; i -= 1) {
      if ((current[i] ?? 0) === 0) continue;
      const candidate = [...current];
      candidate[i] = 0;
      await attempt(candidate);
    }
    for (let i = 0; i < current.length; i += 1) {
      for (let value = 1; value < (current[i] ?? 0); value += 1) {
        const candidate = [...current];
        candidate[i] = value;
        if (await attempt(candidate)) break;
      }
    }
  }
  if (replayed === undefined) {
    // Nothing smaller broke the clause: replay the recorded picks once, so that the witness is
    // the one a replay gives (the recording and its replay make the same choices).
    const replay = replaying(current);
    const result = await runTrial(target, found.scenario, {
      chooser: replay.chooser,
      retention: found.retention,
    });
    evaluations += 1;
    if (result.found.has(key)) {
      trial = result;
      current = trimmed(replay.decisions);
    }
  }
  return { decisions: current, trial, evaluations };
}

function trimmed(decisions: readonly number[]): Decisions {
  let end = decisions.length;
  while (end > 0 && decisions[end - 1] === 0) end -= 1;
  return decisions.slice(0, end);
}

function highestPowerOfTwo(n: number): number {
  let power = 1;
  while (power * 2 <= n) power *= 2;
  return n === 0 ? 0 : power;
}
