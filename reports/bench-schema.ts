/**
 * The benchmark document's schema, version 1: what `crosstalk bench` writes to
 * reports/out/bench.json and what the console table and the HTML report's charts read.
 *
 * Every figure is one number per engine with the statistics tinybench computed for it (relative
 * margin of error and sample count) and its ratio to the reference engine measured in the same
 * run. Figures with the same `id` are the same measurement on different engines: a chart per id
 * (or per `kind`, one series per `transport`/`users`). Objects are open: a newer crosstalk may
 * add fields, never remove them.
 */
import { z } from "zod";

export const BENCH_SCHEMA_VERSION = 1;

export const TRANSPORTS = ["in-process", "ws", "url"] as const;

/** What a figure measures; its `id` adds the transport and user count where they apply. */
export const FIGURE_KINDS = [
  /** Completed runs per second with `users` concurrent users (one tab, runs in parallel). */
  "runs-per-second",
  /** Emit-to-receive latency over WebSockets: the gateway's write to the client's receipt. */
  "latency-p50",
  "latency-p99",
  /** Heap bytes per attached user with a run in flight, after forced GC. */
  "heap-per-active-user",
  /** Heap bytes left per completed run after forced GC (what the engine keeps of a run). */
  "heap-per-completed-run",
  /** Time to open a user's session (attach, or socket + auth) and close it (detach + closeUser). */
  "session-open-close",
  /** The same workload's time run and recorded, with the checkers off and on. */
  "scenario-time-unchecked",
  "scenario-time-checked",
  /** (checked − unchecked) / unchecked × 100: the harness's own checking cost. */
  "checking-overhead",
] as const;

export const UNITS = ["runs/s", "ms", "bytes", "%"] as const;

const workload = z.looseObject({
  id: z.string().describe("stable id, e.g. runs.in-process.100; figures name it in `workload`"),
  description: z.string().describe("what the workload does, in one line"),
  transport: z.enum(TRANSPORTS),
  users: z.number().int().positive(),
  runs: z.number().int().nonnegative().describe("runs started per iteration"),
  brokenClauses: z
    .array(
      z.looseObject({
        id: z.string().describe("the clause id, as in results.json"),
        witness: z.string().describe("one sentence naming what broke"),
      }),
    )
    .describe("clauses one checked run of this workload broke; empty when it held everything"),
  checked: z
    .boolean()
    .describe("whether a checked run was done (false only if the engine failed first)"),
  failure: z.string().optional().describe("the workload could not be run on this engine"),
});

const figure = z.looseObject({
  id: z
    .string()
    .describe("kind[.transport[.users]], e.g. runs-per-second.ws.100; same id = same measurement"),
  kind: z.enum(FIGURE_KINDS),
  label: z.string().describe("human label, e.g. 'runs/s, WebSockets, 100 users'"),
  unit: z.enum(UNITS),
  better: z.enum(["higher", "lower"]).describe("which direction is better, for charts"),
  transport: z.enum(TRANSPORTS).optional(),
  users: z.number().int().positive().optional(),
  workload: z.string().describe("the workload id whose runs produced the figure"),
  value: z.number().nullable().describe("the figure (tinybench's mean); null when not measured"),
  rme: z
    .number()
    .nonnegative()
    .nullable()
    .describe("tinybench's relative margin of error, percent; null when the mean is 0"),
  samples: z.number().int().nonnegative().describe("tinybench's sample count"),
  ratioToReference: z
    .number()
    .nullable()
    .describe("value / the reference engine's value in this run; null if either is missing or 0"),
  marked: z
    .boolean()
    .describe("the workload broke a clause: the figure is not a fair speed (leaks are not fast)"),
  derivedFrom: z
    .array(z.string())
    .optional()
    .describe("for derived figures (checking-overhead): the figure ids it is computed from"),
  detail: z
    .record(z.string(), z.number())
    .optional()
    .describe("extra numbers behind the figure, e.g. frames, p99 of the iteration time"),
  error: z.string().optional().describe("why the figure could not be measured"),
});

const engine = z.looseObject({
  name: z.string().describe("the engine's own name"),
  spec: z.string().describe("how it was given: a bundled name, a path or a URL"),
  source: z.enum(["bundled", "path", "url", "command"]),
  reference: z.boolean().describe("this is the engine every ratio is computed against"),
  failure: z.string().optional().describe("the engine could not be loaded or created"),
  workloads: z.array(workload),
  figures: z.array(figure),
});

const machine = z.looseObject({
  cpu: z.string(),
  cores: z.number().int().positive(),
  memoryBytes: z.number().nonnegative(),
  node: z.string(),
  platform: z.string(),
  loadAverageStart: z.array(z.number()).length(3).describe("os.loadavg() when the run started"),
  loadAverageEnd: z.array(z.number()).length(3).describe("os.loadavg() when it ended"),
  exposeGc: z.boolean().describe("whether forced GC was available (heap figures need it)"),
});

export const benchSchema = z
  .looseObject({
    version: z.literal(BENCH_SCHEMA_VERSION),
    startedAt: z.iso.datetime(),
    finishedAt: z.iso.datetime(),
    command: z.string().describe("the command that reproduces this document"),
    machine,
    budget: z.looseObject({
      timeMs: z.number().nonnegative().describe("tinybench time budget per task"),
      iterations: z.number().int().positive().describe("tinybench minimum iterations per task"),
      users: z.array(z.number().int().positive()).describe("the concurrent-user counts measured"),
      warmup: z.boolean(),
    }),
    reference: z.string().describe("the reference engine's name"),
    engines: z.array(engine),
  })
  .describe("crosstalk benchmark results");

export type BenchDocument = z.infer<typeof benchSchema>;
export type BenchEngine = z.infer<typeof engine>;
export type BenchFigure = z.infer<typeof figure>;
export type BenchWorkload = z.infer<typeof workload>;
export type FigureKind = (typeof FIGURE_KINDS)[number];
export type Transport = (typeof TRANSPORTS)[number];

export function benchJsonSchema(): unknown {
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    $id: "https://crosstalk.invalid/bench.schema.json",
    title: "crosstalk benchmark results, version 1",
    ...(z.toJSONSchema(benchSchema) as Record<string, unknown>),
  };
}
