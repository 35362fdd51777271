/**
 * `npm run bench:core`: how many checked scenarios per second the in-process runner does on the
 * reference engine. A scenario is 5 users with a connection each, 3 runs per user, 11 events a
 * run; "checked" means run, recorded, and judged by every checker.
 */
import os from "node:os";
import { Bench } from "tinybench";
import ssot from "../../engines/ssot/index.ts";
import { checkHistory } from "../checkers/index.ts";
import { scenario } from "../conformance/build.ts";
import { runScenario } from "../run/runner.ts";
import type { Scenario } from "../run/scenario.ts";
import type { Step } from "../world/script.ts";

const STEPS: Step[] = [
  { think: "plan" },
  { tool: "search", delayMs: 20, result: "found" },
  { think: "compare" },
  {
    parallel: [
      { tool: "fetch", delayMs: 10, result: 1 },
      { tool: "fetch", delayMs: 15, result: 2 },
    ],
  },
  { think: "answer" },
];

export function benchScenario(users = 5, runsPerUser = 3): Scenario {
  const builder = scenario(`bench-${users}x${runsPerUser}`);
  for (let u = 1; u <= users; u += 1) builder.attach(`c${u}`, `u${u}`);
  for (let r = 1; r <= runsPerUser; r += 1) {
    builder.at(r * 5);
    for (let u = 1; u <= users; u += 1)
      builder.execute({ user: `u${u}`, run: `u${u}-r${r}`, steps: STEPS });
  }
  return builder.build();
}

async function main() {
  const subject = benchScenario();
  let events = 0;
  const bench = new Bench({ time: Number(process.env.BENCH_TIME_MS ?? 3000), warmupTime: 500 });
  bench.add("run + check (5 users × 3 runs)", async () => {
    const history = await runScenario(ssot, subject);
    const verdicts = checkHistory(history);
    events = history.entries.filter((e) => e.kind === "deliver").length;
    if (verdicts.some((v) => v.verdict === "broken"))
      throw new Error("the reference broke a clause");
  });
  bench.add("run only", async () => {
    await runScenario(ssot, subject);
  });
  await bench.run();
  console.log(
    `crosstalk core benchmark — ${os.cpus()[0]?.model ?? "cpu"}, ${os.cpus().length} cores, Node ${process.version}`,
  );
  console.log(`events delivered per scenario: ${events}`);
  const rows = bench.tasks.map((task) => {
    const result = task.result;
    if (result?.state !== "completed") return { task: task.name, error: result?.state };
    return {
      task: task.name,
      "scenarios/s": Math.round(result.throughput.mean),
      "mean ms": result.latency.mean.toFixed(3),
      "p99 ms": result.latency.p99?.toFixed(3),
      "rme %": result.latency.rme.toFixed(2),
      samples: result.latency.samplesCount,
    };
  });
  console.table(rows);
}

// Run only as a script, so benchScenario can be imported.
if (import.meta.url === `file://${process.argv[1]}`) await main();
