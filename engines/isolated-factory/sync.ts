/**
 * `isolated-factory` model (execution_factory): asyncio.Lock as the factory used it. The lock is
 * not re-entrant: a task that holds it and asks for it again waits for itself, for ever (a
 * promise that never settles, no timer, no loop). The cleanup deadlock (factory.ts) needs it so.
 * The per-user semaphore is the shared asyncio.Semaphore (../legacy-shared/semaphore.ts).
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
