/**
 * The progress display for long commands: one cli-progress bar on stderr, so stdout stays the
 * report. It is shown only to a person at a terminal: with `CI` set or stderr piped, nothing is
 * written at all (CI logs would otherwise fill with redraws).
 */
import cliProgress from "cli-progress";

export interface ProgressTarget {
  stream?: NodeJS.WriteStream;
  env?: NodeJS.ProcessEnv;
}

/** Whether a progress display would be seen: a terminal on stderr and no CI. */
export function progressEnabled({
  stream = process.stderr,
  env = process.env,
}: ProgressTarget = {}): boolean {
  return stream.isTTY === true && !isCi(env);
}

function isCi(env: NodeJS.ProcessEnv): boolean {
  const value = env.CI;
  return value !== undefined && value !== "" && value !== "0" && value !== "false";
}

export interface ProgressBar<Payload extends object> {
  update(value: number, payload: Payload): void;
  /** Erases the bar (the report that follows takes its place). */
  stop(): void;
}

/** A bar whose line is `format` with `{bar}` and the payload's `{tokens}` filled in. */
export function progressBar<Payload extends object>(
  format: string,
  total: number,
  payload: Payload,
  target: ProgressTarget = {},
): ProgressBar<Payload> {
  if (!progressEnabled(target)) return { update() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    {
      format,
      stream: target.stream ?? process.stderr,
      barsize: 20,
      clearOnComplete: true,
      hideCursor: true,
      // Trim to the terminal's width: a wrapped line could not be redrawn in place.
      linewrap: true,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(Math.max(total, 1), 0, payload);
  return {
    update: (value, next) => bar.update(value, next),
    stop: () => bar.stop(),
  };
}

/** `crosstalk run`: scenarios done over all engines, the engine at work, witnesses found. */
export function runProgress(engines: number, scenarios: number, target: ProgressTarget = {}) {
  const bar = progressBar(
    "run {bar} {value}/{total} scenarios | engine {engineNo}/{engines} {engine} | {witnesses} witnesses | {scenario}",
    scenarios,
    { engineNo: 0, engines, engine: "", witnesses: 0, scenario: "" },
    target,
  );
  let done = 0;
  let engineNo = 0;
  let engine = "";
  let broken = new Set<string>();
  let witnesses = 0;
  return {
    engineStarted(name: string) {
      engineNo += 1;
      engine = name;
      broken = new Set();
    },
    /** A scenario's verdicts: each clause broken for the first time on this engine is a witness. */
    verdicts(verdicts: readonly { id: string; verdict: string }[]) {
      for (const v of verdicts) {
        if (v.verdict !== "broken" || broken.has(v.id)) continue;
        broken.add(v.id);
        witnesses += 1;
      }
    },
    scenarioDone(scenario: string) {
      done += 1;
      bar.update(done, { engineNo, engines, engine, witnesses, scenario });
    },
    stop: () => bar.stop(),
  };
}

export interface ExploreProgressUpdate {
  runs: number;
  seconds: number;
  found: number;
  unexpected: number;
  phase?: string;
  detail?: string;
}

/** `crosstalk explore`: scenarios run against the budget (runs or seconds), witnesses found. */
export function exploreProgress(
  engine: string,
  budget: { runs?: number; seconds?: number },
  target: ProgressTarget = {},
) {
  const byRuns = budget.runs !== undefined;
  const total = (byRuns ? budget.runs : budget.seconds) ?? 1;
  const done = (p: { runs: number; seconds: number }) =>
    byRuns
      ? `${p.runs}/${total} scenarios`
      : `${p.seconds.toFixed(0)}/${total} s, ${p.runs} scenarios`;
  const bar = progressBar(
    "explore {engine} {bar} {done} | {found} found ({unexpected} unexpected){phase}",
    total,
    { engine, done: done({ runs: 0, seconds: 0 }), found: 0, unexpected: 0, phase: "" },
    target,
  );
  return {
    update(p: ExploreProgressUpdate) {
      const phase =
        p.phase === "shrink"
          ? ` | shrinking ${p.detail ?? ""}`
          : p.phase === "corpus"
            ? " | replaying the corpus"
            : "";
      bar.update(Math.min(byRuns ? p.runs : p.seconds, total), {
        engine,
        done: done(p),
        found: p.found,
        unexpected: p.unexpected,
        phase,
      });
    },
    stop: () => bar.stop(),
  };
}
