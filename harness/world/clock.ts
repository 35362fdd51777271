/**
 * A virtual clock: time moves only when the runner fires the next timer, so a 25 s timeout
 * costs no real time and every run of a scenario sees the same sequence of instants.
 */
import type { Clock, TimerHandle } from "../contract/index.ts";

interface Timer {
  readonly id: number;
  readonly due: number;
  readonly seq: number;
  readonly lineage: number;
  callback: (() => void) | undefined;
}

export class VirtualTimer {
  constructor(readonly id: number) {}
}

/** A timer due now, as a chooser sees it. */
export interface DueTimer {
  readonly id: number;
  /**
   * The causal chain the timer belongs to: the id of the first timer set by the operation (or
   * the timer callback) whose work, directly or through promises, set this one. Strategies that
   * give priorities to "threads" (PCT) use it as the thread.
   */
  readonly lineage: number;
}

/**
 * Picks which of several timers due at the same instant fires first; FIFO by default. `timers`
 * lists them in FIFO order (the order they were set); the result is an index into it.
 */
export type TimerChooser = (dueTogether: number, timers: readonly DueTimer[]) => number;

export class VirtualClock implements Clock {
  #now = 0;
  #seq = 0;
  /** Binary min-heap on (due, seq); cancelled timers are dropped lazily when they surface. */
  #heap: Timer[] = [];
  #live = new Map<number, Timer>();
  #chooser: TimerChooser | undefined;
  /** Lineage of the timer whose callback (and the promises it settled) is running, if any. */
  #cause: number | undefined;

  constructor(chooser?: TimerChooser) {
    this.#chooser = chooser;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const delay = Number.isFinite(ms) && ms > 0 ? Math.floor(ms) : 0;
    const id = ++this.#seq;
    const lineage = this.#cause ?? id;
    const timer: Timer = { id, due: this.#now + delay, seq: id, lineage, callback };
    this.#live.set(timer.id, timer);
    this.#push(timer);
    return new VirtualTimer(timer.id);
  }

  clearTimeout(handle: TimerHandle): void {
    if (!(handle instanceof VirtualTimer)) return;
    const timer = this.#live.get(handle.id);
    if (!timer) return;
    timer.callback = undefined;
    this.#live.delete(handle.id);
    // Cleared timers wait in the heap until they surface; a long workload that clears far-off
    // timeouts (one per run) would keep them all, so the heap sheds them once they dominate.
    if (this.#heap.length > 64 && this.#heap.length > 2 * this.#live.size) this.compact();
  }

  /** Drops cleared timers from the heap now (memory measurements want an exact count). */
  compact(): void {
    this.#heap = this.#heap.filter((t) => t.callback !== undefined).sort(order);
  }

  /** Resolves after `ms` virtual milliseconds; rejects with an AbortError if `signal` fires first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(abortError(signal));
      const onAbort = () => {
        this.clearTimeout(handle);
        reject(abortError(signal));
      };
      const handle = this.setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Timers set and neither fired nor cleared. */
  get pending(): number {
    return this.#live.size;
  }

  /** When the next timer is due, or undefined when none is pending. */
  nextDue(): number | undefined {
    this.#dropCancelled();
    return this.#heap[0]?.due;
  }

  /**
   * Work issued from outside any timer (an operation of the scenario) starts new lineages: the
   * runner calls this before it issues one.
   */
  startLineage(): void {
    this.#cause = undefined;
  }

  /** Moves time forward without firing anything (to issue an operation at its instant). */
  advanceTo(at: number): void {
    if (at > this.#now) this.#now = at;
  }

  /**
   * Fires one timer of those due earliest, moving time to it. Returns false when none is pending.
   * A callback's exception propagates to the caller, who records it.
   */
  fireNext(): boolean {
    this.#dropCancelled();
    const first = this.#heap[0];
    if (!first) return false;
    const timer = this.#chooser ? this.#choose(first.due) : this.#pop();
    this.#live.delete(timer.id);
    this.advanceTo(timer.due);
    this.#cause = timer.lineage;
    const callback = timer.callback;
    timer.callback = undefined;
    callback?.();
    return true;
  }

  #choose(due: number): Timer {
    const together: Timer[] = [];
    for (;;) {
      this.#dropCancelled();
      const top = this.#heap[0];
      if (!top || top.due !== due) break;
      together.push(this.#pop());
    }
    const chosen =
      together.length < 2
        ? 0
        : (this.#chooser?.(
            together.length,
            together.map((t) => ({ id: t.id, lineage: t.lineage })),
          ) ?? 0);
    const index = Math.min(Math.max(0, Math.floor(chosen)), together.length - 1);
    const [timer] = together.splice(index, 1);
    for (const other of together) this.#push(other);
    return timer as Timer;
  }

  #dropCancelled(): void {
    while (this.#heap[0] && this.#heap[0].callback === undefined) this.#pop();
  }

  #push(timer: Timer): void {
    const heap = this.#heap;
    heap.push(timer);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i] as Timer, heap[parent] as Timer)) break;
      [heap[i], heap[parent]] = [heap[parent] as Timer, heap[i] as Timer];
      i = parent;
    }
  }

  #pop(): Timer {
    const heap = this.#heap;
    const top = heap[0] as Timer;
    const last = heap.pop() as Timer;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < heap.length && before(heap[left] as Timer, heap[smallest] as Timer))
          smallest = left;
        if (right < heap.length && before(heap[right] as Timer, heap[smallest] as Timer))
          smallest = right;
        if (smallest === i) break;
        [heap[i], heap[smallest]] = [heap[smallest] as Timer, heap[i] as Timer];
        i = smallest;
      }
    }
    return top;
  }
}

function before(a: Timer, b: Timer): boolean {
  return a.due < b.due || (a.due === b.due && a.seq < b.seq);
}

/** Sort order matching `before`: a sorted array is a valid heap. */
function order(a: Timer, b: Timer): number {
  return a.due - b.due || a.seq - b.seq;
}

function abortError(signal: AbortSignal | undefined): Error {
  const reason = signal?.reason;
  if (reason instanceof Error) return reason;
  const error = new Error("aborted");
  error.name = "AbortError";
  return error;
}
