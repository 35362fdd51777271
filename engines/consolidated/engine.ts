/**
 * `consolidated` model (execution_engine_consolidated): the ExecutionEngine and its four
 * extensions, whose hooks run before, after and on error around each agent. The defects it
 * keeps are listed in index.ts; each is marked DEFECT where it lives.
 */
import type {
  AgentErrorReason,
  AgentRuntime,
  EngineDeps,
  EventType,
  JsonValue,
  PayloadByType,
  UserExecutionContext,
} from "../../harness/contract/index.ts";
import { startAgent } from "../legacy-shared/agent.ts";
import type { WebSocketManager } from "../legacy-shared/connections.ts";
import { errorMessage } from "../legacy-shared/errors.ts";
import { makeEvent } from "../legacy-shared/events.ts";
import { inputSummary, jsonCopy } from "../legacy-shared/json.ts";
import { Semaphore, type Waiter } from "../legacy-shared/semaphore.ts";

/** The engine's own record of one execution (AgentExecutionContext in the original). */
export interface AgentExecutionContext {
  readonly agentName: string;
  readonly task: JsonValue;
  readonly userContext: UserExecutionContext;
  readonly userId: string;
  readonly requestId: string;
  /** The engine's metadata: a copy of the caller's, which the extensions write into. */
  readonly metadata: Record<string, unknown>;
  /** Waiting for the user's semaphore, or past it. */
  phase: "waiting" | "running";
  seq: number;
  toolCalls: number;
  /** Set while queued on the user's semaphore, to withdraw it on cancel. */
  waiter?: Waiter | undefined;
  /** Set while the agent runs: ends the core execution at once with `error`. */
  interrupt?: ((error: Error) => void) | undefined;
  /** Resolves once execute() has returned for this context. */
  readonly finished: Promise<void>;
}

export interface AgentExecutionResult {
  success: boolean;
  result?: unknown;
  error?: string;
  reason?: AgentErrorReason;
  metadata: Record<string, unknown>;
}

/** asyncio.wait_for's TimeoutError, re-raised by _execute_core as a RuntimeError. */
export class ExecutionTimeout extends Error {}
/** The task was cancelled while the agent ran (cancel, closeUser, shutdown). */
export class ExecutionCancelled extends Error {}
/** The task was cancelled while waiting for the user's semaphore. */
export class QueuedRunCancelled extends Error {}

interface ExecutionExtension {
  readonly name: string;
  preExecute(context: AgentExecutionContext): Promise<void> | undefined;
  postExecute(result: AgentExecutionResult, context: AgentExecutionContext): AgentExecutionResult;
  onError(error: unknown, context: AgentExecutionContext): void;
}

/** Per-user concurrency. */
export class UserExecutionExtension implements ExecutionExtension {
  readonly name = "UserExecutionExtension";
  readonly userSemaphores = new Map<string, Semaphore>();
  // As in the original: 2, fixed in code, whatever perUserConcurrency the service is configured with.
  readonly maxConcurrentPerUser = 2;

  preExecute(context: AgentExecutionContext): Promise<void> {
    let semaphore = this.userSemaphores.get(context.userId);
    if (!semaphore) {
      semaphore = new Semaphore(this.maxConcurrentPerUser);
      this.userSemaphores.set(context.userId, semaphore);
    }
    const held = semaphore;
    return held
      .acquire((waiter) => {
        context.waiter = waiter;
      })
      .then(() => {
        context.waiter = undefined;
        context.phase = "running";
        context.metadata._user_semaphore = held;
      });
  }

  postExecute(result: AgentExecutionResult, context: AgentExecutionContext): AgentExecutionResult {
    const semaphore = context.metadata._user_semaphore;
    if (semaphore instanceof Semaphore) {
      delete context.metadata._user_semaphore;
      semaphore.release();
    }
    result.metadata.user_id = context.userId;
    return result;
  }

  onError(): void {
    // DEFECT (slot leak): the semaphore is released in postExecute only, so every exception
    // (agent error, timeout, cancel) keeps the slot; after two, the user's runs wait for ever.
  }

  /** Whether a new run of `userId` would have to wait, and how many wait already. */
  queue(userId: string): { mustWait: boolean; waiting: number } {
    const semaphore = this.userSemaphores.get(userId);
    return { mustWait: semaphore?.locked ?? false, waiting: semaphore?.waiting ?? 0 };
  }

  withdraw(context: AgentExecutionContext, error: Error): boolean {
    const semaphore = this.userSemaphores.get(context.userId);
    const waiter = context.waiter;
    if (!semaphore || !waiter) return false;
    context.waiter = undefined;
    return semaphore.withdraw(waiter, error);
  }
}

