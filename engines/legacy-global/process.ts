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
  Connection,
  EngineDeps,
  EventType,
  JsonObject,
  JsonValue,
  Limits,
  PayloadByType,
} from "../../harness/contract/index.ts";
import type { ExecutionEngine } from "./execution-engine.ts";

/** ExecutionEngine.MAX_CONCURRENT_AGENTS: one semaphore for every user of the process. */
export const MAX_CONCURRENT_AGENTS = 10;
/** ExecutionEngine.MAX_HISTORY_SIZE. */
export const MAX_HISTORY_SIZE = 100;
/** How long the response cache keeps an answer. */
export const RESPONSE_CACHE_TTL_MS = 300_000;
/** AgentExecutionContext.max_retries: re-runs of an agent that raised. */
export const MAX_RETRIES = 1;
/** agent_started carries the input itself up to this size, else a truncated preview. */
export const INPUT_SUMMARY_BYTES = 1024;

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
// The global semaphore (asyncio.Semaphore): FIFO, a waiter can give up through an AbortSignal.

interface Waiter {
  grant(): void;
}

export class Semaphore {
  #available: number;
  readonly #waiters: Waiter[] = [];

  constructor(permits: number) {
    this.#available = permits;
  }

  acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortError("gave up waiting for a slot"));
    if (this.#available > 0 && this.#waiters.length === 0) {
      this.#available -= 1;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        const index = this.#waiters.indexOf(waiter);
        if (index >= 0) this.#waiters.splice(index, 1);
        reject(abortError("gave up waiting for a slot"));
      };
      const waiter: Waiter = {
        grant: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      this.#waiters.push(waiter);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  release(): void {
    const next = this.#waiters.shift();
    if (next) next.grant();
    else this.#available += 1;
  }

  get waiting(): number {
    return this.#waiters.length;
  }
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
// The WebSocket bridge: connections by user, and each user's resume buffer.

export class WebSocketBridge {
  readonly #connections = new Map<string, Connection>();
  readonly #byUser = new Map<string, Map<string, Connection>>();
  readonly #buffers = new Map<string, AgentEvent[]>();

  constructor(private readonly bufferPerUser: number) {}

  attach(connection: Connection): void {
    const { id, userId } = connection;
    this.detach(id);
    this.#connections.set(id, connection);
    let mine = this.#byUser.get(userId);
    if (!mine) {
      mine = new Map();
      this.#byUser.set(userId, mine);
    }
    mine.set(id, connection);
    const buffered = this.#buffers.get(userId);
    if (buffered) {
      this.#buffers.delete(userId);
      for (const event of buffered) send(connection, { ...event, replayed: true });
    }
  }

  detach(connectionId: string): void {
    const connection = this.#connections.get(connectionId);
    if (!connection) return;
    this.#connections.delete(connectionId);
    const mine = this.#byUser.get(connection.userId);
    mine?.delete(connectionId);
    if (mine && mine.size === 0) this.#byUser.delete(connection.userId);
  }

  ownerOf(connectionId: string): string | undefined {
    return this.#connections.get(connectionId)?.userId;
  }

  /** To every connection of `userId`, or into that user's buffer while it has none. */
  sendToUser(userId: string, event: AgentEvent): void {
    const mine = this.#byUser.get(userId);
    if (mine && mine.size > 0) {
      for (const connection of [...mine.values()]) send(connection, event);
      return;
    }
    if (this.bufferPerUser <= 0) return;
    let buffer = this.#buffers.get(userId);
    if (!buffer) {
      buffer = [];
      this.#buffers.set(userId, buffer);
    }
    buffer.push(event);
    if (buffer.length > this.bufferPerUser) buffer.splice(0, buffer.length - this.bufferPerUser);
  }

