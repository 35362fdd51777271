/**
 * `isolated-factory` model (execution_factory): IsolatedExecutionEngine, one per request, and
 * the AgentExecutionCore it runs agents through. The defects it keeps are listed in index.ts;
 * each is marked DEFECT where it lives.
 */
import type {
  AgentRuntime,
  EngineDeps,
  JsonValue,
  UserExecutionContext,
} from "../../harness/contract/index.ts";
import { startAgent } from "../legacy-shared/agent.ts";
import { errorMessage } from "../legacy-shared/errors.ts";
import { jsonCopy } from "../legacy-shared/json.ts";
import type { Semaphore, Waiter } from "../legacy-shared/semaphore.ts";
import type { StandardWebSocketBridge } from "./bridge.ts";
import type { ExecutionEngineFactory, ExecutionFactoryContext } from "./factory.ts";

/** One agent run as the engine tracks it (AgentExecutionContext in the original). */
export interface AgentExecutionContext {
  /** The engine's own id for the run. */
  readonly runId: string;
  readonly agentName: string;
  readonly userContext: UserExecutionContext;
  readonly input: JsonValue;
  phase: "waiting" | "running";
  /** The task is over (returned, cancelled or given up by wait_for): it can send nothing more. */
  over: boolean;
  /** wait_for gave up on it: the cancelled task never reaches the completion notice. */
  abandoned: boolean;
  toolCalls: number;
  /** Takes the run out of the semaphore's queue while it waits. */
  withdraw?: ((error: Error) => boolean) | undefined;
  /** Ends the agent at once while it runs. */
  interrupt?: ((error: Error) => void) | undefined;
}

export interface AgentExecutionResult {
  success: boolean;
  result?: unknown;
  error?: string;
  cancelled?: boolean;
}

/** asyncio.TimeoutError from wait_for. */
export class ExecutionTimeout extends Error {}
/** The agent task was cancelled (cancel, closeUser). */
export class ExecutionCancelled extends Error {}
/** The run was cancelled while it waited for the user's semaphore. */
export class QueuedRunCancelled extends Error {}

/** Runs one agent and reports its tool calls; an agent's exception becomes a failed result. */
class AgentExecutionCore {
  constructor(
    private readonly deps: EngineDeps,
    private readonly bridge: StandardWebSocketBridge,
  ) {}

  async executeAgent(run: AgentExecutionContext): Promise<AgentExecutionResult> {
    const agent = this.deps.agents.get(run.agentName);
    if (!agent) return { success: false, error: `Agent ${run.agentName} not found` };
    const controller = new AbortController();
    // DEFECT (no thinking events): think() reaches no emitter.
    const runtime: AgentRuntime = {
      context: run.userContext,
      input: run.input,
      signal: controller.signal,
      think: () => Promise.resolve(),
      tool: (name, args) => this.#tool(run, controller.signal, name, args),
    };
    try {
      const output = await new Promise<unknown>((resolve, reject) => {
        run.interrupt = (error) => {
          controller.abort(error);
          reject(error);
        };
        startAgent(agent, runtime).then(resolve, reject);
      });
      return { success: true, result: output };
    } catch (error) {
      return {
        success: false,
        error: errorMessage(error),
        cancelled: error instanceof ExecutionCancelled,
      };
    } finally {
      run.interrupt = undefined;
      run.over = true;
    }
  }

  async #tool(
    run: AgentExecutionContext,
    signal: AbortSignal,
    name: string,
    args: JsonValue,
  ): Promise<JsonValue> {
    run.toolCalls += 1;
    const toolCallId = `${run.runId}_tool_${run.toolCalls}`;
    const started = this.deps.clock.now();
    if (!run.over)
      this.bridge.notifyToolExecuting(run.agentName, run.runId, toolCallId, name, args);
    try {
      const tool = this.deps.tools.get(name);
      if (!tool) throw new Error(`tool ${name} not found`);
      const result = await tool.call(args, { context: run.userContext, signal, toolCallId });
      if (!run.over) {
        this.bridge.notifyToolCompleted(run.agentName, run.runId, {
          toolCallId,
          toolName: name,
          status: "success",
          result: jsonCopy(result),
          durationMs: this.deps.clock.now() - started,
        });
      }
      return result;
    } catch (error) {
      if (!run.over) {
        this.bridge.notifyToolCompleted(run.agentName, run.runId, {
          toolCallId,
          toolName: name,
          status: "error",
          error: errorMessage(error),
          durationMs: this.deps.clock.now() - started,
        });
      }
      throw error;
    }
  }
}

export class IsolatedExecutionEngine {
  #agentCore: AgentExecutionCore | undefined;

