/**
 * Over-the-wire figures of one engine: runs per second and emit-to-receive latency (the
 * gateway's write to the client's receipt) at a user count. Each iteration runs the workload
 * behind the gateway with every user's tab a real socket; runs per second counts the streaming
 * window (first event written to last event received), so opening a thousand sockets is not
 * charged to the engine: that cost is the session figure's. The iteration's whole time is kept
 * as its cost for tinybench's budget.
 */
import type { EngineModule } from "../../contract/index.ts";
import type { History } from "../../run/history.ts";
import { type Budget, measure, type Stats, summarise } from "./stats.ts";
import { runOnce, type Workload } from "./workloads.ts";

export interface WsFigures {
  throughput: Stats;
  perRun: Stats;
  /** tinybench's statistics of each iteration's latency percentile, in ms. */
  p50: Stats;
  p99: Stats;
  /** Event frames received in the measured iterations. */
  frames: number;
}

interface Window {
  ms: number;
  latencies: number[];
}

export function streamingWindow(history: History): Window {
  const latencies: number[] = [];
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const socket of history.wire?.sockets ?? []) {
    for (const frame of socket.received) {
      if (frame.type !== "event" || frame.latencyMs === undefined) continue;
      latencies.push(frame.latencyMs);
      first = Math.min(first, frame.realMs - frame.latencyMs);
      last = Math.max(last, frame.realMs);
    }
  }
  return { ms: latencies.length > 0 ? last - first : Number.NaN, latencies };
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

export async function wsFigures(
  module: EngineModule,
  workload: Workload,
  budget: Budget,
): Promise<WsFigures> {
  const p50s: number[] = [];
  const p99s: number[] = [];
  let frames = 0;
  const result = await measure(`${module.name} ${workload.id}`, budget, async (phase) => {
    const started = performance.now();
    const history = await runOnce(module, workload);
    const costMs = performance.now() - started;
    if (history.failure) throw new Error(`${history.failure.phase}: ${history.failure.message}`);
    const window = streamingWindow(history);
    if (window.latencies.length === 0) throw new Error("no event frame reached any socket");
    if (phase === "run") {
      const sorted = window.latencies.sort((a, b) => a - b);
      p50s.push(percentile(sorted, 50));
      p99s.push(percentile(sorted, 99));
      frames += sorted.length;
    }
    return { value: window.ms / workload.runs, costMs };
  });
  return {
    throughput: result.throughput,
    perRun: result.latency,
    p50: await summarise(`${workload.id} p50`, p50s),
    p99: await summarise(`${workload.id} p99`, p99s),
    frames,
  };
}
