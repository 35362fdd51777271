/**
 * `isolated-factory` model (execution_factory): ExecutionEngineFactory, one per process, and the
 * per-request ExecutionFactoryContext it tracks. The defects it keeps are listed in index.ts;
 * each is marked DEFECT where it lives.
 */
import type { EngineDeps, UserExecutionContext } from "../../harness/contract/index.ts";
import type { WebSocketManager } from "../legacy-shared/connections.ts";
import { Semaphore } from "../legacy-shared/semaphore.ts";
import { StandardWebSocketBridge } from "./bridge.ts";
import {
  type AgentExecutionContext,
  type AgentExecutionResult,
  IsolatedExecutionEngine,
} from "./engine.ts";
import { Lock } from "./sync.ts";

/** A request's execution state: its runs, its history and what to call when it is cleaned. */
export class ExecutionFactoryContext {
  readonly activeRuns = new Map<string, AgentExecutionContext>();
  runHistory: AgentExecutionResult[] = [];
  readonly metrics = { totalRuns: 0, successfulRuns: 0, failedRuns: 0, totalExecutionMs: 0 };
  readonly cleanupCallbacks: (() => Promise<void> | void)[] = [];
  status: "executing" | "completed" = "executing";
  #cleaned = false;
  /** The request's engine, as the request scope held it. */
  engine: IsolatedExecutionEngine | undefined;

  constructor(readonly context: UserExecutionContext) {}

  get userId(): string {
    return this.context.userId;
  }
  get requestId(): string {
    return this.context.requestId;
  }

  recordRunStart(): void {
    this.metrics.totalRuns += 1;
  }
  recordRunSuccess(executionMs: number): void {
    this.metrics.successfulRuns += 1;
    this.metrics.totalExecutionMs += executionMs;
  }
  recordRunFailure(): void {
    this.metrics.failedRuns += 1;
  }

  /** Runs the cleanup callbacks, newest first, then clears the request's state. */
  async cleanup(): Promise<void> {
    if (this.#cleaned) return;
    this.status = "completed";
    for (const callback of [...this.cleanupCallbacks].reverse()) {
      try {
        await callback();
      } catch {
        // Logged: "Cleanup callback failed".
      }
    }
    this.activeRuns.clear();
    if (this.runHistory.length > 10) this.runHistory = this.runHistory.slice(-5);
    this.cleanupCallbacks.length = 0;
    this.engine = undefined;
    this.#cleaned = true;
  }
}

export class ExecutionEngineFactory {
  readonly config: { maxConcurrentPerUser: number; timeoutMs: number; maxHistoryPerUser: number };
  // DEFECT (semaphores never removed): nothing ever deletes an entry of this map.
  readonly userSemaphores = new Map<string, Semaphore>();
  readonly #semaphoreLock = new Lock();
  /** request id → its context, as long as the request is registered. */
  readonly activeContexts = new Map<string, ExecutionFactoryContext>();
  // Not re-entrant, like asyncio.Lock.
  readonly #contextsLock = new Lock();
  readonly metrics = { enginesCreated: 0, enginesActive: 0, enginesCleaned: 0, concurrentPeak: 0 };

  constructor(
    private readonly deps: EngineDeps,
    private readonly manager: WebSocketManager,
  ) {
    this.config = {
      // DEFECT (limit 5): the factory's own default, whatever perUserConcurrency is configured.
      maxConcurrentPerUser: 5,
      timeoutMs: deps.limits.runTimeoutMs,
      maxHistoryPerUser: 100,
    };
  }

  /** The engine of a request that is still registered. */
  engineFor(requestId: string): IsolatedExecutionEngine | undefined {
    return this.activeContexts.get(requestId)?.engine;
  }

  /** A new engine for the request, with the user's semaphore and a bridge bound to the request. */
  async createExecutionEngine(context: UserExecutionContext): Promise<IsolatedExecutionEngine> {
    await this.#contextsLock.hold(() => {
      // _enforce_resource_limits: reads the active count under the lock.
      this.metrics.concurrentPeak = Math.max(this.metrics.concurrentPeak, this.activeContexts.size);
    });
    const semaphore = await this.#userSemaphore(context.userId);
    const { clock, limits } = this.deps;
    // DEFECT (emitter bound to the request): the bridge stamps every event of this engine with
    // the ids of the request it was made for, whichever run of the request sends it.
    const bridge = new StandardWebSocketBridge(
      context,
      this.manager,
      () => clock.now(),
      limits.maxEventBytes,
    );
    const owner = new ExecutionFactoryContext(context);
    const engine = new IsolatedExecutionEngine(
      owner,
      this.deps,
      bridge,
      semaphore,
      this.config.timeoutMs,
      this,
    );
    owner.engine = engine;
    owner.cleanupCallbacks.push(() => engine.cleanup());
    owner.cleanupCallbacks.push(() => bridge.cleanup());
    await this.#contextsLock.hold(() => {
      this.activeContexts.set(context.requestId, owner);
      this.metrics.enginesCreated += 1;
      this.metrics.enginesActive += 1;
      this.metrics.concurrentPeak = Math.max(this.metrics.concurrentPeak, this.activeContexts.size);
    });
    return engine;
  }

  async #userSemaphore(userId: string): Promise<Semaphore> {
    return this.#semaphoreLock.hold(() => {
      let semaphore = this.userSemaphores.get(userId);
      if (!semaphore) {
        semaphore = new Semaphore(this.config.maxConcurrentPerUser);
        this.userSemaphores.set(userId, semaphore);
      }
      return semaphore;
    });
  }

  /** Cleans one request's context under the contexts lock. */
  async cleanupContext(requestId: string): Promise<void> {
    await this.#contextsLock.hold(async () => {
      const owner = this.activeContexts.get(requestId);
      if (!owner) return;
      this.activeContexts.delete(requestId);
      // DEFECT (cleanup deadlock): the context's callbacks clean the engine, and the engine calls
      // cleanupContext again, which waits for the lock held here.
      await owner.cleanup();
      this.metrics.enginesActive -= 1;
      this.metrics.enginesCleaned += 1;
    });
  }
}
