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
 */
import {
  type Connection,
  type ContractError,
  DuplicateRunError,
  type Engine,
  type EngineDeps,
  type EngineModule,
  type EngineStats,
  ERROR_CODES,
  type ExecuteRequest,
  ForbiddenError,
  type JsonObject,
  type RunResult,
  type UserExecutionContext,
  type UserStats,
} from "../../harness/contract/index.ts";
import { BaseExecutionEngine, type ExecutionContext } from "./executor.ts";
import { RunNotifier, WebSocketManager } from "./notifier.ts";
import { checkContext, checkRequest, copyJson } from "./util.ts";

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
    const runId = typeof context?.runId === "string" ? context.runId : "";
    if (this.#stopping) {
      return rejected(runId, { code: ERROR_CODES.shuttingDown, message: "shutting down" });
    }
    const invalid = checkContext(context);
    if (invalid) return rejected(runId, invalid);
    const { connectionId, userId, threadId, requestId } = context;
    if (connectionId !== undefined && this.#manager.ownerOf(connectionId) !== userId) {
      return rejected(
        runId,
        new ForbiddenError(`connection "${connectionId}" is not attached for user "${userId}"`),
      );
    }
    const admitted = checkRequest(request, this.deps.agents, this.deps.limits.maxInputBytes);
    if ("code" in admitted) return rejected(runId, admitted);
    const agent = this.deps.agents.get(request.agentName);
    if (!agent) return rejected(runId, { code: ERROR_CODES.badRequest, message: "unknown agent" });
    if (this.#executor.monitor.active.has(runId))
      return rejected(runId, new DuplicateRunError(runId));
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
      parameters: admitted.input,
      metadata: Object.freeze(copyJson(context.metadata) as JsonObject),
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
    const perUser: Record<string, UserStats> = {};
    let bufferedEvents = 0;
    for (const userId of this.#manager.users()) {
      const buffered = this.#manager.buffered(userId);
      bufferedEvents += buffered;
      Object.defineProperty(perUser, userId, {
        value: { activeRuns: 0, queuedRuns: 0, bufferedEvents: buffered },
        enumerable: true,
        writable: true,
      });
    }
    return {
      activeRuns: this.#executor.monitor.active.size,
      queuedRuns: 0,
      bufferedEvents,
      users: Object.keys(perUser),
      perUser,
    };
  }

  shutdown(): void {
    this.#stopping = true;
    this.#manager.closeAll();
  }
}

function rejected(runId: string, error: ContractError | RunResult["error"]): RunResult {
  const { code, message } = error as { code: string; message: string };
  return { runId, status: "rejected", error: { code, message } };
}

const module: EngineModule = {
  name: "base-executor",
  models: "base/executor",
  create: (deps) => new BaseExecutorProcess(deps),
};

export default module;
