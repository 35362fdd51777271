/**
 * Models `base/executor` (see index.ts for the defects it keeps and for the step → phase mapping).
 * This file: `BaseExecutionEngine` with its strategy handlers and `ExecutionMonitor`, one
 * instance per process shared by every request. It works on an `ExecutionContext` that has no
 * user (request id, run id, agent name, parameters, and the `websocket_manager` its caller put
 * there), and reports phases through that manager as tool events.
 *
 * Defects kept here (from LEGACY.md §7):
 * - no user context: the agent and its tools are handed the executor's ExecutionContext, which
 *   names no user or thread; the executor and its monitor keep nothing per user;
 * - no agent_started and no agent_completed; phases are reported as tool events;
 * - parallel mode: a failed phase sends agent_error twice (once in the phase task, once in the loop);
 * - parallel phases write into one shared results object (keyed by phase name);
 * - no timeout and no concurrency limit.
 */
import type {
  Agent,
  AgentRuntime,
  Clock,
  JsonObject,
  JsonValue,
  ToolRegistry,
  UserExecutionContext,
} from "../../harness/contract/index.ts";
import { startAgent } from "../legacy-shared/agent.ts";
import { errorMessage } from "../legacy-shared/errors.ts";
import { jsonCopy } from "../legacy-shared/json.ts";
import type { RunNotifier } from "./notifier.ts";

/** base/interface `ExecutionContext`: no user, no thread. */
export interface ExecutionContext {
  readonly requestId: string;
  readonly runId: string;
  readonly agentName: string;
  readonly parameters: JsonValue;
  readonly metadata: JsonObject;
  startTime: number;
  retryCount: number;
  /** Put there by the caller; the executor only calls it. */
  readonly websocketManager: RunNotifier;
}

export interface ExecutionResult {
  success: boolean;
  status: "completed" | "failed";
  result?: JsonValue;
  error?: string;
  executionTimeMs: number;
}

/** One phase: here, one tool call of the agent (see index.ts). */
export interface ExecutionPhase {
  readonly name: string;
  readonly dependencies: string[];
  /** The id the phase's tool events carry. */
  readonly callId: string;
  startedAt: number;
  done: boolean;
  /** asyncio task.cancel(): set, then the phase's signal is aborted. */
  cancelled: boolean;
  readonly controller: AbortController;
  execute(
    context: ExecutionContext,
    previousResults: Record<string, JsonValue>,
  ): Promise<JsonValue>;
}

type Results = Record<string, JsonValue>;

interface StrategyHandler {
  executePhases(
    phases: ExecutionPhase[],
    context: ExecutionContext,
    results: Results,
  ): Promise<Results>;
}

/** SequentialStrategyHandler: one phase after another; a failure is reported once, then raised. */
class SequentialStrategyHandler implements StrategyHandler {
  constructor(private readonly clock: Clock) {}

  async executePhases(phases: ExecutionPhase[], context: ExecutionContext, results: Results) {
    for (const phase of phases) {
      try {
        this.#notifyPhaseStart(phase, context);
        const phaseResult = await phase.execute(context, results);
        results[phase.name] = phaseResult;
        phase.done = true;
        notifyPhaseComplete(phase, context, this.clock);
      } catch (error) {
        phase.done = true;
        notifyPhaseError(phase, context, error);
        throw error;
      }
    }
    return results;
  }

  #notifyPhaseStart(phase: ExecutionPhase, context: ExecutionContext): void {
    phase.startedAt = this.clock.now();
    context.websocketManager.sendToolExecuting(phase.callId, phase.name, { phase: phase.name });
  }
}

/**
 * ParallelStrategyHandler: the ready phases run at once. A failing phase reports agent_error in
 * its own task AND again in the loop that awaits the tasks (in list order), which then cancels
 * the tasks not yet done and raises. Every phase writes into the same `results` object.
 */
class ParallelStrategyHandler implements StrategyHandler {
  constructor(private readonly clock: Clock) {}

  async executePhases(phases: ExecutionPhase[], context: ExecutionContext, results: Results) {
    const tasks = phases.map((phase) => {
      const task = this.#executePhaseWithNotifications(phase, context, results);
      task.then(
        () => {},
        () => {}, // a cancelled task's CancelledError is never retrieved, as in asyncio
      );
      return [phase, task] as const;
    });
    for (const [phase, task] of tasks) {
      try {
        const phaseResult = await task;
        results[phase.name] = phaseResult; // DEFECT (LEGACY §7): one shared object, keyed by name
      } catch (error) {
        notifyPhaseError(phase, context, error); // DEFECT (LEGACY §7): the second agent_error
        for (const [other] of tasks) {
          if (!other.done) {
            other.cancelled = true;
            other.controller.abort();
          }
        }
        throw error;
      }
    }
    return results;
  }

  async #executePhaseWithNotifications(
    phase: ExecutionPhase,
    context: ExecutionContext,
    results: Results,
  ): Promise<JsonValue> {
    await Promise.resolve(); // asyncio.create_task: the task body starts on the next turn
    phase.startedAt = this.clock.now();
    context.websocketManager.sendToolExecuting(phase.callId, phase.name, {
      phase: phase.name,
      parallel: true,
    });
    try {
      const result = await phase.execute(context, results);
      phase.done = true;
      notifyPhaseComplete(phase, context, this.clock);
      return result;
    } catch (error) {
      phase.done = true;
      // `except Exception` does not catch CancelledError: a cancelled phase reports nothing.
      if (!phase.cancelled) notifyPhaseError(phase, context, error); // the first agent_error
      throw error;
    }
  }
}

