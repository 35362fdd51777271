/**
 * Models `base/executor` (LEGACY.md §7): `BaseExecutionEngine`, the phase executor (strategies
 * sequential / pipeline / parallel) that agents were run through, with no user context.
 *
 * Defects kept (one line each, from LEGACY.md §7):
 * - runs agents as phases with no user context (the agent and its tools see a context with no user or thread);
 * - sends no agent_started and no agent_completed; phases are reported as tool events;
 * - in parallel mode a failed phase sends agent_error twice;
 * - parallel phases write into one shared results object;
 * - no timeout and no concurrency limit.
 *
 * How the scripted agent is run (the original ran an agent as its core logic inside
 * `execute_phases`, with the work it does split into named phases reported as tool events):
 * | scripted step      | in the executor                                                          |
 * | `think`            | the agent's own status update → agent_thinking (not a phase)             |
 * | `tool` (alone)     | one phase named after the tool, run by SequentialStrategyHandler:        |
 * |                    | tool_executing {phase} → tool call → tool_completed {phase}; on failure  |
 * |                    | one agent_error "Phase <tool> failed: …", then the error is raised       |
 * | `parallel` [tools] | one phase per tool, started together by ParallelStrategyHandler, all     |
 * |                    | writing into the run's one results object (keyed by tool name, so two    |
 * |                    | calls of one tool both get the later result); a failure: agent_error in  |
 * |                    | the phase task and again in the awaiting loop, the rest cancelled        |
 * | `sleep`            | agent code between phases: no event                                      |
 * | `throw` / failure  | caught by execute_phases → an error result, no event                     |
 * | `hang`             | never ends: there is no timeout                                          |
 * A round is the set of tool calls the agent makes in one turn. The pipeline strategy is not
 * used: the scripted agent passes no data between steps, and a pipeline of single phases runs
 * exactly as the sequential strategy (same events, plus `dependencies` in the parameters).
 * Tool events carry the phase descriptor {phase} as parameters and result, as the original did,
 * not the tool's arguments or result. The executor has no cancel: cancel() returns false.
 *
 * The backend PROCESS is one create() call: one executor (with its monitor) and one WebSocket
 * manager, shared by every request made in it; nothing is module-level. The caller in front of
 * the executor admits requests correctly (ids, connection owner, agent, input, duplicate run id)
 * and binds each request's notifier to the request's user, so delivery itself is correct.
 * Admission, JSON copies, event sizes, the WebSocket manager and stats sums are the legacy models'
 * shared plumbing in ../legacy-shared.
 */
import {
  type Connection,
  DuplicateRunError,
  type Engine,
  type EngineDeps,
  type EngineModule,
  type EngineStats,
  ERROR_CODES,
  type ExecuteRequest,
  type JsonObject,
  type RunResult,
  type UserExecutionContext,
} from "../../harness/contract/index.ts";
import { admissionProblem, refused } from "../legacy-shared/admission.ts";
import { WebSocketManager } from "../legacy-shared/connections.ts";
import { jsonCopy } from "../legacy-shared/json.ts";
import { StatsTally } from "../legacy-shared/stats.ts";
import { BaseExecutionEngine, type ExecutionContext } from "./executor.ts";
import { RunNotifier } from "./notifier.ts";

/** One backend process: the shared executor and the WebSocket manager. */
class BaseExecutorProcess implements Engine {
  readonly #executor: BaseExecutionEngine;
  readonly #manager: WebSocketManager;
  #stopping = false;

  constructor(private readonly deps: EngineDeps) {
    this.#executor = new BaseExecutionEngine(deps.clock, deps.tools);
    this.#manager = new WebSocketManager(deps.limits.bufferPerUser);
  }

  attach(connection: Connection): void {
    this.#manager.attach(connection);
  }

  detach(connectionId: string): void {
    this.#manager.detach(connectionId);
  }

  async execute(context: UserExecutionContext, request: ExecuteRequest): Promise<RunResult> {
    if (this.#stopping) {
      return refused(context, { code: ERROR_CODES.shuttingDown, message: "shutting down" });
    }
    const problem = admissionProblem(context, request, this.deps, this.#manager);
    if (problem) return refused(context, problem);
    const { userId, threadId, runId, requestId } = context;
    const agent = this.deps.agents.get(request.agentName);
    if (!agent) return refused(context, { code: ERROR_CODES.badRequest, message: "unknown agent" });
    if (this.#executor.monitor.active.has(runId)) {
      return refused(context, new DuplicateRunError(runId));
    }
    const agentName = request.agentName;
    const notifier = new RunNotifier(
      { userId, threadId, runId, agentName },
      this.#manager,
      this.deps.clock,
      this.deps.limits.maxEventBytes,
    );
    const executionContext: ExecutionContext = {
      requestId,
      runId,
      agentName,
      parameters: jsonCopy(request.input),
      metadata: Object.freeze(jsonCopy(context.metadata) as JsonObject),
      startTime: 0,
      retryCount: 0,
      websocketManager: notifier,
    };
    // No semaphore, no timer: the run starts now and takes as long as the agent takes.
    const result = await this.#executor.executePhases(agent, executionContext);
    if (result.success) return { runId, status: "completed", output: result.result ?? null };
    return {
      runId,
      status: "error",
      error: { code: "EXECUTION_FAILED", message: result.error ?? "execution failed" },
    };
  }

  /** The executor has no way to stop a run. */
  cancel(_runId: string, _byUserId: string): boolean {
    return false;
  }

  closeUser(userId: string): void {
    this.#manager.closeUser(userId);
  }

  /** The monitor's view: executions without users; the manager's buffers by user. */
  stats(): EngineStats {
    const tally = new StatsTally();
    for (const userId of this.#manager.users()) {
      tally.user(userId).bufferedEvents = this.#manager.buffered(userId);
    }
    const stats = tally.stats();
    // Runs are counted by the monitor, which knows no user: none shows in perUser.
    stats.activeRuns = this.#executor.monitor.active.size;
    return stats;
  }

  shutdown(): void {
    this.#stopping = true;
    this.#manager.closeAll();
  }
}

const module: EngineModule = {
  name: "base-executor",
  models: "base/executor",
  create: (deps) => new BaseExecutorProcess(deps),
};

export default module;
