/**
 * `isolated-factory` model (execution_factory): asyncio.Lock and asyncio.Semaphore as the
 * factory used them. The lock is not re-entrant: a task that holds it and asks for it again
 * waits for itself, for ever (a promise that never settles, no timer, no loop).
 */

/** asyncio.Lock: FIFO, not re-entrant. */
export class Lock {
  #held = false;
  readonly #waiters: (() => void)[] = [];

  get locked(): boolean {
    return this.#held;
  }

  acquire(): Promise<void> {
    if (!this.#held) {
      this.#held = true;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      this.#waiters.push(resolve);
    });
  }

  release(): void {
    const next = this.#waiters.shift();
    if (next) next();
    else this.#held = false;
  }

  /** `async with lock:` */
  async hold<T>(body: () => Promise<T> | T): Promise<T> {
    await this.acquire();
    try {
      return await body();
    } finally {
      this.release();
    }
  }
}

export interface Waiter {
  readonly grant: () => void;
  readonly refuse: (error: Error) => void;
}

/** asyncio.Semaphore: FIFO waiters; release() hands the permit to the oldest one. */
export class Semaphore {
  #permits: number;
  readonly #waiters: Waiter[] = [];

  constructor(readonly limit: number) {
    this.#permits = limit;
  }

  get waiting(): number {
    return this.#waiters.length;
  }

  get locked(): boolean {
    return this.#permits <= 0;
  }

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

  withdraw(waiter: Waiter, error: Error): boolean {
    const index = this.#waiters.indexOf(waiter);
    if (index < 0) return false;
    this.#waiters.splice(index, 1);
    waiter.refuse(error);
    return true;
  }
}