/** Tool-protocol (MCP) integration: the path the agent's tool calls take. */
export class MCPExecutionExtension implements ExecutionExtension {
  readonly name = "MCPExecutionExtension";

  constructor(private readonly deps: EngineDeps) {}

  preExecute(context: AgentExecutionContext): undefined {
    if (context.metadata.enable_mcp) context.metadata.mcp_enabled = true;
    return undefined;
  }

  postExecute(result: AgentExecutionResult, context: AgentExecutionContext): AgentExecutionResult {
    if (context.metadata.mcp_enabled) result.metadata.mcp_tools_used = context.toolCalls;
    return result;
  }

  onError(): void {}

  /** Runs a tool for the agent. Nothing here tells the WebSocket extension about it. */
  async callTool(
    context: AgentExecutionContext,
    name: string,
    args: JsonValue,
    signal: AbortSignal,
  ): Promise<JsonValue> {
    const tool = this.deps.tools.get(name);
    if (!tool) throw new Error(`tool ${name} is not registered`);
    context.toolCalls += 1;
    const toolCallId = `${context.userContext.runId}:tool-${context.toolCalls}`;
    return tool.call(args, { context: context.userContext, signal, toolCallId });
  }
}

/** Data-processing optimisation and the data cache. */
export class DataExecutionExtension implements ExecutionExtension {
  readonly name = "DataExecutionExtension";
  readonly batchSize = 1000;
  readonly cacheEnabled = true;
  // DEFECT (shared data cache): one per process, keyed by the caller's cache_key with no user;
  // it keeps every cached result (tool results included) for good.
  readonly dataCache = new Map<string, unknown>();

  preExecute(context: AgentExecutionContext): undefined {
    if (context.agentName.toLowerCase().includes("data")) {
      context.metadata.optimization = {
        batch_size: this.batchSize,
        cache_enabled: this.cacheEnabled,
        parallel_processing: true,
      };
    }
    return undefined;
  }

  postExecute(result: AgentExecutionResult, context: AgentExecutionContext): AgentExecutionResult {
    const key = context.metadata.cache_key;
    if (this.cacheEnabled && typeof key === "string" && key !== "") {
      this.dataCache.set(key, result.result);
      result.metadata.cached = true;
    }
    return result;
  }

  onError(): void {}
}

/** WebSocket notifications: started before the agent, completed after it, error on failure. */
export class WebSocketExtension implements ExecutionExtension {
  readonly name = "WebSocketExtension";

  constructor(
    private readonly deps: EngineDeps,
    private readonly bridge: WebSocketManager,
  ) {}

  preExecute(context: AgentExecutionContext): undefined {
    this.#emit(context, "agent_started", { input: inputSummary(context.task) });
    return undefined;
  }

  postExecute(result: AgentExecutionResult, context: AgentExecutionContext): AgentExecutionResult {
    const value = result.success ? result.result : result.error;
    this.#emit(context, "agent_completed", {
      status: "completed",
      result: jsonCopy(value),
    });
    return result;
  }

  onError(error: unknown, context: AgentExecutionContext): void {
    this.#emit(context, "agent_error", {
      reason: reasonOf(error),
      message: errorMessage(error),
    });
  }

  // DEFECT (no progress events): the extension has hooks around the agent only, so no
  // agent_thinking, tool_executing or tool_completed is ever sent.

  #emit<T extends EventType>(context: AgentExecutionContext, type: T, payload: PayloadByType[T]) {
    const { runId, threadId, userId } = context.userContext;
    context.seq += 1;
    try {
      const event = makeEvent(
        { runId, threadId, userId, agentName: context.agentName },
        context.seq,
        this.deps.clock.now(),
        type,
        payload,
        this.deps.limits.maxEventBytes,
      );
      // The bridge routes by the userId of the run the event belongs to.
      this.bridge.sendToUser(event.userId, event);
    } catch {
      // The original logged a warning when an event could not be sent.
    }
  }
}

export function reasonOf(error: unknown): AgentErrorReason {
  if (error instanceof ExecutionTimeout) return "timeout";
  if (error instanceof ExecutionCancelled || error instanceof QueuedRunCancelled) {
    return "cancelled";
  }
  return "error";
}

export class ExecutionEngine {
  readonly engineId: string;
  // DEFECT (shared active-run map): one engine per process, so every caller's runs share it.
  readonly activeRuns = new Map<string, AgentExecutionContext>();
  readonly user = new UserExecutionExtension();
  readonly mcp: MCPExecutionExtension;
  readonly data = new DataExecutionExtension();
  readonly websocket: WebSocketExtension;
  readonly #extensions: ExecutionExtension[];
  #successCount = 0;
  #errorCount = 0;