  closeUser(userId: string): void {
    this.#buffers.delete(userId);
    for (const id of [...(this.#byUser.get(userId)?.keys() ?? [])]) this.detach(id);
  }

  closeAll(): void {
    this.#buffers.clear();
    for (const id of [...this.#connections.keys()]) this.detach(id);
  }

  buffered(userId: string): number {
    return this.#buffers.get(userId)?.length ?? 0;
  }

  users(): string[] {
    return [...new Set([...this.#byUser.keys(), ...this.#buffers.keys()])];
  }
}

function send(connection: Connection, event: AgentEvent): void {
  try {
    connection.send(structuredClone(event));
  } catch {
    // A dead socket: the bridge logs and goes on.
  }
}

/** Where an engine instance sends its events. */
export interface Emitter {
  emit(event: AgentEvent): void;
}

/** The process's bridge: routes each event to the user named in it. */
export class BridgeEmitter implements Emitter {
  constructor(private readonly bridge: WebSocketBridge) {}
  emit(event: AgentEvent): void {
    this.bridge.sendToUser(event.userId, event);
  }
}

/** UserWebSocketEmitter: bound to the user of the request it was made for. */
export class UserEmitter implements Emitter {
  constructor(
    private readonly bridge: WebSocketBridge,
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
  readonly bridge: WebSocketBridge;
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
    this.bridge = new WebSocketBridge(deps.limits.bufferPerUser);
    this.responseCache = new ResponseCache(deps.clock, RESPONSE_CACHE_TTL_MS);
    this.userEngines = new UserEngineFactory(deps.limits.perUserConcurrency);
  }
}

// ---------------------------------------------------------------------------------------------
// Events: built once as plain JSON values, cut to maxEventBytes when too large.

const SHRINKABLE = ["input", "result", "parameters", "reasoning", "message", "error"] as const;
const REPLAYED_BYTES = Buffer.byteLength(',"replayed":true');

export function buildEvent<T extends EventType>(
  run: RunIdentity,
  seq: number,
  ts: number,
  type: T,
  payload: PayloadByType[T],
  maxEventBytes: number,
): AgentEvent {
  const event = {
    type,
    runId: run.runId,
    threadId: run.threadId,
    userId: run.userId,
    agentName: run.agentName,
    seq,
    ts,
    payload: jsonCopy(payload) as JsonObject,
  };
  let bytes = jsonBytes(event) + REPLAYED_BYTES;
  for (const field of SHRINKABLE) {
    if (bytes <= maxEventBytes) break;
    const value = event.payload[field];
    if (value === undefined) continue;
    const room = maxEventBytes - (bytes - jsonBytes(value)) - 64;
    event.payload[field] =
      typeof value === "string"
        ? prefixFitting(value, room)
        : { truncated: true, preview: prefixFitting(JSON.stringify(value), room - 32) };
    bytes = jsonBytes(event) + REPLAYED_BYTES;
  }
  return event as unknown as AgentEvent;
}

/** What agent_started shows of an input. */
export function inputSummary(input: JsonValue): JsonValue {
  if (jsonBytes(input) <= INPUT_SUMMARY_BYTES) return jsonCopy(input);
  return {
    truncated: true,
    preview: prefixFitting(JSON.stringify(input), INPUT_SUMMARY_BYTES - 64),
  };
}

/** A fresh JSON copy; what is not JSON becomes a string saying so. */
export function jsonCopy(value: unknown): JsonValue {
  try {
    const text = JSON.stringify(value);
    return text === undefined ? null : (JSON.parse(text) as JsonValue);
  } catch {
    return "[not JSON]";
  }
}

export function jsonBytes(value: unknown): number {
  try {
    const text = JSON.stringify(value);
    return text === undefined ? 0 : Buffer.byteLength(text);
  } catch {
    return 0;
  }
}

/** The longest prefix of `text` whose JSON form fits `maxBytes`. */
function prefixFitting(text: string, maxBytes: number): string {
  if (jsonBytes(text) <= maxBytes) return text;
  let low = 0;
  let high = text.length;
  while (low < high) {
    const mid = (low + high + 1) >>> 1;
    if (jsonBytes(text.slice(0, mid)) <= Math.max(2, maxBytes)) low = mid;
    else high = mid - 1;
  }
  return text.slice(0, low);
}

export function abortError(message: string): Error {
  return Object.assign(new Error(message), { name: "AbortError" });
}

export function messageOf(error: unknown, fallback: string): string {
  if (typeof error === "string" && error !== "") return error;
  if (error instanceof Error && error.message !== "") return error.message;
  return fallback;
}
