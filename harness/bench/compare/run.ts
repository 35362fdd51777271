/**
 * One benchmark run: the same workloads on every engine, one engine after the other, in this
 * process, then ratios against the reference measured in the same run. Every figure that could
 * not be measured is kept, with its error, never dropped.
 */
import os from "node:os";
import { REFERENCE_ENGINE } from "../../../engines/index.ts";
import {
  BENCH_SCHEMA_VERSION,
  type BenchDocument,
  type BenchEngine,
  type BenchFigure,
  type FigureKind,
} from "../../../reports/bench-schema.ts";
import type { EngineModule } from "../../contract/index.ts";
import { gcFunction } from "../../run/gc.ts";
import type { EngineEntry } from "./engines.ts";
import { type FigureWhere, failed, finish, measured, overhead } from "./figures.ts";
import { heapPerActiveUser, heapPerCompletedRun } from "./heap.ts";
import { checkingCost, runsPerSecond } from "./in-process.ts";
import { benchOverUrl, benchReferenceOverUrl } from "./over-url.ts";
import { sessionInProcess, sessionOverWs } from "./session.ts";
import type { Budget, Stats } from "./stats.ts";
import { checkWorkload, runsWorkload } from "./workloads.ts";
import { wsFigures } from "./ws.ts";

export interface BenchOptions {
  budget: Budget;
  /** Concurrent-user counts, ascending. */
  users: number[];
  /** Also measure over WebSockets (default true). */
  ws: boolean;
  /** The command line that reproduces this run, recorded in the document. */
  command: string;
  /** Progress lines (to stderr in the CLI). */
  progress?: (line: string) => void;
}

/** The user count the checking overhead and the per-run heap figure are measured at. */
export function overheadUsers(users: readonly number[]): number {
  const upTo100 = users.filter((n) => n <= 100);
  return upTo100.length > 0 ? Math.max(...upTo100) : Math.min(...users);
}

export async function runBench(
  entries: readonly EngineEntry[],
  options: BenchOptions,
): Promise<BenchDocument> {
  const startedAt = new Date().toISOString();
  const loadAverageStart = os.loadavg();
  const engines: BenchEngine[] = [];
  for (const entry of entries) {
    const engine: BenchEngine = {
      name: entry.module?.name ?? entry.spec,
      spec: entry.spec,
      source: entry.source,
      reference: entry.reference,
      workloads: [],
      figures: [],
    };
    const say = (what: string) => options.progress?.(`${engine.name}: ${what}`);
    const overUrl = { budget: options.budget, users: options.users, say };
    if (entry.failure) {
      engine.failure = entry.failure;
    } else if (entry.target) {
      await benchOverUrl(entry.target, engine, overUrl);
    } else if (entry.module) {
      await benchEngine(entry.module, engine, options);
      // Ratios of engines by URL are against the reference driven the same way.
      if (entry.reference && entries.some((e) => e.target)) {
        await benchReferenceOverUrl(entry.module, engine, overUrl);
      }
    } else {
      engine.failure = "not loaded";
    }
    engines.push(engine);
  }
  finish(engines, engines.find((e) => e.reference)?.name ?? REFERENCE_ENGINE);
  return {
    version: BENCH_SCHEMA_VERSION,
    startedAt,
    finishedAt: new Date().toISOString(),
    command: options.command,
    machine: {
      cpu: os.cpus()[0]?.model ?? "unknown",
      cores: os.cpus().length,
      memoryBytes: os.totalmem(),
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      loadAverageStart,
      loadAverageEnd: os.loadavg(),
      exposeGc: gcFunction() !== undefined,
    },
    budget: { ...options.budget, users: options.users },
    reference: engines.find((e) => e.reference)?.name ?? REFERENCE_ENGINE,
    engines,
  };
}

