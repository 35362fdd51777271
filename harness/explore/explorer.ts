/**
 * Exploration: replay the engine's regression corpus, then let fast-check generate workloads
 * (and the strategy's schedule value) and run each as a trial, noting the first run at which
 * each clause broke; then shrink each finding to a minimal witness, check that its token
 * replays it exactly, and save it to the corpus.
 *
 * The property never fails while exploring, so one exploration finds every clause it can rather
 * than stopping at the first; fast-check's path of run i is "i", which is what shrinking
 * replays from.
 */
import fc from "fast-check";
import type { Transport } from "../conformance/catalogue.ts";
import type { History } from "../run/history.ts";
import { compactDecisions, deviations, recording } from "../schedule/replay.ts";
import { type StrategyName, strategyOf } from "../schedule/strategies.ts";
import { type WorkloadOptions, workloadArbitrary } from "../workload/arbitrary.ts";
import { compileWorkload } from "../workload/compile.ts";
import {
  type CorpusEntry,
  loadCorpus,
  saveWitness,
  type WitnessFile,
  witnessFile,
} from "./corpus.ts";
import { replayWitness } from "./replay.ts";
import { DEFAULT_SHRINK_BUDGET, type ShrinkBudget, shrinkFinding } from "./shrink.ts";
import type { WitnessSpec } from "./token.ts";
import {
  type FindingKey,
  type FoundWitness,
  runTrial,
  sizeOf,
  type Target,
  witnessDigest,
} from "./trial.ts";

export interface ExploreOptions {
  strategy: StrategyName;
  seed: number;
  /** Stop after this many scenarios. */
  runs?: number;
  /** Stop after this many milliseconds. */
  timeMs?: number;
  /** Stop early once all of these have been found. */
  until?: ReadonlySet<FindingKey>;
  /** Report only these (what else breaks is not looked at, shrunk or saved). */
  only?: ReadonlySet<FindingKey>;
  /** Shrink budget, or false to keep each first counterexample as it was found. */
  shrink?: ShrinkBudget | false;
  /** Folder of the regression corpus (read first, then written), or false for none. */
  corpus?: string | false;
  workload?: WorkloadOptions;
  /**
   * Only part `index` of `count` (1-based) of this exploration: of the scenarios the seed
   * generates, those numbered index, index + count, … So machines given the same seed and
   * `runs` explore disjoint parts of one exploration, and every token still replays alone.
   */
  shard?: ExploreShard;
  onProgress?: (progress: Progress) => void;
}

export interface ExploreShard {
  index: number;
  count: number;
}

export interface Progress {
  phase: "corpus" | "explore" | "shrink";
  runs: number;
  seconds: number;
  found: number;
  unexpected: number;
  /** What is being shrunk or replayed. */
  detail?: string;
}

export interface Finding {
  key: FindingKey;
  expected: boolean;
  /** 1-based number of the first run that broke it, and seconds into the exploration. */
  run: number;
  seconds: number;
  witness: WitnessFile;
  /** Where it was saved in the corpus. */
  file?: string;
  /** The token did not replay the same witness (the engine is not deterministic). */
  flaky?: boolean;
}

export interface Regression {
  file: string;
  clause: FindingKey;
  /** The witness breaks its clause again, or no longer does. */
  outcome: "still-broken" | "fixed";
  expected: boolean;
}

export interface ExploreReport {
  engine: string;
  spec: string;
  strategy: StrategyName;
  seed: number;
  transport: Transport;
  runs: number;
  /** Scenarios cut off by the real-time deadline and run again with a longer one. */
  deadlineReruns: number;
  /** The part of the exploration this was, when it was sharded. */
  shard?: ExploreShard;
  seconds: number;
  regressions: Regression[];
  findings: Finding[];
}

interface FirstFailure {
  key: FindingKey;
  run: number;
  seconds: number;
  path: string;
  scenario: ReturnType<typeof compileWorkload>;
  retention: boolean;
  decisions: number[];
  witness: FoundWitness;
  history: History;
}

const fifo = () => 0;

