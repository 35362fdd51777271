/**
 * The `random` strategy: fast-check's own scheduler decides. Every timer due at the current
 * instant becomes one task of the `fc.scheduler()` value fast-check generated for the property
 * run, and `waitOne()` picks which fires next (uniformly, from that value's random stream). The
 * pick is read synchronously: `waitOne` calls the chosen task's act before it returns.
 */
import type fc from "fast-check";
import type { TimerChooser } from "../world/clock.ts";

export function fastCheckChooser(scheduler: fc.Scheduler): TimerChooser {
  /** Timers that have a task in the scheduler, not yet picked. */
  const scheduled = new Set<number>();
  /** Set by the picked task's act, which `waitOne` runs before it returns. */
  let picked: number | undefined;
  return (_count, timers) => {
    for (const timer of timers) {
      if (scheduled.has(timer.id)) continue;
      scheduled.add(timer.id);
      // The task itself does nothing: firing the timer is the clock's job once it is picked.
      void scheduler.schedule(Promise.resolve(), `timer ${timer.id}`, timer.id, (act) => {
        picked = timer.id;
        return act();
      });
    }
    // A picked task whose timer was cleared since it was scheduled is spent: pick again.
    while (scheduler.count() > 0) {
      picked = undefined;
      void scheduler.waitOne();
      if (picked === undefined) break;
      scheduled.delete(picked);
      const index = timers.findIndex((timer) => timer.id === picked);
      if (index >= 0) return index;
    }
    return 0;
  };
}
