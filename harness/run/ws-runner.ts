/**
 * Drives one scenario against one engine over real WebSockets (`--transport ws`) and records the
 * same kind of history as the in-process runner, plus the wire view (History.wire). The engine
 * runs in this process behind a gateway on 127.0.0.1; every user's tab is a real socket.
 *
 * Time is still virtual, but the virtual clock cannot wait on sockets, so the runner moves it
 * only when the wire is quiet. The quiescence rule:
 * - before each operation, every frame any client sent has been handled by the gateway (so the
 *   engine has made every call the previous operations asked for), every socket being opened or
 *   closed has been, and a macrotask has passed with that still true (so every job the engine
 *   queued has run);
 * - before the clock moves to a later instant, additionally every frame the gateway wrote has
 *   arrived at its client.
 * Between timers of one instant nothing comes from the wire (clients send only when the runner
 * issues an operation), so those fire as in process, one per macrotask. The engine therefore
 * sees the same calls in the same order as in process, the history records them in that order
 * (ws-tap.ts), and verdicts are the same from run to run. With `pipeline` (load mode), the
 * operations of one instant are sent without waiting for each other, as concurrent users would,
 * and the timers of one instant fire in one go: the engine sees whatever interleaving that gives,
 * and the history records it as it happened.
 */
import { createHash } from "node:crypto";
import { setImmediate as nextMacrotask } from "node:timers/promises";
import { DEFAULT_LIMITS, type EngineModule, type Limits } from "../contract/index.ts";
import { nameLeftovers } from "../memory/leftovers.ts";
import type { TimedProbe, WireScenario } from "../transport/wire-log.ts";
import { plantCanaries } from "../world/canary.ts";
import { World } from "../world/world.ts";
import { errorMessage } from "./copy.ts";
import type { History } from "./history.ts";
import { Recorder } from "./recorder.ts";
import { activeResources, addedResources, mergeAdded, type ResourceCounts } from "./resources.ts";
import { RetentionMonitor } from "./retention.ts";
import type { RunOptions } from "./runner.ts";
import type { Scenario, TimedOperation } from "./scenario.ts";
import { startEngine } from "./start-engine.ts";
import { WsDriver } from "./ws-driver.ts";

export interface WsRunOptions extends RunOptions {
  /**
   * Load mode: the operations of one instant are sent together, and the timers of one instant
   * fire together; the engine sees whatever interleaving that gives (see the header).
   */
  pipeline?: boolean;
  /**
   * Real milliseconds a socket may take to authenticate: probes of silent sockets wait this long
   * for their 4401 (default 500 ms; 30 s in load mode, where thousands connect at once).
   */
  authTimeoutMs?: number;
  /** The gateway's bound on a socket's send buffer (1013 past it). */
  maxBufferedBytes?: number;
  /**
   * Name what the engine left after shutdown (default true). Naming a timer costs a forced
   * collection and a heap walk; without it, leftovers are still counted by type.
   */
  nameLeftovers?: boolean;
}

/** Real milliseconds a scenario may take over the wire before the engine is declared stuck. */
export const WS_REAL_DEADLINE_MS = 20_000;
const DEFAULTS = {
  seed: 1,
  realDeadlineMs: WS_REAL_DEADLINE_MS,
  maxEntries: 200_000,
  authTimeoutMs: 500,
};

type Step =
  | { at: number; op: TimedOperation; probe?: undefined }
  | { at: number; probe: TimedProbe; op?: undefined };

/** The gateway's secret for a run: derived from the seed, so a replay is the same run. */
export function secretFor(seed: string | number): string {
  return createHash("sha256").update(`crosstalk-gateway\u0000${seed}`).digest("base64url");
}

