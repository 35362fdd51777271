/**
 * Drives one scenario against one engine in process and records its history. The runner never
 * judges: checkers read the history afterwards. Time is virtual: between steps the runner lets
 * every pending microtask run, then either issues the next operation or fires the next timer.
 */
import { setImmediate as nextMacrotask } from "node:timers/promises";
import {
  DEFAULT_LIMITS,
  type Engine,
  type EngineModule,
  type Limits,
  type UserExecutionContext,
} from "../contract/index.ts";
import { nameLeftovers } from "../memory/leftovers.ts";
import { memoryConnection } from "../transport/memory.ts";
import { plantCanaries } from "../world/canary.ts";
import type { TimerChooser } from "../world/clock.ts";
import { World } from "../world/world.ts";
import { errorMessage } from "./copy.ts";
import type { History } from "./history.ts";
import { Recorder } from "./recorder.ts";
import { activeResources, addedResources, mergeAdded } from "./resources.ts";
import { RetentionMonitor, type RetentionOptions, type RetentionRules } from "./retention.ts";
import type { Operation, Scenario, TimedOperation } from "./scenario.ts";
import { startEngine } from "./start-engine.ts";

export interface RunOptions {
  /** Seeds the canaries; the same seed plants the same secrets. */
  seed?: string | number;
  /** Force GC after the runs and closeUser to find what the engine retains (slower). */
  checkRetention?: boolean;
  /** How retainers are looked for when something is retained (heap snapshots). */
  retention?: Pick<RetentionOptions, "maxSnapshots" | "keepSnapshotsIn">;
  /** Real milliseconds the whole scenario may take before the engine is declared stuck. */
  realDeadlineMs?: number;
  /** History entries recorded before the engine is declared to flood. */
  maxEntries?: number;
  /** Decides which of several timers due at one instant fires first. */
  chooser?: TimerChooser;
}

/** Real milliseconds a scenario may take in process before the engine is declared stuck. */
export const REAL_DEADLINE_MS = 10_000;
const DEFAULTS = { seed: 1, realDeadlineMs: REAL_DEADLINE_MS, maxEntries: 200_000 };

