/**
 * legacy-global, the engine class: models `ExecutionEngine` of the original `execution_engine`.
 * The constructor only binds the instance to its process (Python's `__new__`); `setUp()` is the
 * original `__init__` (emitter, user context, shared state, cache, tool notifier, and the death
 * and timeout callbacks registered on the process-wide tracker). Defects kept here:
 * - every instance registers death/timeout callbacks on the process tracker and never removes
 *   them: each reports every user's timed-out run through its own (user-bound) emitter, and the
 *   callbacks keep every old instance, and the context it was made for, alive
 * - a response cache keyed by agent name + input, without the user: a second user gets the
 *   first user's answer (agent_started + agent_completed with the cached result)
 * - one global semaphore of 10 for everyone
 * - on timeout: agent_error and then agent_completed as well
 * - the retry path re-enters execution while still holding its slot, takes a second slot of the
 *   global semaphore and emits agent_started again
 * - the per-user path, when refused (limit reached), silently falls back to the shared instance
 * - the shared run history keeps each run's output object (last 100)
 */
import type {
  Agent,
  AgentEvent,
  AgentRuntime,
  EventType,
  ExecuteRequest,
  JsonValue,
  PayloadByType,
  RunResult,
  TimerHandle,
  ToolCompletedPayload,
  ToolExecutingPayload,
  UserExecutionContext,
} from "../../harness/contract/index.ts";
import { abortError, errorMessage } from "../legacy-shared/errors.ts";
import { makeEvent } from "../legacy-shared/events.ts";
import { inputSummary, jsonCopy } from "../legacy-shared/json.ts";
import {
  acquireSlot,
  ResponseCache as Cache,
  type Emitter,
  type ExecutionRecord,
  type LegacyProcess,
  MAX_RETRIES,
  type ResponseCache,
  type RunState,
  type TrackedRun,
  type UserEngineFactory,
} from "./process.ts";

export type Outcome =
  | { readonly status: "completed"; readonly output: unknown }
  | { readonly status: "error" | "timeout" | "cancelled"; readonly message: string };

/** One execution of one agent (AgentExecutionContext plus the bookkeeping around it). */
export class LegacyRun implements TrackedRun {
  readonly runId: string;
  readonly threadId: string;
  readonly userId: string;
  readonly agentName: string;
  readonly cacheKey: string;
  state: "pending" | "active" | "done" = "pending";
  seq = 0;
  steps = 0;
  calls = 0;
  /** Slots of the global semaphore this run holds (more than one while a retry runs). */
  slots = 0;
  startedAt = 0;
  cancelMessage = "cancelled";
  readonly controller = new AbortController();
  timer: TimerHandle | undefined;
  record: ExecutionRecord | undefined;
  settle: ((result: RunResult) => void) | undefined;
  cancelHandler: (message: string) => boolean = () => false;
  /** Let go of when the run ends. */
  context: UserExecutionContext | undefined;
  input: JsonValue | undefined;

  constructor(context: UserExecutionContext, request: ExecuteRequest) {
    this.runId = context.runId;
    this.threadId = context.threadId;
    this.userId = context.userId;
    this.agentName = request.agentName;
    this.context = context;
    this.input = request.input;
    this.cacheKey = Cache.key(request.agentName, request.input);
  }

  nextSeq(): number {
    this.seq += 1;
    return this.seq;
  }

  cancel(message: string): boolean {
    return this.cancelHandler(message);
  }
}

/** The tool-event notifier an instance gets in its set-up. */
export interface ToolNotifier {
  toolExecuting(run: LegacyRun, payload: ToolExecutingPayload): void;
  toolCompleted(run: LegacyRun, payload: ToolCompletedPayload): void;
}

export class ExecutionEngine {
  protected emitter: Emitter | undefined;
  protected userContext: UserExecutionContext | undefined;
  protected state: RunState | undefined;
  protected responseCache: ResponseCache | undefined;
  protected userEngines: UserEngineFactory | undefined;
  protected notifier: ToolNotifier | undefined;

  /** Binds the instance to its process and nothing else (the original's `__new__`). */
  constructor(protected readonly process: LegacyProcess) {}

