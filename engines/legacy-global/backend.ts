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
  DuplicateRunError,
  type Engine,
  type EngineStats,
  ERROR_CODES,
  type ExecuteRequest,
  type RunResult,
  type UserExecutionContext,
} from "../../harness/contract/index.ts";
import { admissionProblem, refused } from "../legacy-shared/admission.ts";
import { errorMessage } from "../legacy-shared/errors.ts";
import { StatsTally } from "../legacy-shared/stats.ts";
import { ExecutionEngine } from "./execution-engine.ts";
import { BridgeEmitter, type LegacyProcess, UserEmitter } from "./process.ts";

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
    if (refusal) return Promise.resolve(refused(context, refusal));
    const engine = this.createRequestEngine(context);
    return engine.executeAgent(context, request).catch(
      (error: unknown): RunResult => ({
        runId,
        status: "error",
        error: { code: "error", message: errorMessage(error, "execution failed") },
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
    const tally = new StatsTally();
    for (const record of this.process.tracker.records()) {
      const own = tally.user(record.run.userId);
      if (record.state === "running") own.activeRuns += 1;
      else own.queuedRuns += 1;
    }
    for (const userId of this.process.bridge.users()) {
      tally.user(userId).bufferedEvents = this.process.bridge.buffered(userId);
    }
    return tally.stats();
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
    const problem = admissionProblem(context, request, this.process.deps, this.process.bridge);
    if (problem) return problem;
    const { runId } = context;
    if (this.process.tracker.findRun(runId)) return new DuplicateRunError(runId);
    return undefined;
  }
}
