/**
 * Scheduling strategies, selectable by name: each says what it draws from fast-check per
 * property run, and turns that into a TimerChooser for one run of a scenario.
 */
import fc from "fast-check";
import type { TimerChooser } from "../world/clock.ts";
import { fastCheckChooser } from "./fast-check.ts";
import { type PctParams, pctChooser } from "./pct.ts";

export interface Strategy<P = unknown> {
  readonly name: StrategyName;
  readonly description: string;
  /** What the strategy draws per property run (part of the generated value). */
  readonly params: fc.Arbitrary<P>;
  /** A fresh chooser for one run; undefined means the clock's FIFO order. */
  chooser(params: P): TimerChooser | undefined;
}

/** Real choices a PCT change point is drawn among: about what one explored scenario makes. */
export const PCT_HORIZON = 60;

const fifo: Strategy<null> = {
  name: "fifo",
  description: "timers due together fire in the order they were set (no exploration)",
  params: fc.constant(null),
  chooser: () => undefined,
};

const random: Strategy<fc.Scheduler> = {
  name: "random",
  description: "fast-check's scheduler: each due timer is a task, waitOne picks uniformly",
  params: fc.scheduler(),
  chooser: (scheduler) => fastCheckChooser(scheduler),
};

const pct: Strategy<PctParams> = {
  name: "pct",
  description: "PCT: random thread priorities, up to 2 priority-change points (depth ≤ 3)",
  params: fc.record({
    seed: fc.nat(),
    changes: fc.array(fc.integer({ min: 1, max: PCT_HORIZON }), { maxLength: 2 }),
  }),
  chooser: (params) => pctChooser(params),
};

export const STRATEGIES = { fifo, random, pct } as const;
export type StrategyName = keyof typeof STRATEGIES;
export const STRATEGY_NAMES = Object.keys(STRATEGIES) as StrategyName[];
export const DEFAULT_STRATEGY: StrategyName = "pct";

export function isStrategyName(value: string): value is StrategyName {
  return Object.hasOwn(STRATEGIES, value);
}

export function strategyOf(name: StrategyName): Strategy {
  return STRATEGIES[name] as Strategy;
}