function notifyPhaseComplete(phase: ExecutionPhase, context: ExecutionContext, clock: Clock) {
  context.websocketManager.sendToolCompleted(
    phase.callId,
    phase.name,
    { phase: phase.name },
    clock.now() - phase.startedAt,
  );
}

function notifyPhaseError(phase: ExecutionPhase, context: ExecutionContext, error: unknown) {
  context.websocketManager.sendAgentError(`Phase ${phase.name} failed: ${errorMessage(error)}`);
}

/** ExecutionMonitor: executions by run id, with no user. */
export class ExecutionMonitor {
  readonly active = new Map<string, { agentName: string; startTime: number }>();
  readonly counts = { started: 0, completed: 0, failed: 0 };

  startExecution(context: ExecutionContext): void {
    this.active.set(context.runId, { agentName: context.agentName, startTime: context.startTime });
    this.counts.started++;
  }

  completeExecution(context: ExecutionContext, result: ExecutionResult): void {
    this.active.delete(context.runId);
    if (result.success) this.counts.completed++;
    else this.counts.failed++;
  }
}

/** BaseExecutionEngine: one per process, shared by every request; no semaphore, no timer. */
export class BaseExecutionEngine {
  readonly monitor = new ExecutionMonitor();
  readonly #sequential: SequentialStrategyHandler;
  readonly #parallel: ParallelStrategyHandler;

  constructor(
    private readonly clock: Clock,
    private readonly tools: ToolRegistry,
  ) {
    this.#sequential = new SequentialStrategyHandler(clock);
    this.#parallel = new ParallelStrategyHandler(clock);
  }

  /**
   * execute_phases for one agent run. The agent is the core logic; each round of tool calls it
   * makes becomes a round of phases, run by the sequential handler (one call) or the parallel
   * handler (calls made together), all writing into this run's one `results` object.
   */
  async executePhases(agent: Agent, context: ExecutionContext): Promise<ExecutionResult> {
    context.startTime = this.clock.now();
    this.monitor.startExecution(context);
    let result: ExecutionResult;
    try {
      const output = await this.#runAgent(agent, context);
      result = {
        success: true,
        status: "completed",
        result: jsonCopy(output),
        executionTimeMs: this.clock.now() - context.startTime,
      };
    } catch (error) {
      // _handle_execution_failure: an error result, and no event of its own.
      result = {
        success: false,
        status: "failed",
        error: errorMessage(error),
        executionTimeMs: this.clock.now() - context.startTime,
      };
    }
    this.monitor.completeExecution(context, result); // _finalize_execution: sends nothing
    return result;
  }

  #runAgent(agent: Agent, context: ExecutionContext): Promise<JsonValue> {
    const results: Results = {}; // the run's ONE results object
    let pending: {
      phase: ExecutionPhase;
      resolve(v: JsonValue): void;
      reject(e: unknown): void;
    }[] = [];
    let calls = 0;
    let steps = 0;
    // DEFECT (LEGACY §7): what the agent (and its tools) see is the executor's context: no user.
    const seen = Object.freeze({
      requestId: context.requestId,
      runId: context.runId,
      metadata: context.metadata,
    }) as unknown as UserExecutionContext;
    const signal = new AbortController().signal; // nothing ever aborts a run: no timeout, no cancel

    const flush = (): void => {
      const round = pending;
      pending = [];
      const handler = round.length > 1 ? this.#parallel : this.#sequential;
      handler
        .executePhases(
          round.map((entry) => entry.phase),
          context,
          results,
        )
        .then(
          // Each caller reads its phase's entry in the shared results object.
          () => {
            for (const entry of round) entry.resolve(results[entry.phase.name] ?? null);
          },
          (error: unknown) => {
            for (const entry of round) entry.reject(error);
          },
        );
    };

    const runtime: AgentRuntime = {
      context: seen,
      input: context.parameters,
      signal,
      // The agent's own status update (not a phase): agent_thinking.
      think: async (text: string) => {
        context.websocketManager.sendAgentThinking(String(text), ++steps);
      },
      tool: (name: string, args: JsonValue) =>
        new Promise<JsonValue>((resolve, reject) => {
          const toolName = String(name);
          const controller = new AbortController();
          const phase: ExecutionPhase = {
            name: toolName,
            dependencies: [],
            callId: `${context.runId}:phase:${++calls}`,
            startedAt: 0,
            done: false,
            cancelled: false,
            controller,
            execute: async () => {
              const tool = this.tools.get(toolName);
              if (!tool) throw new Error(`unknown tool "${toolName}"`);
              return tool.call(args, {
                context: seen,
                signal: controller.signal,
                toolCallId: phase.callId,
              });
            },
          };
          pending.push({ phase, resolve, reject });
          // Calls the agent makes in the same turn are one round of ready phases.
          if (pending.length === 1) queueMicrotask(flush);
        }),
    };
    return startAgent(agent, runtime);
  }
}
