/**
 * The reference engine. It admits requests, starts runs when the scheduler gives them a slot,
 * and owns every piece of per-user state. All state lives on the instance and time comes only
 * from deps.clock. No method throws into its caller except attach() on a malformed connection,
 * and nothing waits on a lock, so every call may come from inside an agent, a tool, a send()
 * or another cleanup.
 */
import {
  type Connection,
  ContractError,
  DuplicateRunError,
  type Engine,
  type EngineDeps,
  type EngineStats,
  ERROR_CODES,
  type ExecuteRequest,
  ForbiddenError,
  type Limits,
  QueueFullError,
  type RunResult,
  type UserExecutionContext,
  type UserStats,
} from "../../harness/contract/index.ts";
import { Delivery } from "./delivery.ts";
import { type Outcome, Run, type RunHost } from "./run.ts";
import { Scheduler } from "./scheduler.ts";
import { Users } from "./users.ts";
import { admitContext, admitRequest, checkLimits, refusal, runIdOf } from "./validate.ts";

const CANCELLED_BY_OWNER = "the run was cancelled by its user";
const USER_CLOSED = "the run was cancelled because the user's session was closed";
const SHUTTING_DOWN = "the run was cancelled because the engine is shutting down";

export class SsotEngine implements Engine {
  private readonly limits: Readonly<Limits>;
  private readonly users = new Users();
  /** Runs that are queued or active, by runId (ctx.unique-run, cancel). */
  private readonly runs = new Map<string, Run>();
  private readonly scheduler: Scheduler;
  private readonly delivery: Delivery;
  private readonly host: RunHost;
  private dispatching = false;
  private stopping = false;

  constructor(private readonly deps: EngineDeps) {
    this.limits = checkLimits(deps.limits);
    this.scheduler = new Scheduler(this.limits.perUserConcurrency, this.limits.globalConcurrency);
    this.delivery = new Delivery(this.users, this.limits.bufferPerUser);
    this.host = {
      clock: deps.clock,
      tools: deps.tools,
      limits: this.limits,
      deliver: (user, text) => this.delivery.publish(user, text),
      end: (run, outcome) => this.finish(run, outcome),
    };
  }

  attach(connection: Connection): void {
    if (this.stopping) throw new ContractError(ERROR_CODES.shuttingDown, "the engine is shut down");
    this.delivery.attach(connection);
  }

  detach(connectionId: string): void {
    this.delivery.detach(connectionId);
  }

  /** Never throws or rejects: a refusal resolves `rejected` before any event, leaving no state. */
  execute(context: UserExecutionContext, request: ExecuteRequest): Promise<RunResult> {
    const runId = runIdOf(context);
    try {
      const admitted = this.admit(context, request);
      if (admitted instanceof Run) return admitted.result;
      return Promise.resolve(refusal(runId, admitted));
    } catch {
      const fault = new ContractError(ERROR_CODES.badRequest, "the request could not be admitted");
      return Promise.resolve(refusal(runId, fault));
    }
  }

  cancel(runId: string, byUserId: string): boolean {
    const run = this.runs.get(runId);
    if (!run || run.userId !== byUserId) return false; // cancel.foreign, cancel.idempotent
    if (run.state === "queued") {
      this.dropQueued(run, CANCELLED_BY_OWNER);
      this.users.release(run.user);
      return true;
    }
    if (run.state !== "active") return false;
    this.finish(run, { status: "cancelled", message: CANCELLED_BY_OWNER });
    return true;
  }

  closeUser(userId: string): Promise<void> {
    try {
      this.close(userId, USER_CLOSED);
    } catch {
      // Contained: closing must settle whatever else fails.
    }
    return Promise.resolve();
  }

