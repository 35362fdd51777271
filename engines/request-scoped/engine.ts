/**
 * Models `request_scoped_execution_engine` (see index.ts for the defects it keeps).
 * This file: `RequestScopedExecutionEngine`, one instance per request. Its state (active runs,
 * history, statistics) is request-scoped, as in the original; it emits every event through the
 * process-wide bridge, handing it only the run id (bridge.ts).
 *
 * Defects kept here (from LEGACY.md §3):
 * - when the agent throws, the exception is re-raised ("Agent execution failed: …"): execute
 *   rejects and no terminal event is sent;
 * - `agent_completed` reads the wrong field of the agent's result (`data` instead of `state`),
 *   so it carries no `result`.
 */
import type {
  Agent,
  AgentRuntime,
  Clock,
  EventType,
  JsonValue,
  Limits,
  PayloadByType,
  RunResult,
  TimerHandle,
  ToolRegistry,
  UserExecutionContext,
} from "../../harness/contract/index.ts";
import { startAgent } from "../legacy-shared/agent.ts";
import { abortError, errorMessage } from "../legacy-shared/errors.ts";
import { jsonCopy } from "../legacy-shared/json.ts";
import type { AgentWebSocketBridge, ThreadRunRegistry } from "./bridge.ts";
import type { UserSlots, Waiter } from "./slots.ts";

/** What every per-request engine is handed by its factory: the process-wide pieces. */
export interface ProcessHost {
  readonly clock: Clock;
  readonly tools: ToolRegistry;
  readonly limits: Readonly<Limits>;
  readonly bridge: AgentWebSocketBridge;
  readonly registry: ThreadRunRegistry;
  readonly slots: UserSlots;
  /** The engine was cleaned up: the process lets go of it. */
  retire(engine: RequestScopedExecutionEngine): void;
}

/** The original's `AgentExecutionResult`: the agent's output is in `state`. */
interface AgentExecutionResult {
  success: boolean;
  agentName: string;
  state: JsonValue;
  executionTime: number;
  error?: string;
}

const MAX_HISTORY_SIZE = 100;

export class RequestScopedExecutionEngine implements Waiter {
  readonly engineId: string;
  readonly userId: string;
  readonly runId: string;
  phase: "created" | "queued" | "active" | "done" = "created";
  /** Request-scoped, as in the original: this engine's runs only. */
  readonly activeRuns = new Map<string, { agentName: string; startedAt: number }>();
  runHistory: AgentExecutionResult[] = [];
  readonly executionStats = { total: 0, failed: 0, timeouts: 0, cancelled: 0 };
  isActive = true;

  #seq = 0;
  #step = 0;
  #calls = 0;
  #startedAt = 0;
  #timer: TimerHandle | undefined;
  #controller: AbortController | undefined;
  // Let go of when the request ends.
  #context: UserExecutionContext | undefined;
  #job: { agent: Agent; agentName: string; input: JsonValue; inputSummary: JsonValue } | undefined;
  #resolve: ((result: RunResult) => void) | undefined;
  #reject: ((error: Error) => void) | undefined;

  constructor(
    private readonly host: ProcessHost,
    context: UserExecutionContext,
    readonly agentName: string,
  ) {
    this.#context = context;
    this.userId = context.userId;
    this.runId = context.runId;
    this.engineId = `${context.userId}_${context.runId}_${host.clock.now()}`;
  }

