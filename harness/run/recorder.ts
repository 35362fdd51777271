/**
 * Builds a History as the scenario runs. It is the world's observer and every connection's
 * sink; it copies what it is given and keeps only weak references to what it tracks.
 */
import type { EngineStats, JsonValue } from "../contract/index.ts";
import type { VirtualClock } from "../world/clock.ts";
import type { WorldObserver } from "../world/observer.ts";
import { jsonCopy, thrownError } from "./copy.ts";
import { rememberFrameText } from "./frame-text.ts";
import type {
  HistoryEntry,
  ObservedContext,
  RetainedObject,
  ReturnEntry,
  RuntimeEntry,
} from "./history.ts";
import type { Operation } from "./scenario.ts";

export type NewEntry = HistoryEntry extends infer E
  ? E extends HistoryEntry
    ? Omit<E, "index" | "at">
    : never
  : never;

export interface TrackedObject {
  kind: RetainedObject["kind"];
  userId: string;
  runId?: string;
  /** History length when it was handed over: it must be gone after a later closeUser. */
  since: number;
  ref: WeakRef<object>;
  /** The execute call that handed it over (context, request, input). */
  callId?: number;
}

export class Recorder implements WorldObserver {
  readonly entries: HistoryEntry[] = [];
  readonly tracked: TrackedObject[] = [];
  /** Frames the engine sent after recording stopped; non-zero means a flood. */
  dropped = 0;
  truncated: string | undefined;
  #nextCallId = 1;
  /** runId → scripted sleeps of the world's agent and tools now pending for that run. */
  readonly #working = new Map<string, number>();
  /** Stamps entries with virtual time; set once the world (which owns the clock) exists. */
  clock: Pick<VirtualClock, "now"> = { now: () => 0 };

  constructor(private readonly maxDeliveries: number) {}

  #push(entry: NewEntry): HistoryEntry {
    const full = { ...entry, index: this.entries.length, at: this.clock.now() } as HistoryEntry;
    this.entries.push(full);
    return full;
  }

  /** Appends an entry as given (the ws runner records what its gateway and clients report). */
  append(entry: NewEntry): HistoryEntry {
    return this.#push(entry);
  }

  call(operation: Operation, epilogue = false): number {
    const callId = this.#nextCallId++;
    const copy = jsonCopy(operation);
    const recorded = "value" in copy ? (copy.value as unknown as Operation) : operation;
    this.#push({ kind: "call", callId, operation: recorded, ...(epilogue ? { epilogue } : {}) });
    return callId;
  }

  returned(callId: number, value: unknown, mutated?: ReturnEntry["mutated"]): void {
    const copy = jsonCopy(value);
    const entry: Omit<ReturnEntry, "index" | "at"> = { kind: "return", callId };
    if ("value" in copy) entry.value = copy.value;
    else if (value !== undefined) entry.value = `<${copy.problem}>` as JsonValue;
    if (mutated && mutated.length > 0) entry.mutated = mutated;
    this.#push(entry);
  }

  threw(callId: number, error: unknown): void {
    this.#push({ kind: "return", callId, threw: thrownError(error) });
  }

  deliver = (connectionId: string, connectionUserId: string, frame: unknown): void => {
    if (this.truncated) {
      this.dropped += 1;
      return;
    }
    if (this.entries.length >= this.maxDeliveries) {
      this.truncated = `stopped recording after ${this.maxDeliveries} history entries (the engine flooded events)`;
      this.dropped += 1;
      return;
    }
    const copy = jsonCopy(frame);
    if ("value" in copy && typeof copy.value === "object" && copy.value !== null) {
      const entry = this.#push({
        kind: "deliver",
        connectionId,
        connectionUserId,
        event: copy.value,
      });
      rememberFrameText(entry, copy.text);
    } else {
      const problem = "value" in copy ? `a ${typeof frame}, not an object` : copy.problem;
      this.#push({
        kind: "deliver",
        connectionId,
        connectionUserId,
        event: "value" in copy ? copy.value : String(problem),
        malformed: problem,
      });
    }
  };

  stats(stats: EngineStats, probe: boolean): void {
    const copy = jsonCopy(stats);
    if ("value" in copy)
      this.#push({ kind: "stats", stats: copy.value as unknown as EngineStats, probe });
  }

  unhandled(error: unknown, source: string): void {
    this.#push({ kind: "unhandled", error: thrownError(error), source });
  }

  runtimeCall(
    invocation: number,
    call: RuntimeEntry["call"],
    context: unknown,
    inputCanary?: string | null,
    detail?: string,
  ): void {
    const entry: Omit<RuntimeEntry, "index" | "at"> = {
      kind: "runtime",
      invocation,
      call,
      context: observe(context),
    };
    if (inputCanary !== undefined) entry.inputCanary = inputCanary;
    if (detail !== undefined) entry.detail = detail;
    this.#push(entry);
  }

  track(
    kind: RetainedObject["kind"],
    object: object,
    userId: string,
    runId?: string,
    callId?: number,
  ): void {
    const tracked: TrackedObject = {
      kind,
      userId,
      since: this.entries.length,
      ref: new WeakRef(object),
    };
    if (runId !== undefined) tracked.runId = runId;
    if (callId !== undefined) tracked.callId = callId;
    this.tracked.push(tracked);
  }

  working(runId: string | undefined, delta: 1 | -1): void {
    const key = runId ?? "";
    const count = (this.#working.get(key) ?? 0) + delta;
    if (count > 0) this.#working.set(key, count);
    else this.#working.delete(key);
  }

  /** Whether the world's agent or tool is waiting on the clock for `runId` (or an unknown run). */
  isWorking(runId: string | undefined): boolean {
    return this.#working.has(runId ?? "") || this.#working.has("");
  }
}

function observe(context: unknown): ObservedContext {
  const c = (typeof context === "object" && context !== null ? context : {}) as Record<
    string,
    unknown
  >;
  return { userId: c.userId, threadId: c.threadId, runId: c.runId, requestId: c.requestId };
}