export async function runScenarioWs(
  module: EngineModule,
  source: Scenario | WireScenario,
  options: WsRunOptions = {},
): Promise<History> {
  const startedAt = performance.now();
  const limits: Limits = { ...DEFAULT_LIMITS, ...source.limits };
  const seed = options.seed ?? DEFAULTS.seed;
  const deadlineMs = options.realDeadlineMs ?? DEFAULTS.realDeadlineMs;
  const deadline = startedAt + deadlineMs;
  const maxEntries = options.maxEntries ?? DEFAULTS.maxEntries;
  const authTimeout = options.authTimeoutMs ?? (options.pipeline ? 30_000 : DEFAULTS.authTimeoutMs);
  const recorder = new Recorder(maxEntries);
  const world = new World({
    seed,
    users: source.users,
    observer: recorder,
    ...(options.chooser ? { chooser: options.chooser } : {}),
  });
  const clock = world.clock;
  recorder.clock = clock;
  const scenario = plantCanaries(source, world.canaries) as WireScenario;
  const start = startEngine(module, { scenario, limits, world, recorder });
  if (start.engine === undefined) return start.history;
  const { engine, history, fail, resourcesBefore, watch, mark, releaseEscapes } = start;

  const wire = await WsDriver.start({
    // Whoever calls it (the gateway, for a frame; the driver, for an operator's call), what the
    // engine creates is the engine's.
    engine: watch.watched(engine),
    recorder,
    clock,
    limits,
    secret: secretFor(seed),
    authTimeoutMs: authTimeout,
    maxEntries,
    startedAt,
    ...(options.maxBufferedBytes ? { maxBufferedBytes: options.maxBufferedBytes } : {}),
  });
  const monitor = options.checkRetention
    ? new RetentionMonitor(recorder.tracked, wire.retentionRules(), {
        ...options.retention,
        anchors: [
          { object: engine, label: "engine" },
          { object: clock, label: "clock" },
        ],
      })
    : undefined;
  const steps: Step[] = [
    ...scenario.ops.map((op) => ({ at: op.at, op })),
    ...(scenario.probes ?? []).map((probe) => ({ at: probe.at, probe })),
  ];
  // Stable: at one instant, operations in scenario order, then probes in theirs.
  steps.sort((a, b) => a.at - b.at);
  const lastAt = steps.length > 0 ? (steps[steps.length - 1] as Step).at : 0;
  const horizon = lastAt + 4 * limits.runTimeoutMs;
  const late = `scenario exceeded its real-time deadline of ${deadlineMs} ms`;
  let settledSeen = 0;
  let settledInstants = 0;

  const issue = async (step: Step) => {
    clock.advanceTo(step.at);
    if (step.op) await wire.issue(step.op);
    else wire.probe(step.probe);
  };

  try {
    let next = 0;
    let instant = clock.now();
    let afterOperation = true;
    for (;;) {
      if (afterOperation) {
        if (!(await wire.settle(deadline))) {
          fail({ phase: "run", message: `${late} (the wire never went quiet)`, deadline: true });
          break;
        }
      } else await nextMacrotask();
      if (performance.now() > deadline) {
        fail({ phase: "run", message: late, deadline: true });
        break;
      }
      if (recorder.truncated) {
        fail({ phase: "run", message: recorder.truncated });
        break;
      }
      const step = steps[next];
      const due = clock.nextDue();
      const nextAt = step && (due === undefined || step.at <= due) ? step.at : due;
      if (nextAt === undefined || (step === undefined && nextAt > horizon)) break;
      if (nextAt > instant) {
        await wire.drain(deadline);
        wire.probeStats();
        if (monitor && wire.settledCount > settledSeen) {
          settledSeen = wire.settledCount;
          settledInstants += 1;
          if ((settledInstants & (settledInstants - 1)) === 0) {
            await monitor.check("scenario", clock.now());
          }
        }
        instant = nextAt;
      }
      if (step && step.at === nextAt) {
        await issue(step);
        next += 1;
        // Concurrent users: the rest of this instant's operations go out at once.
        while (options.pipeline && steps[next]?.at === nextAt) await issue(steps[next++] as Step);
        afterOperation = true;
      } else {
        afterOperation = false;
        // Concurrent users: every timer of this instant fires in one go, their jobs after.
        do {
          try {
            watch.during(() => clock.fireNext());
          } catch (error) {
            recorder.unhandled(error, "timer callback");
          }
        } while (options.pipeline && clock.nextDue() === nextAt);
      }
    }
    await wire.settle(deadline);
    await wire.drain(deadline);
    wire.probeStats();
    if (!history.failure) {
      await monitor?.check("scenario", clock.now());
      if (!wire.hasShutdown()) {
        await wire.issue({ op: "shutdown" }, true);
        const end = clock.now() + 4 * limits.runTimeoutMs;
        for (;;) {
          await wire.settle(deadline);
          const due = clock.nextDue();
          if (due === undefined || due > end || performance.now() > deadline) break;
          watch.during(() => clock.fireNext());
        }
        await wire.drain(deadline);
      }
      if (monitor) {
        if (wire.shutdownSettled) await monitor.check("shutdown", clock.now());
        await monitor.explain();
        history.retention = monitor.report();
      }
    }
    // A socket that never authenticated is the gateway's to close (4401): give it the time.
    await wire.unauthenticatedClosed(Math.min(deadline, performance.now() + authTimeout + 2_000));
  } catch (error) {
    fail({ phase: "run", message: `the runner failed: ${errorMessage(error)}` });
  } finally {
    await wire.close();
    releaseEscapes();
  }
  history.leftovers = {
    virtualTimers: clock.pending,
    resources: mergeAdded(
      addedResources(withoutWire(resourcesBefore), withoutWire(activeResources())),
      watch.stop(),
    ),
  };
  // Named only when something was left: the wire's own handles would otherwise be named too.
  if (options.nameLeftovers !== false && history.leftovers.resources.length > 0) {
    const named = await nameLeftovers(mark, history.leftovers.resources);
    if (named.length > 0) history.leftovers.named = named;
  }
  history.wire = wire.finish();
  if (recorder.truncated) history.truncated = recorder.truncated;
  return history;
}

/**
 * Counts without the types the wire itself uses (the gateway's server, its sockets and the
 * clients'): whether they are gone yet at the end says nothing about the engine. What the engine
 * itself opened of those types, the watch attributes to it.
 */
function withoutWire(counts: ResourceCounts): ResourceCounts {
  const kept = new Map(counts);
  kept.delete("TCPServerWrap");
  kept.delete("TCPSocketWrap");
  return kept;
}