async function benchEngine(
  module: EngineModule,
  engine: BenchEngine,
  options: BenchOptions,
): Promise<void> {
  const { budget, users } = options;
  const say = (what: string) => options.progress?.(`${module.name}: ${what}`);
  /** Measures one figure; a failure becomes the figure's error, and the run goes on. */
  const figure = async (
    kind: FigureKind,
    where: FigureWhere,
    stats: () => Promise<Stats>,
  ): Promise<BenchFigure> => {
    try {
      const made = measured(kind, where, await stats());
      engine.figures.push(made);
      return made;
    } catch (error) {
      const made = failed(kind, where, error);
      engine.figures.push(made);
      return made;
    }
  };

  for (const transport of options.ws
    ? (["in-process", "ws"] as const)
    : (["in-process"] as const)) {
    for (const n of users) {
      const workload = runsWorkload(transport, n);
      say(`${workload.id}: checking`);
      const checked = await checkWorkload(module, workload);
      engine.workloads.push(checked);
      say(
        `${workload.id}: timing${checked.brokenClauses.length > 0 ? ` (breaks ${checked.brokenClauses.map((c) => c.id).join(", ")})` : ""}`,
      );
      const where = { transport, users: n, workload: workload.id };
      if (checked.failure) {
        // An engine that fails its checked run would fail or stall every timed one too.
        const why = `not timed: its checked run failed (${checked.failure})`;
        const kinds =
          transport === "ws"
            ? (["runs-per-second", "latency-p50", "latency-p99"] as const)
            : (["runs-per-second"] as const);
        for (const kind of kinds) engine.figures.push(failed(kind, where, why));
        continue;
      }
      if (transport === "in-process") {
        try {
          const runs = await runsPerSecond(module, workload, budget);
          engine.figures.push(
            measured("runs-per-second", where, runs.throughput, {
              msPerRun: runs.perRun.mean,
              cpuMsPerRun: runs.cpuMsPerRun,
            }),
          );
        } catch (error) {
          engine.figures.push(failed("runs-per-second", where, error));
        }
        continue;
      }
      try {
        const ws = await wsFigures(module, workload, budget);
        engine.figures.push(
          measured("runs-per-second", where, ws.throughput, { frames: ws.frames }),
          measured("latency-p50", where, ws.p50),
          measured("latency-p99", where, ws.p99),
        );
      } catch (error) {
        for (const kind of ["runs-per-second", "latency-p50", "latency-p99"] as const) {
          engine.figures.push(failed(kind, where, error));
        }
      }
    }
  }

  const at = overheadUsers(users);
  const atWorkload = {
    transport: "in-process" as const,
    users: at,
    workload: `runs.in-process.${at}`,
  };
  say(`checking overhead at ${at} users`);
  let cost: Awaited<ReturnType<typeof checkingCost>> | undefined;
  let costError: unknown;
  try {
    cost = await checkingCost(module, runsWorkload("in-process", at), budget);
  } catch (error) {
    costError = error;
  }
  const unchecked = cost
    ? measured("scenario-time-unchecked", atWorkload, cost.unchecked, {
        cpuMs: cost.uncheckedCpuMs,
      })
    : failed("scenario-time-unchecked", atWorkload, costError);
  const checkedTime = cost
    ? measured("scenario-time-checked", atWorkload, cost.checked, { cpuMs: cost.checkedCpuMs })
    : failed("scenario-time-checked", atWorkload, costError);
  engine.figures.push(unchecked, checkedTime, overhead(atWorkload, unchecked, checkedTime));

  const most = Math.max(...users);
  say(`heap at ${most} active users, and per completed run at ${at} users`);
  await figure("heap-per-active-user", { users: most, workload: `runs.in-process.${most}` }, () =>
    heapPerActiveUser(module, most, budget),
  );
  await figure("heap-per-completed-run", { users: at, workload: `runs.in-process.${at}` }, () =>
    heapPerCompletedRun(module, at, budget),
  );

  say("session open and close");
  const fewest = Math.min(...users);
  await figure(
    "session-open-close",
    { transport: "in-process", workload: `runs.in-process.${fewest}` },
    () => sessionInProcess(module, budget),
  );
  if (options.ws) {
    await figure("session-open-close", { transport: "ws", workload: `runs.ws.${fewest}` }, () =>
      sessionOverWs(module, budget),
    );
  }
}
