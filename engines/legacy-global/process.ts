/**
 * legacy-global, process-wide part: models the state the original `execution_engine` kept at
 * class or module level, i.e. once per backend PROCESS. One `LegacyProcess` is one `create()`
 * call, so every scenario starts from a fresh process; every engine instance made inside it
 * shares what is here. Defects kept here (see index.ts for the full list):
 * - one global semaphore of 10 (MAX_CONCURRENT_AGENTS), not a per-user limit
 * - a response cache keyed by agent name + input (no user), kept 300 s
 * - the process-wide execution tracker's death/timeout callback lists only grow
 * - one shared active-run map, run history (last 100 results) and statistics
 */
import type {
  AgentEvent,
  Clock,
  EngineDeps,
  JsonValue,
  Limits,
} from "../../harness/contract/index.ts";
import { WebSocketManager } from "../legacy-shared/connections.ts";
import { abortError } from "../legacy-shared/errors.ts";
import { Semaphore, type Waiter } from "../legacy-shared/semaphore.ts";
import type { ExecutionEngine } from "./execution-engine.ts";

/** ExecutionEngine.MAX_CONCURRENT_AGENTS: one semaphore for every user of the process. */
export const MAX_CONCURRENT_AGENTS = 10;
/** ExecutionEngine.MAX_HISTORY_SIZE. */
export const MAX_HISTORY_SIZE = 100;
/** How long the response cache keeps an answer. */
export const RESPONSE_CACHE_TTL_MS = 300_000;
/** AgentExecutionContext.max_retries: re-runs of an agent that raised. */
export const MAX_RETRIES = 1;

export interface RunIdentity {
  readonly runId: string;
  readonly threadId: string;
  readonly userId: string;
  readonly agentName: string;
}

/** What the tracker knows of a run: who it is, its event counter, and how to cancel it. */
export interface TrackedRun extends RunIdentity {
  nextSeq(): number;
  cancel(message: string): boolean;
}

// ---------------------------------------------------------------------------------------------
// The global semaphore (asyncio.Semaphore, ../legacy-shared/semaphore.ts): a waiter gives up
// through its run's AbortSignal.

/** Waits for a slot of `semaphore`; rejects with an AbortError when `signal` aborts first. */
export function acquireSlot(semaphore: Semaphore, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(abortError("gave up waiting for a slot"));
  let waiter: Waiter | undefined;
  const giveUp = () => {
    if (waiter) semaphore.withdraw(waiter, abortError("gave up waiting for a slot"));
  };
  const granted = semaphore.acquire((queued) => {
    waiter = queued;
    signal.addEventListener("abort", giveUp, { once: true });
  });
  const forget = () => signal.removeEventListener("abort", giveUp);
  granted.then(forget, forget);
  return granted;
}

// ---------------------------------------------------------------------------------------------
// The execution tracker (get_execution_tracker()): one per process.

export type ExecutionState = "pending" | "running";
export type ExecutionEnd = "completed" | "failed" | "timeout" | "cancelled";

export interface ExecutionRecord {
  readonly executionId: string;
  readonly run: TrackedRun;
  readonly timeoutMs: number;
  state: ExecutionState;
}

export type ExecutionCallback = (record: ExecutionRecord) => void | Promise<void>;

export class ExecutionTracker {
  readonly #records = new Map<string, ExecutionRecord>();
  /** Registered by every engine instance, never removed: each one keeps its instance alive. */
  readonly #deathCallbacks: ExecutionCallback[] = [];
  readonly #timeoutCallbacks: ExecutionCallback[] = [];
  #counter = 0;

  registerDeathCallback(callback: ExecutionCallback): void {
    this.#deathCallbacks.push(callback);
  }

  registerTimeoutCallback(callback: ExecutionCallback): void {
    this.#timeoutCallbacks.push(callback);
  }

  createExecution(run: TrackedRun, timeoutMs: number): ExecutionRecord {
    this.#counter += 1;
    const record: ExecutionRecord = {
      executionId: `exec-${this.#counter}`,
      run,
      timeoutMs,
      state: "pending",
    };
    this.#records.set(record.executionId, record);
    return record;
  }

  startExecution(record: ExecutionRecord): void {
    record.state = "running";
  }

