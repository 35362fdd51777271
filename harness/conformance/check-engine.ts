/**
 * Runs the contract scenarios against one engine and folds their verdicts into one per clause:
 * a clause is broken if any scenario broke it (the first such witness is kept), held if some
 * scenario exercised it and none broke it, and not-checked otherwise.
 */

import { type WitnessTimeline, witnessTimeline } from "../../reports/witness-timeline.ts";
import { checkHistory } from "../checkers/index.ts";
import type { RetainerFinding, Verdict } from "../checkers/verdict.ts";
import { CLAUSE_IDS, type ClauseId, type EngineModule } from "../contract/index.ts";
import type { History } from "../run/history.ts";
import { runScenario } from "../run/runner.ts";
import { runScenarioWs } from "../run/ws-runner.ts";
import { scenariosFor, type Transport } from "./catalogue.ts";
import type { ConformanceScenario } from "./types.ts";

export interface ClauseWitness {
  summary: string;
  scenario: string;
  replay?: string;
  entries?: number[];
  /** cleanup.*: who holds what the engine retained (path from a GC root, and how many). */
  retainers?: RetainerFinding[];
  /** The witness's scenario as lanes and marks, the violation flagged, for the HTML report. */
  timeline?: WitnessTimeline;
}

export interface ClauseResult {
  id: ClauseId;
  verdict: Verdict["verdict"];
  witness?: ClauseWitness;
  /** Why a clause was not checked. */
  reason?: string;
  /** Set on broken clauses once compared with a baseline: whether the break was expected. */
  expected?: boolean;
}

export interface ScenarioOutcome {
  name: string;
  /** The scenario could not be completed normally (deadline, flood, runner failure). */
  failure?: string;
}

export interface EngineReport {
  name: string;
  /** The engine could not be created at all; no clause was checked. */
  failure?: string;
  clauses: ClauseResult[];
  scenarios: ScenarioOutcome[];
  /** Set once compared with a baseline: clauses it lists as broken that now hold. */
  stale?: ClauseId[];
}

export interface CheckEngineOptions {
  /** How the user named the engine, for replay commands (a bundled name or a path). */
  engineSpec?: string;
  /** Only scenarios whose name is in this list. */
  scenarios?: readonly string[];
  seed?: string | number;
  onScenario?: (done: number, total: number, name: string) => void;
  /** Receives each history with its verdicts (for timelines and debugging). */
  onHistory?: (history: History, verdicts: Verdict[]) => void;
  /** In process (default), or over real WebSockets, where the security scenarios run too. */
  transport?: Transport;
  /** The harness's own limits on each scenario (a slow engine may need more real time). */
  limits?: { realDeadlineMs?: number; maxEntries?: number };
}

export async function checkEngine(
  module: EngineModule,
  options: CheckEngineOptions = {},
): Promise<EngineReport> {
  const selected = selectScenarios(options.scenarios, options.transport);
  const run = options.transport === "ws" ? runScenarioWs : runScenario;
  const results = new Map<ClauseId, ClauseResult>(
    CLAUSE_IDS.map((id) => [
      id,
      { id, verdict: "not-checked", reason: "no scenario exercised it" },
    ]),
  );
  const report: EngineReport = { name: module.name, clauses: [], scenarios: [] };
  const spec = options.engineSpec ?? module.name;
  const incidental = new Set<ClauseId>();
  let done = 0;
  for (const item of selected) {
    const history = await run(module, item.scenario, {
      ...item.options,
      ...options.limits,
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      ...(item.options?.checkRetention && !needsRetainers(results, incidental, item)
        ? { retention: { maxSnapshots: 0 } }
        : {}),
    });
    if (history.failure?.phase === "create") {
      report.failure = history.failure.message;
      break;
    }
    const verdicts = withScenarioFailure(checkHistory(history), history, item);
    options.onHistory?.(history, verdicts);
    const outcome: ScenarioOutcome = { name: item.scenario.name };
    if (history.failure) outcome.failure = history.failure.message;
    report.scenarios.push(outcome);
    for (const verdict of verdicts) fold(results, incidental, verdict, item, spec, history);
    options.onScenario?.(++done, selected.length, item.scenario.name);
  }
  report.clauses = report.failure ? [] : CLAUSE_IDS.map((id) => results.get(id) as ClauseResult);
  if (options.transport === "ws") {
    for (const clause of report.clauses) {
      if (clause.witness?.replay) clause.witness.replay += " --transport ws";
    }
  }
  return report;
}

