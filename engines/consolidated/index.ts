/**
 * Models `execution_engine_consolidated` (LEGACY.md §5): one ExecutionEngine per backend
 * process, composed of extensions (user, tool-protocol, data, WebSocket) whose hooks run
 * before, after and on error around each agent. One create() call is one process.
 *
 * Defects kept (each marked DEFECT in engine.ts):
 * - its active-run map (and each extension's state) is one per process, shared by all callers;
 * - its run id is its own, agent name + milliseconds: two runs of one agent in the same ms collide;
 * - its per-user semaphore (limit 2) is released on the success path only: every exception leaks a slot;
 * - its WebSocket extension sends no agent_thinking, tool_executing or tool_completed;
 * - its data cache is shared by all users.
 * Admission, JSON copies, event sizes, the WebSocket bridge, the semaphore and stats sums are the
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
import {
  type AgentExecutionContext,
  type AgentExecutionResult,
  ExecutionEngine,
} from "./engine.ts";

export function create(deps: EngineDeps): Engine {
  // The process-wide WebSocket bridge the WebSocket extension sends through.
  const bridge = new WebSocketManager(deps.limits.bufferPerUser);
  // The engine is one per process: every request of every user goes through this instance.
  const engine = new ExecutionEngine(deps, bridge);
  let stopping = false;

  const end = (contexts: AgentExecutionContext[], reason: string) => {
    for (const context of contexts) engine.cancelContext(context, reason);
    return Promise.all(contexts.map((context) => context.finished));
  };

  return {
    attach(connection: Connection): void {
      if (stopping) throw new ContractError(ERROR_CODES.shuttingDown, "the engine is shut down");
      bridge.attach(connection);
    },

    detach(connectionId: string): void {
      bridge.detach(connectionId);
    },

    async execute(context: UserExecutionContext, request: ExecuteRequest): Promise<RunResult> {
      if (stopping) {
        return refused(context, new ContractError(ERROR_CODES.shuttingDown, "shutting down"));
      }
      const problem = admissionProblem(context, request, deps, bridge);
      if (problem) return refused(context, problem);
      const queue = engine.user.queue(context.userId);
      if (queue.mustWait && queue.waiting >= deps.limits.maxQueuedPerUser) {
        return refused(context, new QueueFullError(context.userId, deps.limits.maxQueuedPerUser));
      }
      const result = await engine.execute(request.agentName, request.input, context);
      return resultOf(context.runId, result);
    },

    cancel(runId: string, byUserId: string): boolean {
      // The engine keys runs by its own ids: the caller's run is found by looking through them.
      const context = engine.contexts().find((c) => c.userContext.runId === runId);
      if (!context || context.userId !== byUserId) return false;
      return engine.cancelContext(context, "the run was cancelled by its user");
    },

    async closeUser(userId: string): Promise<void> {
      const mine = engine.contexts().filter((c) => c.userId === userId);
      await end(mine, "the user's session was closed");
      bridge.closeUser(userId);
      engine.user.userSemaphores.delete(userId);
    },

    stats(): EngineStats {
      const tally = new StatsTally();
      for (const context of engine.activeRuns.values()) {
        if (context.phase === "waiting") tally.user(context.userId).queuedRuns += 1;
        else tally.user(context.userId).activeRuns += 1;
      }
      for (const userId of bridge.bufferedUsers()) {
        tally.user(userId).bufferedEvents = bridge.buffered(userId);
      }
      for (const userId of engine.user.userSemaphores.keys()) tally.user(userId);
      for (const userId of bridge.users()) tally.user(userId);
      return tally.stats();
    },

    async shutdown(): Promise<void> {
      stopping = true;
      await end(engine.contexts(), "the engine is shutting down");
      engine.cleanup();
      bridge.closeAll();
    },
  };
}

function resultOf(runId: string, result: AgentExecutionResult): RunResult {
  if (result.success) return { runId, status: "completed", output: jsonCopy(result.result) };
  const status = result.reason ?? "error";
  return { runId, status, error: { code: status, message: result.error ?? status } };
}

const consolidated: EngineModule = {
  name: "consolidated",
  models: "execution_engine_consolidated",
  create,
};

export default consolidated;