export async function explore(target: Target, options: ExploreOptions): Promise<ExploreReport> {
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  const strategy = strategyOf(options.strategy);
  const report: ExploreReport = {
    engine: target.module.name,
    spec: target.spec,
    strategy: options.strategy,
    seed: options.seed,
    transport: target.transport ?? "memory",
    runs: 0,
    deadlineReruns: 0,
    ...(options.shard ? { shard: options.shard } : {}),
    seconds: 0,
    regressions: [],
    findings: [],
  };
  const progress = (phase: Progress["phase"], detail?: string) => {
    const found = firsts.size;
    const unexpected = [...firsts.keys()].filter((k) => !target.expected.has(k)).length;
    options.onProgress?.({
      phase,
      runs: report.runs,
      seconds: seconds(),
      found,
      unexpected,
      ...(detail ? { detail } : {}),
    });
  };
  const firsts = new Map<FindingKey, FirstFailure>();

  if (options.corpus) {
    const entries = await loadCorpus(options.corpus, target.module.name);
    for (const entry of entries) {
      progress("corpus", entry.file);
      report.regressions.push(await regression(target, entry));
    }
  }

  const workloads = workloadArbitrary(options.workload);
  const limitRuns = options.runs ?? Number.MAX_SAFE_INTEGER;
  const deadline = options.timeMs === undefined ? Number.POSITIVE_INFINITY : options.timeMs / 1000;
  /** An error of the harness or a factory that threw: exploring stops and it is rethrown. */
  let stopped: unknown;
  /** Scenarios generated so far, this shard's or not: `runs` counts those of the whole exploration. */
  let generated = 0;
  const done = () =>
    stopped !== undefined ||
    generated >= limitRuns ||
    seconds() >= deadline ||
    (options.until !== undefined && [...options.until].every((key) => firsts.has(key)));
  const property = fc.asyncProperty(workloads, strategy.params, async (workload, params) => {
    if (done()) return true;
    // The scenario's number in the whole exploration: its fast-check path, whichever shard runs it.
    const index = generated;
    generated += 1;
    if (options.shard && index % options.shard.count !== options.shard.index - 1) return true;
    report.runs += 1;
    const scenario = compileWorkload(workload);
    const recorder = recording(strategy.chooser(params) ?? fifo);
    let trial: Awaited<ReturnType<typeof runTrial>>;
    try {
      trial = await runTrial(target, scenario, {
        chooser: recorder.chooser,
        retention: workload.retention,
      });
    } catch (error) {
      // Thrown, it would be a property failure that fast-check shrinks: keep it for the caller.
      stopped = error;
      return true;
    }
    if (trial.rerun) report.deadlineReruns += 1;
    for (const [key, witness] of trial.found) {
      if (firsts.has(key) || (options.only && !options.only.has(key))) continue;
      firsts.set(key, {
        key,
        run: index + 1,
        seconds: seconds(),
        path: String(index),
        scenario,
        retention: workload.retention,
        decisions: [...recorder.decisions],
        witness,
        history: trial.history,
      });
    }
    progress("explore");
    return true;
  });
  const details = await fc.check(property, {
    seed: options.seed,
    numRuns: Math.min(limitRuns, 2 ** 31 - 1),
    ...(options.timeMs !== undefined
      ? { interruptAfterTimeLimit: options.timeMs, markInterruptAsFailure: false }
      : {}),
  });
  if (stopped !== undefined) throw stopped;
  if (details.failed) throw new Error(`exploration failed: ${fc.defaultReportMessage(details)}`);
  report.seconds = seconds();

  for (const first of firsts.values()) {
    progress("shrink", first.key);
    report.findings.push(await finding(target, options, strategy.name, first, workloads));
  }
  if (options.corpus) {
    for (const found of report.findings) {
      found.file = await saveWitness(options.corpus, target.module.name, found.witness);
    }
  }
  return report;
}

async function regression(target: Target, entry: CorpusEntry): Promise<Regression> {
  const replay = await replayWitness(entry.witness, target);
  return {
    file: entry.file,
    clause: entry.witness.clause,
    outcome: replay.reproduced ? "still-broken" : "fixed",
    expected: target.expected.has(entry.witness.clause),
  };
}

async function finding(
  target: Target,
  options: ExploreOptions,
  strategy: StrategyName,
  first: FirstFailure,
  workloads: ReturnType<typeof workloadArbitrary>,
): Promise<Finding> {
  let spec: WitnessSpec;
  let summary = first.witness.summary;
  let size = sizeOf(first.scenario, first.history, deviations(first.decisions));
  const overWire = target.transport === "ws" ? { transport: "ws" as const } : {};
  const budget = options.shrink === undefined ? DEFAULT_SHRINK_BUDGET : options.shrink;
  const shrunk =
    budget === false
      ? undefined
      : await shrinkFinding({
          target,
          strategy: strategyOf(strategy),
          workloads,
          seed: options.seed,
          path: first.path,
          key: first.key,
          budget,
        });
  if (shrunk) {
    const witness = shrunk.trial.found.get(first.key) as FoundWitness;
    summary = witness.summary;
    size = sizeOf(shrunk.scenario, shrunk.trial.history, deviations(shrunk.decisions));
    spec = {
      v: 1,
      engine: target.spec,
      clause: first.key,
      strategy,
      seed: options.seed,
      path: shrunk.path,
      scenario: shrunk.scenario,
      retention: shrunk.retention,
      picks: compactDecisions(shrunk.decisions),
      digest: witnessDigest(first.key, witness),
      ...overWire,
    };
  } else {
    spec = {
      v: 1,
      engine: target.spec,
      clause: first.key,
      strategy,
      seed: options.seed,
      path: first.path,
      scenario: first.scenario,
      retention: first.retention,
      picks: compactDecisions(first.decisions),
      digest: witnessDigest(first.key, first.witness),
      ...overWire,
    };
  }
  const result: Finding = {
    key: first.key,
    expected: target.expected.has(first.key),
    run: first.run,
    seconds: first.seconds,
    witness: witnessFile(spec, {
      summary,
      size,
      found: { run: first.run, seconds: Math.round(first.seconds * 100) / 100 },
    }),
  };
  // The token is what a developer gets: it must give the very same witness back.
  const replay = await replayWitness(spec, target);
  if (!replay.same) result.flaky = true;
  return result;
}
