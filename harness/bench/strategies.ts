/**
 * `npm run bench:explore`: which scheduling strategy finds each defect of each legacy model in
 * fewer runs. For every legacy engine and strategy, exploration runs until every clause of the
 * engine's baseline has broken (at most 200 scenarios), once per seed; the table gives, per
 * clause and strategy, the median number of scenarios to its first failure and the median
 * seconds, and the size of the witness the first seed's finding shrinks to.
 *
 * For one seed, run i generates the same workload under every strategy (the workload is drawn
 * before the strategy's own value), so strategies face the very same scenarios and differ only
 * in how they order timers due at one instant.
 *
 * Options (environment): BENCH_SEEDS=1,2,3  BENCH_STRATEGIES=fifo,random,pct
 * BENCH_ENGINES=legacy-global,…  BENCH_RUNS=200  BENCH_SHRINK=0 (sizes left out)
 * BENCH_FIXTURES=0 (leave out the interleaving-only fixture)  BENCH_OUT=<file>.
 * Writes reports/out/bench-explore.json (or BENCH_OUT) and prints a Markdown table.
 */
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { BUNDLED_ENGINES, REFERENCE_ENGINE } from "../../engines/index.ts";
import { readBaseline } from "../conformance/baseline.ts";
import { explore } from "../explore/explorer.ts";
import { makeTarget } from "../explore/target.ts";
import type { FindingKey, WitnessSize } from "../explore/trial.ts";
import { isStrategyName, type StrategyName } from "../schedule/strategies.ts";

interface Cell {
  /** Scenarios to the first failure, per seed; undefined when not found within the budget. */
  runs: (number | undefined)[];
  seconds: (number | undefined)[];
  size?: WitnessSize;
}

interface Row {
  engine: string;
  clause: FindingKey;
  cells: Partial<Record<StrategyName, Cell>>;
}

const FIXTURE = "deferred-send";
const FIXTURE_PATH = "./suites/explore/fixtures.ts";

const list = (name: string, fallback: string[]) =>
  (process.env[name]?.split(",") ?? fallback).map((s) => s.trim()).filter(Boolean);

async function main() {
  const seeds = list("BENCH_SEEDS", ["1", "2", "3"]).map(Number);
  const strategies = list("BENCH_STRATEGIES", ["fifo", "random", "pct"]);
  for (const s of strategies) if (!isStrategyName(s)) throw new Error(`unknown strategy ${s}`);
  const engines = list(
    "BENCH_ENGINES",
    Object.keys(BUNDLED_ENGINES).filter((name) => name !== REFERENCE_ENGINE),
  );
  const budget = Number(process.env.BENCH_RUNS ?? 200);
  const shrink = process.env.BENCH_SHRINK !== "0";
  const baseline = await readBaseline("engines/baseline.json");
  const rows: Row[] = [];
  const started = performance.now();

  // The legacy models' defects are all triggered by the scenario; `deferred-send` (a send queue
  // on 0 ms timers, suites/explore/fixtures.ts) is one that only some interleavings show.
  const subjects: [string, FindingKey[]][] = engines.map((e) => [e, [...(baseline[e] ?? [])]]);
  if (process.env.BENCH_FIXTURES !== "0") subjects.push([FIXTURE, ["delivery.order"]]);
  for (const [engine, clauses] of subjects) {
    const target = await makeTarget(engine === FIXTURE ? FIXTURE_PATH : engine, {
      baseline: { [engine]: clauses as never[] },
      differential: false,
    });
    const byClause = new Map<FindingKey, Row>(
      clauses.map((clause) => [clause, { engine, clause, cells: {} }]),
    );
    for (const strategy of strategies as StrategyName[]) {
      for (const [i, seed] of seeds.entries()) {
        const report = await explore(target, {
          strategy,
          seed,
          runs: budget,
          until: new Set(clauses),
          only: new Set(clauses),
          corpus: false,
          // Shrinking is for the sizes: the first seed's findings only.
          shrink: shrink && i === 0 ? { scenario: 150, schedule: 30 } : false,
        });
        for (const clause of clauses) {
          const row = byClause.get(clause) as Row;
          const cell = row.cells[strategy] ?? { runs: [], seconds: [] };
          row.cells[strategy] = cell;
          const finding = report.findings.find((f) => f.key === clause);
          cell.runs.push(finding?.run);
          cell.seconds.push(finding ? Math.round(finding.seconds * 10) / 10 : undefined);
          if (finding && shrink && i === 0) cell.size = finding.witness.size;
        }
        process.stderr.write(
          `${engine} ${strategy} seed ${seed}: ${report.findings.length}/${clauses.length} in ${report.runs} scenarios (${((performance.now() - started) / 1000).toFixed(0)} s)\n`,
        );
      }
    }
    rows.push(...byClause.values());
  }

  const machine = `${os.cpus()[0]?.model ?? "cpu"}, ${os.cpus().length} cores, Node ${process.version}`;
  const out = path.resolve(process.env.BENCH_OUT ?? "reports/out/bench-explore.json");
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(
    out,
    `${JSON.stringify({ machine, seeds, strategies, budget, rows }, null, 2)}\n`,
  );
  console.log(render(rows, strategies as StrategyName[], seeds, budget, machine));
  console.log(`\n(${path.relative(process.cwd(), out)})`);
}

function render(
  rows: Row[],
  strategies: StrategyName[],
  seeds: number[],
  budget: number,
  machine: string,
): string {
  const lines = [
    `Scenarios to the first failure (median over seeds ${seeds.join(", ")}; budget ${budget}), ` +
      `seconds, and the shrunk witness of seed ${seeds[0]} (users/runs/events/schedule deviations). ${machine}.`,
    "",
    `| engine | clause | ${strategies.join(" | ")} |`,
    `|---|---|${strategies.map(() => "---").join("|")}|`,
  ];
  const wins = new Map<StrategyName, number>(strategies.map((s) => [s, 0]));
  for (const row of rows) {
    const medians = strategies.map((s) => median(row.cells[s]?.runs ?? []));
    const best = Math.min(...medians.map((m) => m ?? Number.POSITIVE_INFINITY));
    strategies.forEach((s, i) => {
      if (medians[i] === best && Number.isFinite(best)) wins.set(s, (wins.get(s) ?? 0) + 1);
    });
    const cells = strategies.map((s, i) => {
      const cell = row.cells[s];
      const runs = medians[i];
      if (!cell || runs === undefined) return `not found in ${budget}`;
      const found = cell.runs.filter((r) => r !== undefined).length;
      const seconds = median(cell.seconds);
      const size = cell.size
        ? ` · ${cell.size.users}/${cell.size.runs}/${cell.size.events}/${cell.size.deviations}`
        : "";
      const mark = runs === best ? "**" : "";
      const missed = found < cell.runs.length ? ` (${found}/${cell.runs.length} seeds)` : "";
      return `${mark}${runs}${mark} (${seconds?.toFixed(1)} s)${missed}${size}`;
    });
    lines.push(`| ${row.engine} | ${row.clause} | ${cells.join(" | ")} |`);
  }
  lines.push(
    "",
    `Fewest scenarios (ties count for each): ${strategies.map((s) => `${s} ${wins.get(s)}`).join(", ")} of ${rows.length} defects.`,
  );
  return lines.join("\n");
}

/** The median of the values found; a seed that did not find it counts as past the budget. */
function median(values: (number | undefined)[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = values.map((v) => v ?? Number.POSITIVE_INFINITY).sort((a, b) => a - b);
  const middle = sorted[Math.floor((sorted.length - 1) / 2)] as number;
  return Number.isFinite(middle) ? middle : undefined;
}

await main();
