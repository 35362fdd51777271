/** The engine's boundary: what the harness hands in, and what the engine must offer. */
import type { ExecuteRequest, JsonValue, RunResult, UserExecutionContext } from "./context.ts";
import type { AgentEvent } from "./events.ts";

export type TimerHandle = { readonly __timer: unique symbol } | number | object;

/** Time as the engine must see it; virtual in deterministic runs. */
export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** What an agent sees of the engine while it runs. `think` and `tool` emit events. */
export interface AgentRuntime {
  readonly context: UserExecutionContext;
  readonly input: JsonValue;
  readonly signal: AbortSignal;
  think(text: string): Promise<void>;
  tool(name: string, args: JsonValue): Promise<JsonValue>;
}

export interface Agent {
  readonly name: string;
  run(runtime: AgentRuntime): Promise<JsonValue>;
}

export interface ToolInvocation {
  readonly context: UserExecutionContext;
  readonly signal: AbortSignal;
  readonly toolCallId: string;
}

export interface Tool {
  readonly name: string;
  call(args: JsonValue, invocation: ToolInvocation): Promise<JsonValue>;
}

export interface AgentRegistry {
  get(name: string): Agent | undefined;
}
export interface ToolRegistry {
  get(name: string): Tool | undefined;
}

export interface Limits {
  perUserConcurrency: number;
  globalConcurrency: number;
  maxQueuedPerUser: number;
  runTimeoutMs: number;
  bufferPerUser: number;
  maxInputBytes: number;
  maxEventBytes: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  perUserConcurrency: 3,
  globalConcurrency: 64,
  maxQueuedPerUser: 100,
  runTimeoutMs: 25_000,
  bufferPerUser: 1000,
  maxInputBytes: 1024 * 1024,
  maxEventBytes: 64 * 1024,
});

export interface EngineDeps {
  agents: AgentRegistry;
  tools: ToolRegistry;
  clock: Clock;
  limits: Limits;
}

/** One WebSocket of a user, as the engine sees it. */
export interface Connection {
  readonly id: string;
  /** The authenticated user; the engine trusts this and nothing else for routing. */
  readonly userId: string;
  send(event: AgentEvent): void;
}

export interface UserStats {
  activeRuns: number;
  queuedRuns: number;
  bufferedEvents: number;
}

export interface EngineStats {
  activeRuns: number;
  queuedRuns: number;
  bufferedEvents: number;
  /** Ids of users the engine holds any state for. */
  users: string[];
  perUser: Record<string, UserStats>;
}

export interface Engine {
  attach(connection: Connection): void;
  detach(connectionId: string): void;
  execute(context: UserExecutionContext, request: ExecuteRequest): Promise<RunResult>;
  cancel(runId: string, byUserId: string): boolean | Promise<boolean>;
  closeUser(userId: string): void | Promise<void>;
  stats(): EngineStats;
  shutdown(): void | Promise<void>;
}

export type EngineFactory = (deps: EngineDeps) => Engine;

/** What an engine module exports: a factory, with a name for reports. */
export interface EngineModule {
  readonly name: string;
  /** The original this engine models, for legacy models; absent for the reference. */
  readonly models?: string;
  readonly create: EngineFactory;
}
