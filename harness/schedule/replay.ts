/**
 * The schedule as data: the index a chooser picked at each real choice (two or more timers due
 * at one instant), in order. Recording it turns any strategy's run into a value; replaying it
 * reproduces the run exactly; shrinking it toward all zeros (the FIFO order) is what the
 * harness does to a schedule, since fast-check never shrinks its own scheduler.
 */
import type { TimerChooser } from "../world/clock.ts";

/** The picks of one run; an index past the end, or a missing one, means 0 (FIFO). */
export type Decisions = number[];

export interface Recording {
  chooser: TimerChooser;
  decisions: Decisions;
}

/** Wraps a chooser and keeps what it picked. */
export function recording(inner: TimerChooser): Recording {
  const decisions: Decisions = [];
  return {
    decisions,
    chooser: (count, timers) => {
      const index = Math.min(Math.max(0, Math.floor(inner(count, timers))), count - 1);
      decisions.push(index);
      return index;
    },
  };
}

/** Picks what `decisions` says, then FIFO; an index too large for the choice wraps around. */
export function replaying(decisions: readonly number[]): Recording {
  let position = 0;
  return recording((count) => {
    const next = decisions[position] ?? 0;
    position += 1;
    return next % count;
  });
}

/** Non-zero picks only, as [position, index] pairs: the compact form for tokens. */
export function compactDecisions(decisions: readonly number[]): [number, number][] {
  const pairs: [number, number][] = [];
  decisions.forEach((index, position) => {
    if (index !== 0) pairs.push([position, index]);
  });
  return pairs;
}

export function expandDecisions(pairs: readonly (readonly [number, number])[]): Decisions {
  const decisions: Decisions = [];
  for (const [position, index] of pairs) {
    while (decisions.length < position) decisions.push(0);
    decisions[position] = index;
  }
  return decisions;
}

/** How far a schedule is from FIFO: its number of non-zero picks. */
export function deviations(decisions: readonly number[]): number {
  return decisions.filter((index) => index !== 0).length;
}