  /**
   * A terminal state: the record is dropped. A timeout is announced to every registered timeout
   * callback (each as its own task, as the original scheduled its async callbacks).
   */
  finishExecution(record: ExecutionRecord, end: ExecutionEnd): void {
    if (this.#records.get(record.executionId) !== record) return;
    this.#records.delete(record.executionId);
    if (end === "timeout") {
      for (const callback of [...this.#timeoutCallbacks]) {
        Promise.resolve()
          .then(() => callback(record))
          .catch(() => {});
      }
    }
  }

  /** The queued or running execution of `runId`. */
  findRun(runId: string): ExecutionRecord | undefined {
    for (const record of this.#records.values()) if (record.run.runId === runId) return record;
    return undefined;
  }

  records(): ExecutionRecord[] {
    return [...this.#records.values()];
  }
}

// ---------------------------------------------------------------------------------------------
// The WebSocket bridge (../legacy-shared/connections.ts): connections by user, and each user's
// resume buffer. The emitters below decide which user an event goes to.

/** Where an engine instance sends its events. */
export interface Emitter {
  emit(event: AgentEvent): void;
}

/** The process's bridge: routes each event to the user named in it. */
export class BridgeEmitter implements Emitter {
  constructor(private readonly bridge: WebSocketManager) {}
  emit(event: AgentEvent): void {
    this.bridge.sendToUser(event.userId, event);
  }
}

/** UserWebSocketEmitter: bound to the user of the request it was made for. */
export class UserEmitter implements Emitter {
  constructor(
    private readonly bridge: WebSocketManager,
    readonly userId: string,
  ) {}
  emit(event: AgentEvent): void {
    this.bridge.sendToUser(this.userId, event);
  }
}

// ---------------------------------------------------------------------------------------------
// The shared engine's own state, and the user-engine factory of the per-user path.

export interface HistoryEntry {
  readonly runId: string;
  readonly agentName: string;
  readonly success: boolean;
  /** The agent's output object itself (AgentExecutionResult.data). */
  readonly output?: unknown;
  readonly error?: string;
  readonly durationMs: number;
}

/** active_runs, run_history and execution_stats. */
export class RunState {
  readonly activeRuns = new Map<string, RunIdentity>();
  runHistory: HistoryEntry[] = [];
  readonly executionStats = {
    totalExecutions: 0,
    concurrentExecutions: 0,
    failedExecutions: 0,
    timeoutExecutions: 0,
    deadExecutions: 0,
  };

  updateHistory(entry: HistoryEntry): void {
    this.runHistory.push(entry);
    if (this.runHistory.length > MAX_HISTORY_SIZE) {
      this.runHistory = this.runHistory.slice(-MAX_HISTORY_SIZE);
    }
  }
}

/** Answers by agent name + input. The user is not part of the key. */
export class ResponseCache {
  readonly #entries = new Map<string, { output: unknown; storedAt: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs: number,
  ) {}

  static key(agentName: string, input: JsonValue): string {
    return `${agentName}:${JSON.stringify(input)}`;
  }

  get(key: string): { output: unknown } | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (this.clock.now() - entry.storedAt >= this.ttlMs) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }

  set(key: string, output: unknown): void {
    this.#entries.set(key, { output, storedAt: this.clock.now() });
  }
}

/** The per-user path: the factory refuses a user who already has its limit of user engines. */
export class UserEngineFactory {
  readonly #engines = new Map<string, number>();

  constructor(private readonly maxPerUser: number) {}

  tryCreate(userId: string): boolean {
    const count = this.#engines.get(userId) ?? 0;
    if (count >= this.maxPerUser) return false;
    this.#engines.set(userId, count + 1);
    return true;
  }

  release(userId: string): void {
    const count = (this.#engines.get(userId) ?? 1) - 1;
    if (count <= 0) this.#engines.delete(userId);
    else this.#engines.set(userId, count);
  }
}

/** The backend process: everything here exists once and is shared by every engine instance. */
export class LegacyProcess {
  readonly clock: Clock;
  readonly limits: Limits;
  readonly bridge: WebSocketManager;
  readonly tracker = new ExecutionTracker();
  readonly globalSemaphore = new Semaphore(MAX_CONCURRENT_AGENTS);
  readonly sharedState = new RunState();
  readonly responseCache: ResponseCache;
  readonly userEngines: UserEngineFactory;
  /** The one shared instance (set up by the backend at start); the per-user path falls back to it. */
  shared: ExecutionEngine | undefined;

  constructor(readonly deps: EngineDeps) {
    this.clock = deps.clock;
    this.limits = deps.limits;
    this.bridge = new WebSocketManager(deps.limits.bufferPerUser);
    this.responseCache = new ResponseCache(deps.clock, RESPONSE_CACHE_TTL_MS);
    this.userEngines = new UserEngineFactory(deps.limits.perUserConcurrency);
  }
}
