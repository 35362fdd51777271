/**
 * Models `request_scoped_execution_engine` (see index.ts for the defects it keeps).
 * This file: the per-user slots the per-request engines are handed by their factory
 * (perUserConcurrency, FIFO per user, globalConcurrency shared round-robin). LEGACY.md lists no
 * concurrency defect for this engine, so this part is correct.
 */

export interface Waiter {
  readonly userId: string;
  /** Called when the waiter is given a slot (already counted). */
  start(): void;
}

export class UserSlots {
  #running = 0;
  readonly #active = new Map<string, number>();
  readonly #queues = new Map<string, Waiter[]>();
  /** Users with waiting runs, in round-robin order: a user served moves to the back. */
  readonly #waiting = new Set<string>();
  #pumping = false;

  constructor(
    private readonly perUser: number,
    private readonly global: number,
    private readonly maxQueuedPerUser: number,
  ) {}

  /** "started": the waiter holds a slot now (start() was NOT called); "queued"; or "full". */
  request(waiter: Waiter): "started" | "queued" | "full" {
    const queue = this.#queues.get(waiter.userId);
    if ((!queue || queue.length === 0) && this.#canStart(waiter.userId)) {
      this.#take(waiter.userId);
      return "started";
    }
    if ((queue?.length ?? 0) >= this.maxQueuedPerUser) return "full";
    if (queue) queue.push(waiter);
    else this.#queues.set(waiter.userId, [waiter]);
    this.#waiting.add(waiter.userId);
    return "queued";
  }

  /** Take a queued waiter out; false when it was not queued. */
  remove(waiter: Waiter): boolean {
    const queue = this.#queues.get(waiter.userId);
    const index = queue?.indexOf(waiter) ?? -1;
    if (!queue || index < 0) return false;
    queue.splice(index, 1);
    if (queue.length === 0) {
      this.#queues.delete(waiter.userId);
      this.#waiting.delete(waiter.userId);
    }
    return true;
  }

  release(userId: string): void {
    const count = this.#active.get(userId) ?? 0;
    if (count <= 0) return;
    if (count === 1) this.#active.delete(userId);
    else this.#active.set(userId, count - 1);
    this.#running--;
    this.pump();
  }

  /** Start what may start now; re-entrant calls fall through to the outer loop. */
  pump(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      for (;;) {
        const waiter = this.#next();
        if (!waiter) break;
        try {
          waiter.start();
        } catch {
          // start() guards itself; a throw here must not stop the next run from starting.
        }
      }
    } finally {
      this.#pumping = false;
    }
  }

  #next(): Waiter | undefined {
    if (this.#running >= this.global) return undefined;
    for (const userId of this.#waiting) {
      if ((this.#active.get(userId) ?? 0) >= this.perUser) continue;
      const queue = this.#queues.get(userId);
      const waiter = queue?.shift();
      this.#waiting.delete(userId);
      if (queue && queue.length > 0) this.#waiting.add(userId);
      else this.#queues.delete(userId);
      if (!waiter) continue;
      this.#take(userId);
      return waiter;
    }
    return undefined;
  }

  #canStart(userId: string): boolean {
    return this.#running < this.global && (this.#active.get(userId) ?? 0) < this.perUser;
  }

  #take(userId: string): void {
    this.#active.set(userId, (this.#active.get(userId) ?? 0) + 1);
    this.#running++;
  }
}