const RETENTION_CLAUSES: readonly ClauseId[] = ["cleanup.run", "cleanup.user", "cleanup.shutdown"];

/**
 * Whether a heap snapshot (slow) could name retainers for a witness this scenario may still
 * give: not when every clause retention breaks is already broken with a witness it cannot replace.
 */
function needsRetainers(
  results: ReadonlyMap<ClauseId, ClauseResult>,
  incidental: ReadonlySet<ClauseId>,
  item: ConformanceScenario,
): boolean {
  return RETENTION_CLAUSES.some(
    (id) =>
      results.get(id)?.verdict !== "broken" || (item.clauses.includes(id) && incidental.has(id)),
  );
}

function selectScenarios(
  names: readonly string[] | undefined,
  transport: Transport = "memory",
): readonly ConformanceScenario[] {
  const pool = scenariosFor(transport);
  if (!names || names.length === 0) return pool;
  const unknown = names.filter((n) => !pool.some((s) => s.scenario.name === n));
  if (unknown.length > 0) throw new Error(`unknown scenario: ${unknown.join(", ")}`);
  return pool.filter((s) => names.includes(s.scenario.name));
}

/** A scenario the engine could not complete breaks the clauses it was there to exercise. */
function withScenarioFailure(verdicts: Verdict[], history: History, item: ConformanceScenario) {
  if (!history.failure) return verdicts;
  const message = `the engine could not complete the scenario: ${history.failure.message}`;
  return verdicts.map(
    (v): Verdict =>
      item.clauses.includes(v.id) && v.verdict !== "broken"
        ? { id: v.id, verdict: "broken", witness: { summary: message } }
        : v,
  );
}

/**
 * Folds one scenario's verdict into the clause's result. A break found by a scenario written
 * for that clause is the better witness, so it replaces one found incidentally elsewhere.
 */
function fold(
  results: Map<ClauseId, ClauseResult>,
  incidental: Set<ClauseId>,
  verdict: Verdict,
  item: ConformanceScenario,
  spec: string,
  history: History,
) {
  const current = results.get(verdict.id) as ClauseResult;
  const targeted = item.clauses.includes(verdict.id);
  if (current.verdict === "broken" && !(targeted && incidental.has(verdict.id))) return;
  if (verdict.verdict === "broken") {
    const scenario = item.scenario.name;
    const witness: ClauseWitness = {
      summary: verdict.witness.summary,
      scenario,
      replay: `npx crosstalk run --engine ${quote(spec)} --scenario ${scenario}`,
    };
    if (verdict.witness.entries) witness.entries = verdict.witness.entries;
    if (verdict.witness.retainers) witness.retainers = verdict.witness.retainers;
    witness.timeline = witnessTimeline(history, verdict.witness.entries);
    results.set(verdict.id, { id: verdict.id, verdict: "broken", witness });
    if (targeted) incidental.delete(verdict.id);
    else incidental.add(verdict.id);
  } else if (current.verdict === "broken") {
    return;
  } else if (verdict.verdict === "held") {
    results.set(verdict.id, { id: verdict.id, verdict: "held" });
  } else if (current.verdict === "not-checked") {
    results.set(verdict.id, { id: verdict.id, verdict: "not-checked", reason: verdict.reason });
  }
}

function quote(value: string): string {
  return /^[\w./@-]+$/.test(value) ? value : `'${value.replaceAll("'", "'\\''")}'`;
}
