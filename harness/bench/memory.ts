/**
 * `npm run bench:memory`: memory retained per user session, for every engine. Each engine gets
 * one instance and N sessions (a new user attaches, runs an agent that thinks and calls a tool,
 * detaches, is closed); after every tenth of them the harness forces garbage collection and
 * counts heap bytes, live objects, and objects the engine was handed that are still alive. The
 * reference must be flat; for an engine that grows, two heap snapshots name what holds the
 * growth. Exit code 1 when the reference grows, 2 on bad usage, 3 when an engine cannot load.
 *
 *   npm run bench:memory -- --sessions 1000 --runs 2 --engine ssot --engine legacy-global
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { REFERENCE_ENGINE } from "../../engines/index.ts";
import { bundledEngineNames, EngineLoadError, loadEngine } from "../adapters/load.ts";
import { EXIT } from "../cli/exit-codes.ts";
import type { EngineModule } from "../contract/index.ts";
import { type GrowthReport, measureGrowth } from "../memory/growth.ts";

const USAGE = `usage: npm run bench:memory -- [--sessions N] [--runs N] [--engine NAME|PATH ...] [--out DIR]`;

interface Args {
  sessions: number;
  runs: number;
  engines: string[];
  out: string;
}

function parse(argv: string[]): Args {
  const { values } = parseArgs({
    args: argv,
    options: {
      sessions: { type: "string", default: "1000" },
      runs: { type: "string", default: "2" },
      engine: { type: "string", multiple: true },
      out: { type: "string", default: "reports/out" },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(EXIT.ok);
  }
  const sessions = Number(values.sessions);
  const runs = Number(values.runs);
  if (!Number.isInteger(sessions) || sessions < 10 || !Number.isInteger(runs) || runs < 1) {
    throw new Error("--sessions must be an integer of at least 10 and --runs at least 1");
  }
  return { sessions, runs, engines: values.engine ?? bundledEngineNames(), out: values.out };
}

function row(report: GrowthReport) {
  const kept = Object.entries(report.retained)
    .map(([kind, n]) => `${kind} ${n}`)
    .join(", ");
  return {
    engine: report.engine,
    sessions: report.sessions,
    "bytes/session": report.bytesPerSession,
    "objects/session": report.objectsPerSession ?? "n/a",
    "handed objects kept": kept || "none",
    "stuck ops": report.stuck,
    verdict: report.growing ? "GROWS" : "flat",
    seconds: (report.ms / 1000).toFixed(1),
  };
}

async function main(): Promise<number> {
  let args: Args;
  try {
    args = parse(process.argv.slice(2));
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    return EXIT.usage;
  }
  const modules: EngineModule[] = [];
  for (const spec of args.engines) {
    try {
      modules.push(await loadEngine(spec));
    } catch (error) {
      if (!(error instanceof EngineLoadError)) throw error;
      console.error(error.message);
      return EXIT.engine;
    }
  }
  console.log(
    `crosstalk memory benchmark — ${args.sessions} sessions of ${args.runs} run(s) per engine, Node ${process.version}`,
  );
  const reports: GrowthReport[] = [];
  for (const module of modules) {
    process.stderr.write(`${module.name}…\n`);
    reports.push(
      await measureGrowth(module, {
        sessions: args.sessions,
        runs: args.runs,
        warmup: 20,
        checkpoints: 11,
        explainSessions: 20,
      }),
    );
  }
  console.table(reports.map(row));
  for (const report of reports.filter((r) => r.growing)) {
    console.log(`\n${report.engine}: grows (${report.reason})`);
    for (const holder of report.holders ?? []) {
      console.log(`  ${holder.perSession} per session held by ${holder.path}`);
    }
    const classes = (report.classes ?? []).slice(0, 5).map((c) => `${c.name} +${c.count}`);
    if (classes.length > 0) console.log(`  classes grown over 20 sessions: ${classes.join(", ")}`);
  }
  await mkdir(args.out, { recursive: true });
  const file = path.join(args.out, "memory.json");
  await writeFile(file, `${JSON.stringify({ version: 1, reports }, null, 2)}\n`);
  console.log(`\nresults: ${file}`);
  const reference = reports.find((r) => r.engine === REFERENCE_ENGINE);
  if (reference?.growing) {
    console.error(`the reference engine ${REFERENCE_ENGINE} grows: ${reference.reason}`);
    return EXIT.unexpected;
  }
  return EXIT.ok;
}

process.exitCode = await main();