  /** `ExecutionEngine(registry, websocket_bridge, user_context)`. */
  static create(
    process: LegacyProcess,
    emitter: Emitter,
    userContext?: UserExecutionContext,
  ): ExecutionEngine {
    const engine = new ExecutionEngine(process);
    engine.setUp(emitter, userContext);
    return engine;
  }

  /** The original `__init__`: `_init_core_components`, `_init_components`, `_init_death_monitoring`. */
  protected setUp(emitter: Emitter, userContext?: UserExecutionContext): void {
    this.emitter = emitter;
    this.userContext = userContext;
    this.state = this.process.sharedState;
    this.responseCache = this.process.responseCache;
    this.userEngines = this.process.userEngines;
    this.notifier = {
      toolExecuting: (run, payload) => this.emit(run, "tool_executing", payload),
      toolCompleted: (run, payload) => this.emit(run, "tool_completed", payload),
    };
    // Registered on the process-wide tracker and never removed.
    this.process.tracker.registerDeathCallback((record) => this.handleAgentDeath(record));
    this.process.tracker.registerTimeoutCallback((record) => this.handleAgentTimeout(record));
  }

  /** `execute_agent`: cache, then the per-user path, falling back to the shared path. */
  async executeAgent(context: UserExecutionContext, request: ExecuteRequest): Promise<RunResult> {
    const cached = this.responseCache?.get(Cache.key(request.agentName, request.input));
    if (cached) return this.serveCached(context, request, cached.output);
    if (this.userEngines && this.userContext) {
      if (this.userEngines.tryCreate(context.userId)) {
        try {
          return await this.executeWithSemaphore(context, request);
        } finally {
          this.userEngines.release(context.userId);
        }
      }
      // "UserExecutionEngine delegation failed, falling back to legacy": the shared instance.
      const shared = this.process.shared ?? this;
      return shared.executeWithSemaphore(context, request);
    }
    return this.executeWithSemaphore(context, request);
  }

  /** A cached answer: announced and completed at once, whoever it was computed for. */
  protected serveCached(
    context: UserExecutionContext,
    request: ExecuteRequest,
    output: unknown,
  ): RunResult {
    const run = new LegacyRun(context, request);
    run.state = "active";
    this.emit(run, "agent_started", { input: inputSummary(request.input) });
    const event = this.emit(run, "agent_completed", {
      status: "completed",
      result: output as JsonValue,
    });
    run.state = "done";
    run.context = undefined;
    run.input = undefined;
    const result = event ? (event.payload as { result: JsonValue }).result : jsonCopy(output);
    return { runId: context.runId, status: "completed", output: result };
  }

  /** The legacy global-state path: `async with self.execution_semaphore`. */
  protected async executeWithSemaphore(
    context: UserExecutionContext,
    request: ExecuteRequest,
  ): Promise<RunResult> {
    const { process } = this;
    const agent = process.deps.agents.get(request.agentName);
    if (!agent) {
      return {
        runId: context.runId,
        status: "error",
        error: { code: "error", message: `agent ${request.agentName} not found` },
      };
    }
    const run = new LegacyRun(context, request);
    const record = process.tracker.createExecution(run, process.limits.runTimeoutMs);
    run.record = record;
    run.cancelHandler = (message) => this.cancelRun(run, message);
    try {
      await acquireSlot(process.globalSemaphore, run.controller.signal);
    } catch {
      return cancelledResult(run);
    }
    if (run.state !== "pending") {
      // Cancelled between the grant and now.
      process.globalSemaphore.release();
      return cancelledResult(run);
    }
    const result = new Promise<RunResult>((resolve) => {
      run.settle = resolve;
    });
    run.slots = 1;
    this.begin(run, agent, record);
    return result;
  }

  protected begin(run: LegacyRun, agent: Agent, record: ExecutionRecord): void {
    const { process } = this;
    run.state = "active";
    run.startedAt = process.clock.now();
    process.tracker.startExecution(record);
    this.state?.activeRuns.set(run.runId, run);
    if (this.state) {
      this.state.executionStats.totalExecutions += 1;
      this.state.executionStats.concurrentExecutions += 1;
    }
    const timeoutMs = process.limits.runTimeoutMs;
    run.timer = process.clock.setTimeout(() => {
      this.finish(run, {
        status: "timeout",
        message: `Agent execution timed out after ${timeoutMs / 1000}s`,
      });
    }, timeoutMs);
    this.emit(run, "agent_started", { input: inputSummary(run.input ?? null) });
    this.attempt(run, agent, 0).then(
      (outcome) => {
        if (outcome) this.finish(run, outcome);
      },
      (error: unknown) =>
        this.finish(run, { status: "error", message: errorMessage(error, "agent failed") }),
    );
  }