  /** execute_agent: register the run with the bridge, wait for a slot, run. */
  executeAgent(agent: Agent, input: JsonValue, inputSummary: JsonValue): Promise<RunResult> {
    const context = this.#context as UserExecutionContext;
    this.#job = { agent, agentName: this.agentName, input, inputSummary };
    const result = new Promise<RunResult>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // The request's run → thread mapping, recorded before execution (bridge.ts: last write wins).
    this.host.registry.register(context.runId, context.threadId, context.userId);
    const slot = this.host.slots.request(this);
    if (slot === "full") {
      this.#settle({
        runId: this.runId,
        status: "rejected",
        error: {
          code: "QUEUE_FULL",
          message: `user ${this.userId} already has ${this.host.limits.maxQueuedPerUser} queued runs`,
        },
      });
      this.cleanup();
    } else if (slot === "queued") {
      this.phase = "queued";
    } else {
      this.start();
    }
    return result;
  }

  /** Given a slot: agent_started, the timeout, and the agent. */
  start(): void {
    const context = this.#context;
    const job = this.#job;
    if (!context || !job || this.phase === "active" || this.phase === "done") return;
    this.phase = "active";
    this.#startedAt = this.host.clock.now();
    this.activeRuns.set(this.runId, { agentName: job.agentName, startedAt: this.#startedAt });
    this.executionStats.total++;
    this.#controller = new AbortController();
    this.#emit("agent_started", { input: job.inputSummary });
    this.#timer = this.host.clock.setTimeout(() => this.#timedOut(), this.host.limits.runTimeoutMs);
    const runtime = this.#runtime(context, job.input, this.#controller.signal);
    startAgent(job.agent, runtime).then(
      (output) => this.#agentReturned(output),
      (error: unknown) => this.#agentThrew(error),
    );
  }

  /** Owner's cancel, closeUser or shutdown. */
  cancel(message: string): void {
    if (this.phase === "queued" || this.phase === "created") {
      this.host.slots.remove(this);
      this.phase = "done";
      this.executionStats.cancelled++;
      this.#settle({
        runId: this.runId,
        status: "cancelled",
        error: { code: "CANCELLED", message },
      });
      this.cleanup();
      return;
    }
    if (this.phase !== "active") return;
    this.executionStats.cancelled++;
    this.#emit("agent_error", { reason: "cancelled", message });
    this.#settle({ runId: this.runId, status: "cancelled", error: { code: "CANCELLED", message } });
    this.#end();
  }

  /** cleanup(): request over: clear request-scoped state and the bridge's mapping for the run. */
  cleanup(): void {
    if (!this.isActive) return;
    this.isActive = false;
    this.activeRuns.clear();
    this.runHistory = [];
    this.host.registry.unregister(this.runId);
    this.#context = undefined;
    this.#job = undefined;
    this.#resolve = undefined;
    this.#reject = undefined;
    this.host.retire(this);
  }

  #agentReturned(output: JsonValue): void {
    if (this.phase !== "active") return; // ended by timeout or cancel: ignored
    const result: AgentExecutionResult = {
      success: true,
      agentName: this.agentName,
      state: jsonCopy(output),
      executionTime: this.host.clock.now() - this.#startedAt,
    };
    this.#history(result);
    // DEFECT (LEGACY §3): the report reads `data`, a field AgentExecutionResult does not have.
    const report = (result as unknown as { data?: JsonValue }).data;
    this.#emit("agent_completed", {
      status: "completed",
      result: report,
    } as PayloadByType["agent_completed"]);
    this.#settle({ runId: this.runId, status: "completed", output: result.state });
    this.#end();
  }

  #agentThrew(error: unknown): void {
    if (this.phase !== "active") return; // the agent's rejection after a timeout or cancel
    this.executionStats.failed++;
    this.#history({
      success: false,
      agentName: this.agentName,
      state: null,
      executionTime: this.host.clock.now() - this.#startedAt,
      error: errorMessage(error),
    });
    // DEFECT (LEGACY §3): no agent_error; the exception is re-raised to the caller.
    const reject = this.#reject;
    this.#end();
    this.#resolve = undefined;
    this.#reject = undefined;
    reject?.(new Error(`Agent execution failed: ${errorMessage(error)}`));
  }

  #timedOut(): void {
    this.#timer = undefined;
    if (this.phase !== "active") return;
    this.executionStats.timeouts++;
    const message = `Agent execution timed out after ${this.host.limits.runTimeoutMs} ms`;
    this.#emit("agent_error", { reason: "timeout", message });
    this.#settle({ runId: this.runId, status: "timeout", error: { code: "TIMEOUT", message } });
    this.#end();
  }

  /** The run is over: slot back, agent signalled, request cleaned up. */
  #end(): void {
    if (this.phase !== "active") return;
    this.phase = "done";
    if (this.#timer !== undefined) this.host.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    const controller = this.#controller;
    this.#controller = undefined;
    controller?.abort();
    this.host.slots.release(this.userId);
    this.cleanup();
  }

  #settle(result: RunResult): void {
    const resolve = this.#resolve;
    this.#resolve = undefined;
    this.#reject = undefined;
    resolve?.(result);
  }

  #history(result: AgentExecutionResult): void {
    this.runHistory.push(result);
    if (this.runHistory.length > MAX_HISTORY_SIZE) {
      this.runHistory = this.runHistory.slice(-MAX_HISTORY_SIZE);
    }
  }

  #emit<T extends EventType>(type: T, payload: PayloadByType[T]): void {
    if (this.phase !== "active") return; // nothing after the run ended (events.no-late)
    this.#seq += 1;
    this.host.bridge.notify(this.runId, this.agentName, type, payload, this.#seq);
  }

  #runtime(context: UserExecutionContext, input: JsonValue, signal: AbortSignal): AgentRuntime {
    return {
      context,
      input,
      signal,
      think: async (text: string) => {
        this.#emit("agent_thinking", { reasoning: String(text), step: ++this.#step });
      },
      tool: (name: string, args: JsonValue) => this.#tool(context, signal, name, args),
    };
  }

  async #tool(
    context: UserExecutionContext,
    signal: AbortSignal,
    name: string,
    args: JsonValue,
  ): Promise<JsonValue> {
    if (this.phase !== "active") throw abortError("run is over");
    const toolCallId = `${this.runId}:tool:${++this.#calls}`;
    const toolName = String(name);
    const started = this.host.clock.now();
    this.#emit("tool_executing", { toolCallId, toolName, parameters: jsonCopy(args) });
    try {
      const tool = this.host.tools.get(toolName);
      if (!tool) throw new Error(`unknown tool "${toolName}"`);
      const result = await tool.call(args, { context, signal, toolCallId });
      this.#emit("tool_completed", {
        toolCallId,
        toolName,
        status: "success",
        result: jsonCopy(result),
        durationMs: this.host.clock.now() - started,
      });
      return result;
    } catch (error) {
      this.#emit("tool_completed", {
        toolCallId,
        toolName,
        status: "error",
        error: errorMessage(error),
        durationMs: this.host.clock.now() - started,
      });
      throw error;
    }
  }
}
