/**
 * legacy-global, the backend around the engine: admission (ids, owner, agent, input), the
 * connections, cancel, closeUser, stats and shutdown, as the service exposed them. It makes a new
 * `ExecutionEngine` instance per request (bound to the request's user); the shared instance is
 * made once, at process start. Defects kept here: none of its own; it only builds the instances
 * whose defects are listed in execution-engine.ts and process.ts.
 */
import {
  type Connection,
  ContractError,
  contextProblem,
  DuplicateRunError,
  type Engine,
  type EngineStats,
  ERROR_CODES,
  type ExecuteRequest,
  ForbiddenError,
  type RunResult,
  type UserExecutionContext,
  type UserStats,
} from "../../harness/contract/index.ts";
import { ExecutionEngine } from "./execution-engine.ts";
import { BridgeEmitter, jsonBytes, type LegacyProcess, messageOf, UserEmitter } from "./process.ts";

const CANCELLED_BY_OWNER = "the run was cancelled by its user";
const USER_CLOSED = "the run was cancelled because the user's session was closed";
const SHUTTING_DOWN = "the run was cancelled because the engine is shutting down";

export class LegacyBackend implements Engine {
  #stopping = false;

  constructor(readonly process: LegacyProcess) {
    // The module-level shared engine, created when the process starts.
    process.shared = ExecutionEngine.create(process, new BridgeEmitter(process.bridge));
  }

  /** A new engine instance for each request, bound to the request's user. */
  protected createRequestEngine(context: UserExecutionContext): ExecutionEngine {
    return ExecutionEngine.create(
      this.process,
      new UserEmitter(this.process.bridge, context.userId),
      context,
    );
  }

  attach(connection: Connection): void {
    if (this.#stopping) throw new ContractError(ERROR_CODES.shuttingDown, "shut down");
    this.process.bridge.attach(connection);
  }

  detach(connectionId: string): void {
    this.process.bridge.detach(connectionId);
  }

  execute(context: UserExecutionContext, request: ExecuteRequest): Promise<RunResult> {
    const runId = typeof context?.runId === "string" ? context.runId : "";
    let refusal: ContractError | undefined;
    try {
      refusal = this.admit(context, request);
    } catch {
      refusal = new ContractError(ERROR_CODES.badRequest, "the request could not be read");
    }
    if (refusal) {
      return Promise.resolve({
        runId,
        status: "rejected",
        error: { code: refusal.code, message: refusal.message },
      });
    }
    const engine = this.createRequestEngine(context);
    return engine.executeAgent(context, request).catch(
      (error: unknown): RunResult => ({
        runId,
        status: "error",
        error: { code: "error", message: messageOf(error, "execution failed") },
      }),
    );
  }

  cancel(runId: string, byUserId: string): boolean {
    const record = this.process.tracker.findRun(runId);
    if (!record || record.run.userId !== byUserId) return false;
    return record.run.cancel(CANCELLED_BY_OWNER);
  }

  closeUser(userId: string): void {
    for (const record of this.process.tracker.records()) {
      if (record.run.userId === userId) record.run.cancel(USER_CLOSED);
    }
    this.process.bridge.closeUser(userId);
  }

  stats(): EngineStats {
    const perUser: Record<string, UserStats> = {};
    const mine = (userId: string): UserStats => {
      let own = Object.hasOwn(perUser, userId) ? perUser[userId] : undefined;
      if (!own) {
        own = { activeRuns: 0, queuedRuns: 0, bufferedEvents: 0 };
        Object.defineProperty(perUser, userId, { value: own, enumerable: true, writable: true });
      }
      return own;
    };
    for (const record of this.process.tracker.records()) {
      const own = mine(record.run.userId);
      if (record.state === "running") own.activeRuns += 1;
      else own.queuedRuns += 1;
    }
    for (const userId of this.process.bridge.users()) {
      mine(userId).bufferedEvents = this.process.bridge.buffered(userId);
    }
    const stats: EngineStats = {
      activeRuns: 0,
      queuedRuns: 0,
      bufferedEvents: 0,
      users: Object.keys(perUser),
      perUser,
    };
    for (const own of Object.values(perUser)) {
      stats.activeRuns += own.activeRuns;
      stats.queuedRuns += own.queuedRuns;
      stats.bufferedEvents += own.bufferedEvents;
    }
    return stats;
  }

  shutdown(): void {
    if (this.#stopping) return;
    this.#stopping = true;
    for (const record of this.process.tracker.records()) record.run.cancel(SHUTTING_DOWN);
    this.process.bridge.closeAll();
  }

  /** Why the request is refused, or undefined when it is admitted. */
  protected admit(
    context: UserExecutionContext,
    request: ExecuteRequest,
  ): ContractError | undefined {
    if (this.#stopping) {
      return new ContractError(ERROR_CODES.shuttingDown, "the engine is shutting down");
    }
    const problem = contextProblem(context) ?? jsonProblem(context.metadata, "metadata");
    if (problem) return new ContractError(ERROR_CODES.invalidContext, problem);
    const { userId, runId, connectionId } = context;
    if (connectionId !== undefined && this.process.bridge.ownerOf(connectionId) !== userId) {
      return new ForbiddenError(
        `connection "${connectionId}" is not attached for user "${userId}"`,
      );
    }
    if (typeof request !== "object" || request === null) {
      return new ContractError(ERROR_CODES.badRequest, "request is not an object");
    }
    const { agentName, input } = request;
    if (typeof agentName !== "string" || !this.process.deps.agents.get(agentName)) {
      return new ContractError(ERROR_CODES.badRequest, `unknown agent "${String(agentName)}"`);
    }
    const inputProblem = jsonProblem(input, "input");
    if (inputProblem) return new ContractError(ERROR_CODES.badRequest, inputProblem);
    const bytes = jsonBytes(input);
    if (bytes > this.process.limits.maxInputBytes) {
      return new ContractError(
        ERROR_CODES.badRequest,
        `input is ${bytes} bytes, more than ${this.process.limits.maxInputBytes}`,
      );
    }
    if (this.process.tracker.findRun(runId)) return new DuplicateRunError(runId);
    return undefined;
  }
}

/** Why `value` is not plain JSON data. */
function jsonProblem(value: unknown, what: string): string | undefined {
  const seen = new Set<object>();
  const visit = (item: unknown): string | undefined => {
    if (item === null || typeof item === "string" || typeof item === "boolean") return undefined;
    if (typeof item === "number") return Number.isFinite(item) ? undefined : `${what} has ${item}`;
    if (typeof item !== "object") return `${what} contains a ${typeof item}`;
    if (seen.has(item)) return `${what} is circular`;
    seen.add(item);
    if (!Array.isArray(item)) {
      const proto = Object.getPrototypeOf(item);
      if (proto !== Object.prototype && proto !== null) return `${what} has a non-plain object`;
    }
    for (const member of Object.values(item)) {
      if (member === undefined && !Array.isArray(item)) continue;
      const problem = visit(member);
      if (problem) return problem;
    }
    seen.delete(item);
    return undefined;
  };
  try {
    return visit(value);
  } catch {
    return `${what} cannot be read`;
  }
}