  /** One run of the agent; on an exception, `_retry_execution` while the slot is still held. */
  protected async attempt(
    run: LegacyRun,
    agent: Agent,
    retryCount: number,
  ): Promise<Outcome | undefined> {
    try {
      const output = await agent.run(this.runtime(run));
      return { status: "completed", output };
    } catch (error) {
      if (run.state !== "active") return undefined;
      if (retryCount >= MAX_RETRIES) {
        return { status: "error", message: errorMessage(error, "agent failed") };
      }
      // Re-enters execute_agent: a second slot of the global semaphore, this one still held.
      const semaphore = this.process.globalSemaphore;
      try {
        await acquireSlot(semaphore, run.controller.signal);
      } catch {
        return undefined; // the run ended while the retry waited
      }
      if (run.state !== "active") {
        semaphore.release();
        return undefined;
      }
      run.slots += 1;
      this.emit(run, "agent_started", { input: inputSummary(run.input ?? null) });
      return this.attempt(run, agent, retryCount + 1);
    }
  }

  protected runtime(run: LegacyRun): AgentRuntime {
    return {
      context: run.context as UserExecutionContext,
      input: run.input ?? null,
      signal: run.controller.signal,
      think: async (text: string) => {
        if (run.state !== "active") return;
        run.steps += 1;
        this.emit(run, "agent_thinking", { reasoning: String(text), step: run.steps });
      },
      tool: (name: string, args: JsonValue) => this.callTool(run, name, args),
    };
  }

  /** The tool dispatcher: events through the notifier set up in `setUp()`. */
  protected async callTool(run: LegacyRun, toolName: string, args: JsonValue): Promise<JsonValue> {
    const { process } = this;
    const context = run.context;
    if (run.state !== "active" || !context) throw abortError("the run has ended");
    run.calls += 1;
    const toolCallId = `${run.runId}:tool-${run.calls}`;
    const startedAt = process.clock.now();
    this.notifier?.toolExecuting(run, { toolCallId, toolName, parameters: args });
    try {
      const tool = process.deps.tools.get(toolName);
      if (!tool) throw new Error(`unknown tool "${toolName}"`);
      const value = await tool.call(args, {
        context,
        signal: run.controller.signal,
        toolCallId,
      });
      if (run.state === "active") {
        this.notifier?.toolCompleted(run, {
          toolCallId,
          toolName,
          status: "success",
          result: value,
          durationMs: process.clock.now() - startedAt,
        });
      }
      return value;
    } catch (error) {
      if (run.state === "active") {
        this.notifier?.toolCompleted(run, {
          toolCallId,
          toolName,
          status: "error",
          error: errorMessage(error, "tool failed"),
          durationMs: process.clock.now() - startedAt,
        });
      }
      throw error;
    }
  }