  constructor(
    private readonly deps: EngineDeps,
    bridge: WebSocketManager,
  ) {
    this.engineId = `engine_${Math.floor(deps.clock.now())}`;
    this.mcp = new MCPExecutionExtension(deps);
    this.websocket = new WebSocketExtension(deps, bridge);
    this.#extensions = [this.user, this.mcp, this.data, this.websocket];
  }

  async execute(
    agentName: string,
    task: JsonValue,
    userContext: UserExecutionContext,
  ): Promise<AgentExecutionResult> {
    let finish = () => {};
    const context: AgentExecutionContext = {
      agentName,
      task,
      userContext,
      userId: userContext.userId,
      requestId: userContext.requestId,
      metadata: jsonCopy(userContext.metadata) as Record<string, unknown>,
      phase: "waiting",
      seq: 0,
      toolCalls: 0,
      finished: new Promise<void>((resolve) => {
        finish = resolve;
      }),
    };
    // DEFECT (run id collision): the engine's own id, agent name + milliseconds. A second run of
    // the same agent in the same millisecond overwrites the first here, and whichever ends first
    // deletes the entry of the other.
    const runId = `${agentName}_${Math.floor(this.deps.clock.now())}`;
    this.activeRuns.set(runId, context);
    try {
      for (const extension of this.#extensions) {
        const pending = extension.preExecute(context);
        if (pending) await pending;
      }
      let result = await this.#executeCore(context);
      for (const extension of this.#extensions) result = extension.postExecute(result, context);
      this.#successCount += 1;
      return result;
    } catch (error) {
      if (error instanceof QueuedRunCancelled) {
        // asyncio.CancelledError is not an Exception: no error hook ran for a task cancelled
        // while it waited, and it had sent nothing yet.
        return { success: false, error: error.message, reason: "cancelled", metadata: {} };
      }
      for (const extension of this.#extensions) {
        try {
          extension.onError(error, context);
        } catch {
          // Each hook logged its own failure.
        }
      }
      this.#errorCount += 1;
      return { success: false, error: errorMessage(error), reason: reasonOf(error), metadata: {} };
    } finally {
      if (this.activeRuns.has(runId)) this.activeRuns.delete(runId);
      context.interrupt = undefined;
      context.waiter = undefined;
      finish();
    }
  }

  /** The agent under asyncio.wait_for: its own result, or an exception (error, timeout, cancel). */
  #executeCore(context: AgentExecutionContext): Promise<AgentExecutionResult> {
    const agent = this.deps.agents.get(context.agentName);
    if (!agent) {
      return Promise.reject(new Error(`Agent '${context.agentName}' not found in registry`));
    }
    const { clock, limits } = this.deps;
    const controller = new AbortController();
    const runtime: AgentRuntime = {
      context: context.userContext,
      input: context.task,
      signal: controller.signal,
      think: () => Promise.resolve(),
      tool: (name, args) => this.mcp.callTool(context, name, args, controller.signal),
    };
    return new Promise<AgentExecutionResult>((resolve, reject) => {
      let open = true;
      const settle = (done: () => void) => {
        if (!open) return;
        open = false;
        clock.clearTimeout(timer);
        context.interrupt = undefined;
        done();
      };
      const timer = clock.setTimeout(() => {
        const seconds = limits.runTimeoutMs / 1000;
        const error = new ExecutionTimeout(
          `Agent '${context.agentName}' execution timed out after ${seconds}s`,
        );
        settle(() => {
          controller.abort(error);
          reject(error);
        });
      }, limits.runTimeoutMs);
      context.interrupt = (error) =>
        settle(() => {
          controller.abort(error);
          reject(error);
        });
      startAgent(agent, runtime).then(
        (value) => settle(() => resolve({ success: true, result: value, metadata: {} })),
        (error: unknown) => settle(() => reject(error)),
      );
    });
  }

  /** Ends one execution the engine can still see: a queued one is withdrawn, a running one cancelled. */
  cancelContext(context: AgentExecutionContext, reason: string): boolean {
    if (context.phase === "waiting")
      return this.user.withdraw(context, new QueuedRunCancelled(reason));
    const interrupt = context.interrupt;
    if (!interrupt) return false;
    interrupt(new ExecutionCancelled(reason));
    return true;
  }

  /** The executions the engine knows of: whatever its active-run map still holds. */
  contexts(): AgentExecutionContext[] {
    return [...new Set(this.activeRuns.values())];
  }

  metrics(): Record<string, unknown> {
    return {
      engine_id: this.engineId,
      success_count: this.#successCount,
      error_count: this.#errorCount,
      active_runs: this.activeRuns.size,
      extensions: this.#extensions.map((e) => e.name),
    };
  }

  cleanup(): void {
    this.activeRuns.clear();
  }
}
