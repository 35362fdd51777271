/**
 * The figures of an engine reached at a URL: for each user count, one checked run of the
 * workload (url-check.ts), then runs per second and emit-to-receive latency (url.ts); and a
 * session's cost. The reference gets the same figures, served at a URL on a real clock in this
 * process, whenever an engine by URL is measured: that is what its ratios are against.
 */
import type { BenchEngine } from "../../../reports/bench-schema.ts";
import { serveLive } from "../../adapters/remote/serve-live.ts";
import type { EngineModule } from "../../contract/index.ts";
import { failed, measured } from "./figures.ts";
import type { Budget } from "./stats.ts";
import { sessionOverUrl, type UrlTarget, urlFigures } from "./url.ts";
import { checkUrlWorkload, reach } from "./url-check.ts";
import { RUNS_PER_USER } from "./workloads.ts";

const URL_KINDS = ["runs-per-second", "latency-p50", "latency-p99"] as const;

export async function benchOverUrl(
  target: UrlTarget,
  engine: BenchEngine,
  options: { budget: Budget; users: readonly number[]; say: (what: string) => void },
): Promise<void> {
  const reached = await reach(target);
  if ("failure" in reached) {
    engine.failure = `cannot benchmark ${target.url}: ${reached.failure}`;
    return;
  }
  for (const n of options.users) {
    const id = `runs.url.${n}`;
    const where = { transport: "url" as const, users: n, workload: id };
    options.say(`${id}: checking`);
    const checked = await checkUrlWorkload(target, reached, n);
    engine.workloads.push(checked);
    if (checked.failure) {
      const why = `not timed: its checked run failed (${checked.failure})`;
      for (const kind of URL_KINDS) engine.figures.push(failed(kind, where, why));
      continue;
    }
    options.say(`${id}: timing`);
    try {
      const figures = await urlFigures(target, n, options.budget);
      engine.figures.push(
        measured("runs-per-second", where, figures.throughput, { frames: figures.frames }),
        measured("latency-p50", where, figures.p50),
        measured("latency-p99", where, figures.p99),
      );
    } catch (error) {
      for (const kind of URL_KINDS) engine.figures.push(failed(kind, where, error));
    }
  }
  options.say("session open and close at the URL");
  const where = { transport: "url" as const, workload: `runs.url.${Math.min(...options.users)}` };
  try {
    engine.figures.push(
      measured("session-open-close", where, await sessionOverUrl(target, options.budget)),
    );
  } catch (error) {
    engine.figures.push(failed("session-open-close", where, error));
  }
}

/** The reference served as a remote engine runs (real clock), with room for every run at once. */
export async function benchReferenceOverUrl(
  module: EngineModule,
  engine: BenchEngine,
  options: { budget: Budget; users: readonly number[]; say: (what: string) => void },
): Promise<void> {
  const served = await serveLive(module, {
    limits: { globalConcurrency: Math.max(...options.users) * RUNS_PER_USER },
  });
  try {
    await benchOverUrl({ url: served.url, secret: served.secret }, engine, options);
  } finally {
    await served.close();
  }
}