  /** The end of a run, still inside the semaphore block: terminal event(s), history, slots back. */
  protected finish(run: LegacyRun, outcome: Outcome): void {
    if (run.state !== "active") return;
    const { process } = this;
    run.state = "done";
    if (run.timer !== undefined) process.clock.clearTimeout(run.timer);
    run.timer = undefined;
    this.state?.activeRuns.delete(run.runId);
    const stats = this.state?.executionStats;
    if (stats) stats.concurrentExecutions -= 1;
    const durationMs = process.clock.now() - run.startedAt;
    let result: RunResult;
    if (outcome.status === "completed") {
      const event = this.emit(run, "agent_completed", {
        status: "completed",
        result: outcome.output as JsonValue,
      });
      const output = event
        ? (event.payload as { result: JsonValue }).result
        : jsonCopy(outcome.output);
      result = { runId: run.runId, status: "completed", output };
      this.state?.updateHistory({
        runId: run.runId,
        agentName: run.agentName,
        success: true,
        output: outcome.output,
        durationMs,
      });
      this.responseCache?.set(run.cacheKey, outcome.output);
    } else {
      const event = this.emit(run, "agent_error", {
        reason: outcome.status,
        message: outcome.message,
      });
      const message = event ? String((event.payload as { message: string }).message) : "";
      result = {
        runId: run.runId,
        status: outcome.status,
        error: { code: outcome.status, message: message || outcome.message },
      };
      if (outcome.status === "timeout") {
        // _send_completion_for_failed_execution: an agent_completed after the agent_error.
        this.emit(run, "agent_completed", {
          status: "completed",
          result: { success: false, status: "failed", error: outcome.message },
        });
        if (stats) stats.timeoutExecutions += 1;
      } else if (stats && outcome.status === "error") {
        stats.failedExecutions += 1;
      }
      if (outcome.status !== "cancelled") {
        this.state?.updateHistory({
          runId: run.runId,
          agentName: run.agentName,
          success: false,
          error: outcome.message,
          durationMs,
        });
      }
    }
    if (run.record) {
      const end = outcome.status === "error" ? "failed" : outcome.status;
      process.tracker.finishExecution(run.record, end);
      run.record = undefined;
    }
    if (outcome.status !== "completed") {
      try {
        run.controller.abort(abortError(`the run ended: ${outcome.status}`));
      } catch {
        // An abort listener threw; the run is over regardless.
      }
    }
    for (; run.slots > 0; run.slots -= 1) process.globalSemaphore.release();
    run.context = undefined;
    run.input = undefined;
    const settle = run.settle;
    run.settle = undefined;
    settle?.(result);
  }

  protected cancelRun(run: LegacyRun, message: string): boolean {
    if (run.state === "pending") {
      run.state = "done";
      run.cancelMessage = message;
      if (run.record) this.process.tracker.finishExecution(run.record, "cancelled");
      run.record = undefined;
      run.controller.abort(abortError(message));
      return true;
    }
    if (run.state === "active") {
      this.finish(run, { status: "cancelled", message });
      return true;
    }
    return false;
  }

  /** Registered on the tracker; fires only on a missed heartbeat, which no harness agent causes. */
  protected handleAgentDeath(record: ExecutionRecord): void {
    if (this.state) this.state.executionStats.deadExecutions += 1;
    this.emitFor(record, "agent_error", {
      reason: "error",
      message: `Agent ${record.run.agentName} died (no heartbeat)`,
    });
  }

  /** Registered on the tracker: reports ANY user's timed-out run through this instance's emitter. */
  protected handleAgentTimeout(record: ExecutionRecord): void {
    if (this.state) this.state.executionStats.timeoutExecutions += 1;
    this.emitFor(record, "agent_error", {
      reason: "timeout",
      message: `Agent ${record.run.agentName} exceeded ${record.timeoutMs / 1000}s`,
    });
  }

  /** notify_agent_death(run_id, agent_name, ...) for a tracker record, through this emitter. */
  protected emitFor<T extends EventType>(
    record: ExecutionRecord,
    type: T,
    payload: PayloadByType[T],
  ): void {
    const event = this.buildEvent(record.run, type, payload);
    this.emitter?.emit(event);
  }

  protected emit<T extends EventType>(
    run: LegacyRun,
    type: T,
    payload: PayloadByType[T],
  ): AgentEvent | undefined {
    if (!this.emitter) return undefined;
    const event = this.buildEvent(run, type, payload);
    this.emitter.emit(event);
    return event;
  }

  /** The run's next event, built once with a JSON copy of its payload (results are read back from it). */
  protected buildEvent<T extends EventType>(
    run: TrackedRun,
    type: T,
    payload: PayloadByType[T],
  ): AgentEvent {
    const { clock, limits } = this.process;
    const copy = jsonCopy(payload) as unknown as PayloadByType[T];
    return makeEvent(run, run.nextSeq(), clock.now(), type, copy, limits.maxEventBytes);
  }
}

function cancelledResult(run: LegacyRun): RunResult {
  return {
    runId: run.runId,
    status: "cancelled",
    error: { code: "cancelled", message: run.cancelMessage },
  };
}
