/**
 * Slots. Each user has a FIFO of waiting runs and at most `perUser` active runs; all users
 * share `global` slots. A run starts at once when its user is under the limit, has nobody
 * queued ahead and a global slot is free; otherwise it waits, and free slots go round-robin
 * over the users with waiting runs (concurrency.fairness). The scheduler only counts: the
 * engine starts what `next()` hands it and calls `release()` on every end path.
 */
import type { Run } from "./run.ts";
import type { UserState } from "./users.ts";

export class Scheduler {
  private running = 0;
  /**
   * Users with waiting runs, in round-robin order: a user served moves to the back, a user
   * skipped because it is at its own limit keeps its place for the next free slot.
   */
  private readonly waiting = new Set<UserState>();

  constructor(
    private readonly perUser: number,
    private readonly global: number,
  ) {}

  /** Whether a new run of `user` (undefined: a user with no state yet) would have to wait. */
  mustWait(user: UserState | undefined): boolean {
    if (this.running >= this.global) return true;
    return user !== undefined && (user.queue.length > 0 || user.active.size >= this.perUser);
  }

  enqueue(run: Run): void {
    run.user.queue.push(run);
    this.waiting.add(run.user);
  }

  /** Take a queued run out of its user's queue; false when it was not queued. */
  unqueue(run: Run): boolean {
    const queue = run.user.queue;
    const index = queue.indexOf(run);
    if (index < 0) return false;
    queue.splice(index, 1);
    if (queue.length === 0) this.waiting.delete(run.user);
    return true;
  }

  /** The next run to start, already counted as active, or undefined when none may start now. */
  next(): Run | undefined {
    if (this.running >= this.global) return undefined;
    for (const user of this.waiting) {
      if (user.active.size >= this.perUser) continue;
      const run = user.queue.shift();
      this.waiting.delete(user);
      if (user.queue.length > 0) this.waiting.add(user);
      if (!run) continue;
      user.active.add(run);
      this.running++;
      return run;
    }
    return undefined;
  }

  /** Give back the slot of an active run (idempotent). */
  release(run: Run): void {
    if (run.user.active.delete(run)) this.running--;
  }
}
