/**
 * Models the isolated engine of `execution_factory` (LEGACY.md §6): one ExecutionEngineFactory
 * per backend process (one create() call) makes one IsolatedExecutionEngine per request, with
 * the user's semaphore from the factory and a WebSocket bridge made for the request. A request
 * is a request id: its engine serves the request for as long as the factory has it registered,
 * which is until the request is cleaned (closeUser, shutdown).
 *
 * Defects kept (each marked DEFECT in factory.ts and engine.ts):
 * - the per-user semaphore has a limit of 5, whatever perUserConcurrency is configured;
 * - its run id is made up from user + agent + milliseconds, not the run id it was given;
 * - its emitter is bound to the request id, not the run: every event carries the request's ids;
 * - it sends agent_completed "completed successfully" whatever happened, and no thinking events;
 * - on timeout it sends only agent_error and then throws (execute rejects);
 * - cleanup deadlocks: the factory holds its non-reentrant lock while cleaning a context, whose
 *   engine asks the factory to clean that context again;
 * - its per-user semaphores are never removed.
 * Admission, JSON copies, event sizes, the WebSocket manager, the semaphore and stats sums are the
 * legacy models' shared, correct plumbing in ../legacy-shared.
 */
import {
  type Connection,
  ContractError,
  type Engine,
  type EngineDeps,
  type EngineModule,
  type EngineStats,
  ERROR_CODES,
  type ExecuteRequest,
  QueueFullError,
  type RunResult,
  type UserExecutionContext,
} from "../../harness/contract/index.ts";
import { admissionProblem, refused } from "../legacy-shared/admission.ts";
import { WebSocketManager } from "../legacy-shared/connections.ts";
import { jsonCopy } from "../legacy-shared/json.ts";
import { StatsTally } from "../legacy-shared/stats.ts";
import { type AgentExecutionResult, ExecutionCancelled, QueuedRunCancelled } from "./engine.ts";
import { ExecutionEngineFactory } from "./factory.ts";

export function create(deps: EngineDeps): Engine {
  // The process-wide WebSocket manager (UnifiedWebSocketManager in the original).
  const manager = new WebSocketManager(deps.limits.bufferPerUser);
  const factory = new ExecutionEngineFactory(deps, manager);
  let stopping = false;

  const findRun = (runId: string) => {
    for (const owner of factory.activeContexts.values()) {
      for (const run of owner.activeRuns.values()) {
        if (run.userContext.runId === runId && !run.over) return run;
      }
    }
    return undefined;
  };

  return {
    attach(connection: Connection): void {
      if (stopping) throw new ContractError(ERROR_CODES.shuttingDown, "the engine is shut down");
      manager.attach(connection);
    },

    detach(connectionId: string): void {
      manager.detach(connectionId);
    },

    async execute(context: UserExecutionContext, request: ExecuteRequest): Promise<RunResult> {
      if (stopping) {
        return refused(context, new ContractError(ERROR_CODES.shuttingDown, "shutting down"));
      }
      const problem = admissionProblem(context, request, deps, manager);
      if (problem) return refused(context, problem);
      const semaphore = factory.userSemaphores.get(context.userId);
      if (semaphore?.locked && semaphore.waiting >= deps.limits.maxQueuedPerUser) {
        return refused(context, new QueueFullError(context.userId, deps.limits.maxQueuedPerUser));
      }
      const engine =
        factory.engineFor(context.requestId) ?? (await factory.createExecutionEngine(context));
      // A timeout (or an engine error) is thrown from here: execute rejects.
      const result = await engine.executeAgentPipeline(request.agentName, request.input, context);
      return resultOf(context.runId, result);
    },

    cancel(runId: string, byUserId: string): boolean {
      const run = findRun(runId);
      if (!run || run.userContext.userId !== byUserId) return false;
      if (run.phase === "waiting") {
        return run.withdraw?.(new QueuedRunCancelled("the run was cancelled by its user")) ?? false;
      }
      if (!run.interrupt) return false;
      run.interrupt(new ExecutionCancelled("the run was cancelled by its user"));
      return true;
    },

    async closeUser(userId: string): Promise<void> {
      manager.closeUser(userId);
      for (const [requestId, owner] of [...factory.activeContexts]) {
        if (owner.userId === userId) await factory.cleanupContext(requestId);
      }
    },

    stats(): EngineStats {
      const tally = new StatsTally();
      for (const owner of factory.activeContexts.values()) {
        tally.user(owner.userId);
        for (const run of owner.activeRuns.values()) {
          if (run.phase === "waiting") tally.user(run.userContext.userId).queuedRuns += 1;
          else tally.user(run.userContext.userId).activeRuns += 1;
        }
      }
      for (const userId of manager.users()) {
        tally.user(userId).bufferedEvents = manager.buffered(userId);
      }
      for (const userId of factory.userSemaphores.keys()) tally.user(userId);
      return tally.stats();
    },

    async shutdown(): Promise<void> {
      stopping = true;
      manager.closeAll();
      for (const requestId of [...factory.activeContexts.keys()]) {
        await factory.cleanupContext(requestId);
      }
    },
  };
}

function resultOf(runId: string, result: AgentExecutionResult): RunResult {
  if (result.success) return { runId, status: "completed", output: jsonCopy(result.result) };
  const status = result.cancelled ? "cancelled" : "error";
  return { runId, status, error: { code: status, message: result.error ?? status } };
}

const isolatedFactory: EngineModule = {
  name: "isolated-factory",
  models: "execution_factory",
  create,
};

export default isolatedFactory;