  constructor(
    readonly factoryContext: ExecutionFactoryContext,
    private readonly deps: EngineDeps,
    readonly bridge: StandardWebSocketBridge,
    readonly semaphore: Semaphore,
    private readonly timeoutMs: number,
    private readonly factory: ExecutionEngineFactory,
  ) {}

  /**
   * Runs one agent for the request. Resolves with the core's result (failed included); on a
   * timeout or an engine error it sends agent_error and throws.
   */
  async executeAgentPipeline(
    agentName: string,
    input: JsonValue,
    userContext?: UserExecutionContext,
  ): Promise<AgentExecutionResult> {
    const owner = this.factoryContext;
    // DEFECT (made-up run id): user + agent + milliseconds, not the run id it was given; two
    // runs of one agent of this request in the same millisecond share it.
    const runId = `${owner.userId}_${agentName}_${Math.floor(this.deps.clock.now())}`;
    const started = this.deps.clock.now();
    const run: AgentExecutionContext = {
      runId,
      agentName,
      userContext: userContext ?? owner.context,
      input,
      phase: "waiting",
      over: false,
      abandoned: false,
      toolCalls: 0,
    };
    try {
      owner.activeRuns.set(runId, run);
      owner.recordRunStart();
      let waiter: Waiter | undefined;
      run.withdraw = (error) => (waiter ? this.semaphore.withdraw(waiter, error) : false);
      await this.semaphore.acquire((w) => {
        waiter = w;
      });
      run.withdraw = undefined;
      run.phase = "running";
      try {
        this.bridge.notifyAgentStarted(agentName, runId, input);
        const result = await this.#waitFor(this.#executeWithMonitoring(run), run);
        owner.runHistory.push(result);
        const maxHistory = this.factory.config.maxHistoryPerUser;
        if (owner.runHistory.length > maxHistory) {
          owner.runHistory = owner.runHistory.slice(-Math.floor(maxHistory / 2));
        }
        owner.recordRunSuccess(this.deps.clock.now() - started);
        return result;
      } finally {
        this.semaphore.release();
      }
    } catch (error) {
      if (error instanceof QueuedRunCancelled) {
        // asyncio.CancelledError while queued: nothing was sent, nothing is logged.
        return { success: false, error: error.message, cancelled: true };
      }
      if (error instanceof ExecutionTimeout) {
        // DEFECT (timeout): agent_error only, and then the exception goes to the caller.
        this.bridge.notifyAgentError(
          agentName,
          runId,
          "Execution timeout - please try again",
          "timeout",
        );
        owner.recordRunFailure();
        throw error;
      }
      this.bridge.notifyAgentError(agentName, runId, errorMessage(error));
      owner.recordRunFailure();
      throw new Error(`Agent execution failed for user ${owner.userId}: ${errorMessage(error)}`);
    } finally {
      owner.activeRuns.delete(runId);
    }
  }

  async #executeWithMonitoring(run: AgentExecutionContext): Promise<AgentExecutionResult> {
    this.#agentCore ??= new AgentExecutionCore(this.deps, this.bridge);
    const result = await this.#agentCore.executeAgent(run);
    if (run.abandoned) return result;
    // DEFECT (always "completed successfully"): sent whatever the core's result says.
    this.bridge.notifyAgentCompleted(run.agentName, run.runId, {
      status: "completed",
      message: "Agent execution completed successfully",
    });
    return result;
  }

  /** asyncio.wait_for: gives up on the task after the timeout and cancels it. */
  #waitFor<T>(inner: Promise<T>, run: AgentExecutionContext): Promise<T> {
    const { clock } = this.deps;
    return new Promise<T>((resolve, reject) => {
      let open = true;
      const timer = clock.setTimeout(() => {
        if (!open) return;
        open = false;
        const error = new ExecutionTimeout(`agent ${run.agentName} timed out`);
        run.abandoned = true;
        run.over = true;
        run.interrupt?.(error);
        reject(error);
      }, this.timeoutMs);
      inner.then(
        (value) => {
          if (!open) return;
          open = false;
          clock.clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          if (!open) return;
          open = false;
          clock.clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  /** Cleans the engine, then asks the factory to clean its context. */
  async cleanup(): Promise<void> {
    try {
      // The original logged "Force cleaning active run" for each and let them run on.
      this.factoryContext.activeRuns.clear();
      // DEFECT (cleanup deadlock): when the factory is the caller, it holds its contexts lock
      // while it waits for this; cleanupContext waits for that same lock, for ever.
      await this.factory.cleanupContext(this.factoryContext.requestId);
    } catch {
      // Logged: "IsolatedExecutionEngine cleanup failed".
    }
  }
}