export async function runScenario(
  module: EngineModule,
  scenario: Scenario,
  options: RunOptions = {},
): Promise<History> {
  const limits: Limits = { ...DEFAULT_LIMITS, ...scenario.limits };
  const seed = options.seed ?? DEFAULTS.seed;
  const deadline = performance.now() + (options.realDeadlineMs ?? DEFAULTS.realDeadlineMs);
  const recorder = new Recorder(options.maxEntries ?? DEFAULTS.maxEntries);
  const world = new World({
    seed,
    users: scenario.users,
    observer: recorder,
    ...(options.chooser ? { chooser: options.chooser } : {}),
  });
  const clock = world.clock;
  recorder.clock = clock;
  scenario = plantCanaries(scenario, world.canaries);
  const start = startEngine(module, { scenario, limits, world, recorder });
  if (start.engine === undefined) return start.history;
  const { engine, history, fail, resourcesBefore, watch, mark, releaseEscapes } = start;

  const driver = new Driver(engine, recorder);
  const monitor = options.checkRetention
    ? new RetentionMonitor(recorder.tracked, driver.retentionRules(), {
        ...options.retention,
        anchors: [
          { object: engine, label: "engine" },
          { object: clock, label: "clock" },
        ],
      })
    : undefined;
  // Checks while the scenario runs, at quiet instants after runs settled or users were closed:
  // each of the first 16 such instants, then the 32nd, 64th... so that a long scenario costs a
  // few dozen collections, not one per run.
  let settledInstants = 0;
  let settledSeen = 0;
  const ops = [...scenario.ops].sort((a, b) => a.at - b.at);
  const lastAt = ops.length > 0 ? (ops[ops.length - 1] as TimedOperation).at : 0;
  // Past this instant a pending timer is a leftover, not work: it stops runaway intervals.
  const horizon = lastAt + 4 * limits.runTimeoutMs;

  try {
    let next = 0;
    let instant = clock.now();
    for (;;) {
      await nextMacrotask();
      if (performance.now() > deadline) {
        fail({
          phase: "run",
          message: `scenario exceeded its real-time deadline of ${options.realDeadlineMs ?? DEFAULTS.realDeadlineMs} ms`,
          deadline: true,
        });
        break;
      }
      if (recorder.truncated) {
        fail({ phase: "run", message: recorder.truncated });
        break;
      }
      const op = ops[next];
      const due = clock.nextDue();
      const nextAt = op && (due === undefined || op.at <= due) ? op.at : due;
      if (nextAt === undefined || (op === undefined && nextAt > horizon)) break;
      if (nextAt > instant) {
        driver.probeStats();
        if (monitor && driver.settledCount > settledSeen) {
          settledSeen = driver.settledCount;
          settledInstants += 1;
          if (settledInstants <= 16 || (settledInstants & (settledInstants - 1)) === 0) {
            await monitor.check("scenario", clock.now());
          }
        }
        instant = nextAt;
      }
      if (op && op.at === nextAt) {
        clock.advanceTo(op.at);
        clock.startLineage();
        watch.during(() => driver.issue(op));
        next += 1;
      } else {
        try {
          watch.during(() => clock.fireNext());
        } catch (error) {
          recorder.unhandled(error, "timer callback");
        }
      }
    }
    await nextMacrotask();
    driver.probeStats();
    if (!history.failure) {
      await monitor?.check("scenario", clock.now());
      if (!ops.some((op) => op.op === "shutdown")) {
        watch.during(() => driver.issue({ op: "shutdown" }, true));
        const end = clock.now() + 4 * limits.runTimeoutMs;
        for (;;) {
          await nextMacrotask();
          const due = clock.nextDue();
          if (due === undefined || due > end || performance.now() > deadline) break;
          watch.during(() => clock.fireNext());
        }
        await nextMacrotask();
      }
      if (monitor) {
        if (driver.shutdownSettled) await monitor.check("shutdown", clock.now());
        await monitor.explain();
        history.retention = monitor.report();
      }
    }
  } catch (error) {
    fail({ phase: "run", message: `the runner failed: ${errorMessage(error)}` });
  } finally {
    releaseEscapes();
  }
  history.leftovers = {
    virtualTimers: clock.pending,
    resources: mergeAdded(addedResources(resourcesBefore, activeResources()), watch.stop()),
  };
  const named = await nameLeftovers(mark, history.leftovers.resources);
  if (named.length > 0) history.leftovers.named = named;
  if (recorder.truncated) history.truncated = recorder.truncated;
  return history;
}

/** Issues operations to the engine and records each call and its outcome. */
class Driver {
  /** runId → callIds of its executes, to know when a run's objects must be gone. */
  readonly #runCalls = new Map<string, number[]>();
  readonly #settled = new Set<number>();
  /** userId → history index of its latest closeUser call. */
  readonly closedUsers = new Map<string, number>();
  /** userId → callId of its latest closeUser call. */
  readonly #closeCalls = new Map<string, number>();
  #shutdownCalls: number[] = [];
  /** Executes and closeUser calls settled so far: retention is worth checking when it grows. */
  settledCount = 0;

  constructor(
    private readonly engine: Engine,
    private readonly recorder: Recorder,
  ) {}