  stats(): EngineStats {
    const stats: EngineStats = {
      activeRuns: 0,
      queuedRuns: 0,
      bufferedEvents: 0,
      users: [],
      perUser: {},
    };
    for (const user of this.users.values()) {
      const own: UserStats = {
        activeRuns: user.active.size,
        queuedRuns: user.queue.length,
        bufferedEvents: user.buffer.length,
      };
      stats.activeRuns += own.activeRuns;
      stats.queuedRuns += own.queuedRuns;
      stats.bufferedEvents += own.bufferedEvents;
      stats.users.push(user.id);
      // defineProperty: a user id such as "__proto__" must be a key, not a prototype.
      Object.defineProperty(stats.perUser, user.id, {
        value: own,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return stats;
  }

  /** Idempotent. Afterwards every execute has settled and nothing (timer, connection) is left. */
  shutdown(): Promise<void> {
    if (!this.stopping) {
      this.stopping = true; // from here on nothing is admitted and nothing queued starts
      try {
        const users = this.users.values();
        for (const user of users)
          for (const run of [...user.queue]) this.dropQueued(run, SHUTTING_DOWN);
        for (const user of users) this.close(user.id, SHUTTING_DOWN);
      } catch {
        // Contained: shutdown must settle whatever else fails.
      }
    }
    return Promise.resolve();
  }

  private admit(rawContext: unknown, rawRequest: unknown): Run | ContractError {
    if (this.stopping)
      return new ContractError(ERROR_CODES.shuttingDown, "the engine is shutting down");
    const context = admitContext(rawContext);
    if (context instanceof ContractError) return context;
    const { userId, runId, connectionId } = context;
    // ctx.owner. An unknown connection is refused too: its user cannot be vouched for. The
    // message names only what the caller sent, never whose the connection is.
    if (connectionId !== undefined && this.delivery.ownerOf(connectionId) !== userId) {
      return new ForbiddenError(
        `connection "${connectionId}" is not attached for user "${userId}"`,
      );
    }
    const request = admitRequest(rawRequest, this.deps.agents, this.limits.maxInputBytes);
    if (request instanceof ContractError) return request;
    if (this.runs.has(runId)) return new DuplicateRunError(runId);
    const existing = this.users.get(userId);
    const queued = existing?.queue.length ?? 0;
    if (this.scheduler.mustWait(existing) && queued >= this.limits.maxQueuedPerUser) {
      return new QueueFullError(userId, this.limits.maxQueuedPerUser);
    }
    // Admitted: only now does the user gain state.
    const run = new Run(this.users.obtain(userId), { context, ...request }, this.host);
    this.runs.set(runId, run);
    this.scheduler.enqueue(run);
    this.dispatch();
    return run;
  }

  /** Start whatever the scheduler allows. Re-entrant calls (from an agent started here) fall through. */
  private dispatch(): void {
    if (this.dispatching) return;
    this.dispatching = true;
    try {
      while (!this.stopping) {
        const run = this.scheduler.next();
        if (!run) break;
        try {
          run.start();
        } catch {
          this.finish(run, {
            status: "error",
            message: "internal engine fault: the run could not start",
          });
        }
      }
    } finally {
      this.dispatching = false;
    }
  }

  /** The one way an active run ends: slot back first, then the terminal, then the next run. */
  private finish(run: Run, outcome: Outcome): void {
    if (run.state !== "active") return;
    this.scheduler.release(run);
    if (this.runs.get(run.runId) === run) this.runs.delete(run.runId);
    try {
      run.terminate(outcome);
    } catch {
      // terminate guards each step; whatever escapes it must not keep the next run waiting.
    }
    this.dispatch();
    this.users.release(run.user);
  }

  private dropQueued(run: Run, message: string): void {
    this.scheduler.unqueue(run);
    if (this.runs.get(run.runId) === run) this.runs.delete(run.runId);
    run.drop(message);
  }

  /** closeUser: unregister first (new work starts a fresh record), then end what was theirs. */
  private close(userId: string, message: string): void {
    const user = this.users.get(userId);
    if (!user) return;
    this.users.remove(user);
    user.closed = true;
    for (const run of [...user.queue]) this.dropQueued(run, message);
    for (const run of [...user.active]) this.finish(run, { status: "cancelled", message });
    this.delivery.close(user);
  }
}
