// legacy-shared: the legacy models' common, correct plumbing, not part of any model's defects.
// This file: asyncio.Semaphore: FIFO waiters, release() hands the permit to the oldest waiter.
// It imports nothing; how many permits, and who forgets to release, is each model's own business.

export interface Waiter {
  readonly grant: () => void;
  readonly refuse: (error: Error) => void;
}

export class Semaphore {
  #permits: number;
  readonly #waiters: Waiter[] = [];

  constructor(readonly limit: number) {
    this.#permits = limit;
  }

  get waiting(): number {
    return this.#waiters.length;
  }

  /** Whether an acquire now would have to wait. */
  get locked(): boolean {
    return this.#permits <= 0;
  }

  /** Resolves when a permit is held; `onWait` receives the waiter so it can be withdrawn. */
  acquire(onWait: (waiter: Waiter) => void): Promise<void> {
    if (this.#permits > 0) {
      this.#permits -= 1;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { grant: resolve, refuse: reject };
      this.#waiters.push(waiter);
      onWait(waiter);
    });
  }

  release(): void {
    const next = this.#waiters.shift();
    if (next) next.grant();
    else this.#permits = Math.min(this.limit, this.#permits + 1);
  }

  /** Takes a waiter out of the queue (it gave up); false when it was not there. */
  withdraw(waiter: Waiter, error: Error): boolean {
    const index = this.#waiters.indexOf(waiter);
    if (index < 0) return false;
    this.#waiters.splice(index, 1);
    waiter.refuse(error);
    return true;
  }
}