  /** Every execute issued with this runId has settled (a duplicate refused early does not count). */
  isRunSettled = (runId: string): boolean => {
    const calls = this.#runCalls.get(runId);
    return calls?.every((callId) => this.#settled.has(callId)) === true;
  };

  get shutdownSettled(): boolean {
    return this.#shutdownCalls.some((callId) => this.#settled.has(callId));
  }

  /** When each tracked object must be gone, from what the driver has seen settle. */
  retentionRules(): RetentionRules {
    return {
      // Objects of one execute go with that call; what the world saw (runtime, tool results)
      // goes with every execute of its runId.
      runSettled: (object) =>
        object.callId !== undefined
          ? this.#settled.has(object.callId)
          : object.runId !== undefined && this.isRunSettled(object.runId),
      userClosed: (object) => {
        const index = this.closedUsers.get(object.userId);
        const callId = this.#closeCalls.get(object.userId);
        return (
          index !== undefined &&
          callId !== undefined &&
          object.since <= index &&
          this.#settled.has(callId)
        );
      },
      harnessBusy: (object) => this.recorder.isWorking(object.runId),
    };
  }

  probeStats(): void {
    try {
      this.recorder.stats(this.engine.stats(), true);
    } catch (error) {
      this.recorder.unhandled(error, "stats()");
    }
  }

  issue(operation: Operation, epilogue = false): void {
    const callId = this.recorder.call(operation, epilogue);
    try {
      this.#dispatch(callId, operation);
    } catch (error) {
      this.#settled.add(callId);
      this.recorder.threw(callId, error);
    }
  }

  #dispatch(callId: number, operation: Operation): void {
    const { engine, recorder } = this;
    switch (operation.op) {
      case "attach": {
        const connection = memoryConnection(
          operation.connectionId,
          operation.userId,
          recorder.deliver,
        );
        recorder.track("connection", connection, operation.userId);
        engine.attach(connection);
        this.#done(callId, undefined);
        return;
      }
      case "detach":
        engine.detach(operation.connectionId);
        this.#done(callId, undefined);
        return;
      case "execute":
        this.#execute(callId, operation);
        return;
      case "cancel":
        this.#settle(callId, engine.cancel(operation.runId, operation.byUserId));
        return;
      case "closeUser":
        this.closedUsers.set(operation.userId, this.recorder.entries.length - 1);
        this.#closeCalls.set(operation.userId, callId);
        this.#settle(callId, engine.closeUser(operation.userId), true);
        return;
      case "stats": {
        const stats = engine.stats();
        recorder.stats(stats, false);
        this.#done(callId, stats);
        return;
      }
      case "shutdown":
        this.#shutdownCalls.push(callId);
        this.#settle(callId, engine.shutdown());
        return;
    }
  }

  #execute(callId: number, operation: Extract<Operation, { op: "execute" }>): void {
    const context = structuredClone(operation.context) as UserExecutionContext;
    const request = structuredClone(operation.request);
    const before = { context: JSON.stringify(context), request: JSON.stringify(request) };
    const { userId, runId } = context;
    this.recorder.track("context", context, userId, runId, callId);
    this.recorder.track("request", request, userId, runId, callId);
    if (typeof request.input === "object" && request.input !== null) {
      this.recorder.track("input", request.input, userId, runId, callId);
    }
    this.#runCalls.set(runId, [...(this.#runCalls.get(runId) ?? []), callId]);
    const pending = this.engine.execute(context, request);
    Promise.resolve(pending).then(
      (value) => {
        const mutated: ("context" | "request")[] = [];
        if (JSON.stringify(context) !== before.context) mutated.push("context");
        if (JSON.stringify(request) !== before.request) mutated.push("request");
        this.#settled.add(callId);
        this.settledCount += 1;
        this.recorder.returned(callId, value, mutated);
      },
      (error) => {
        this.#settled.add(callId);
        this.settledCount += 1;
        this.recorder.threw(callId, error);
      },
    );
  }

  /** `counts`: a settlement after which retention is worth checking (closeUser). */
  #settle(callId: number, outcome: unknown, counts = false): void {
    const settled = () => {
      if (counts) this.settledCount += 1;
    };
    if (
      outcome instanceof Promise ||
      (typeof outcome === "object" && outcome !== null && "then" in outcome)
    ) {
      Promise.resolve(outcome).then(
        (value) => {
          settled();
          this.#done(callId, value);
        },
        (error) => {
          settled();
          this.#settled.add(callId);
          this.recorder.threw(callId, error);
        },
      );
      return;
    }
    settled();
    this.#done(callId, outcome);
  }

  #done(callId: number, value: unknown): void {
    this.#settled.add(callId);
    this.recorder.returned(callId, value);
  }
}
