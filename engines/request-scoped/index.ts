/**
 * Models `request_scoped_execution_engine` (LEGACY.md §3): a new engine per request, emitting
 * through a process-wide bridge that finds each event's destination by run id.
 *
 * Defects kept (one line each, from LEGACY.md §3):
 * - the bridge's run → thread registry is global and a new registration silently overwrites an old one;
 * - for an unknown run id the thread is parsed out of the run id string and written back into the registry;
 * - delivery goes to the thread's user as the registry last recorded it;
 * - when the agent throws, the exception is re-raised (execute rejects) with no terminal event;
 * - agent_completed reads the wrong field of the agent's result, so it carries no result.
 *
 * The backend PROCESS is one create() call: the bridge, its registry, the WebSocket manager and
 * the per-user slots live in a `RequestScopedProcess` made here and shared by every per-request
 * engine made inside it (engine.ts); nothing is module-level. Everything LEGACY.md does not
 * list (admission, per-user limits, timeout, cancel, resume buffer) behaves as the contract says;
 * admission, JSON copies, event sizes, the WebSocket manager and stats sums are the legacy models'
 * shared plumbing in ../legacy-shared.
 */
import {
  type Connection,
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
import { inputSummary, jsonCopy } from "../legacy-shared/json.ts";
import { StatsTally } from "../legacy-shared/stats.ts";
import { AgentWebSocketBridge, ThreadRunRegistry } from "./bridge.ts";
import { type ProcessHost, RequestScopedExecutionEngine } from "./engine.ts";
import { UserSlots } from "./slots.ts";

const CANCELLED_BY_OWNER = "the run was cancelled by its user";
const USER_CLOSED = "the run was cancelled because the user's session was closed";
const SHUTTING_DOWN = "the run was cancelled because the engine is shutting down";

/** One backend process: the process-wide bridge and every per-request engine made in it. */
class RequestScopedProcess implements Engine {
  readonly #registry = new ThreadRunRegistry();
  readonly #manager: WebSocketManager;
  readonly #host: ProcessHost;
  /** Per-request engines not yet cleaned up (queued or running). */
  readonly #engines = new Set<RequestScopedExecutionEngine>();
  #stopping = false;

  constructor(private readonly deps: EngineDeps) {
    const { clock, tools, limits } = deps;
    this.#manager = new WebSocketManager(limits.bufferPerUser);
    const bridge = new AgentWebSocketBridge(
      this.#registry,
      this.#manager,
      clock,
      limits.maxEventBytes,
    );
    const slots = new UserSlots(
      limits.perUserConcurrency,
      limits.globalConcurrency,
      limits.maxQueuedPerUser,
    );
    this.#host = {
      clock,
      tools,
      limits,
      bridge,
      registry: this.#registry,
      slots,
      retire: (engine) => this.#engines.delete(engine),
    };
  }

  attach(connection: Connection): void {
    this.#manager.attach(connection);
  }

  detach(connectionId: string): void {
    this.#manager.detach(connectionId);
  }

  execute(context: UserExecutionContext, request: ExecuteRequest): Promise<RunResult> {
    if (this.#stopping) {
      return rejected(context, { code: ERROR_CODES.shuttingDown, message: "shutting down" });
    }
    const problem = admissionProblem(context, request, this.deps, this.#manager);
    if (problem) return rejected(context, problem);
    const agent = this.deps.agents.get(request.agentName);
    if (!agent)
      return rejected(context, { code: ERROR_CODES.badRequest, message: "unknown agent" });
    // No run-id check across requests: each engine only knows its own request's runs.
    const engine = new RequestScopedExecutionEngine(
      this.#host,
      ownCopy(context),
      request.agentName,
    );
    this.#engines.add(engine);
    return engine.executeAgent(agent, jsonCopy(request.input), inputSummary(request.input));
  }

  cancel(runId: string, byUserId: string): boolean {
    for (const engine of this.#engines) {
      if (engine.runId !== runId || engine.userId !== byUserId || engine.phase === "done") continue;
      engine.cancel(CANCELLED_BY_OWNER);
      return true;
    }
    return false;
  }

  closeUser(userId: string): void {
    this.#cancelWhere((engine) => engine.userId === userId, USER_CLOSED);
    this.#manager.closeUser(userId);
    this.#registry.forgetUser(userId);
  }

  stats(): EngineStats {
    const tally = new StatsTally();
    for (const engine of this.#engines) {
      if (engine.phase === "active") tally.user(engine.userId).activeRuns += engine.activeRuns.size;
      else if (engine.phase === "queued") tally.user(engine.userId).queuedRuns += 1;
    }
    for (const userId of this.#manager.bufferedUsers()) {
      tally.user(userId).bufferedEvents = this.#manager.buffered(userId);
    }
    return tally.stats();
  }

  shutdown(): void {
    if (this.#stopping) return;
    this.#stopping = true;
    this.#cancelWhere(() => true, SHUTTING_DOWN);
    this.#manager.closeAll();
  }

  #cancelWhere(match: (engine: RequestScopedExecutionEngine) => boolean, message: string): void {
    // Queued first, so that ending an active run does not start one about to be cancelled.
    const engines = [...this.#engines].filter(match);
    for (const engine of engines) if (engine.phase !== "active") engine.cancel(message);
    for (const engine of engines) if (engine.phase === "active") engine.cancel(message);
  }
}

function rejected(context: unknown, error: { code: string; message: string }): Promise<RunResult> {
  return Promise.resolve(refused(context, error));
}

/** The engine's own frozen copy of the context: the caller's object is never kept or changed. */
function ownCopy(context: UserExecutionContext): UserExecutionContext {
  return Object.freeze({
    userId: context.userId,
    threadId: context.threadId,
    runId: context.runId,
    requestId: context.requestId,
    ...(context.connectionId === undefined ? {} : { connectionId: context.connectionId }),
    metadata: Object.freeze(jsonCopy(context.metadata) as JsonObject),
  });
}

const module: EngineModule = {
  name: "request-scoped",
  models: "request_scoped_execution_engine",
  create: (deps) => new RequestScopedProcess(deps),
};

export default module;
