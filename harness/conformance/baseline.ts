/**
 * The expected-verdict baseline: for each engine, the clauses it is known to break. Comparing a
 * report with it sorts every break into expected or unexpected, and finds stale entries.
 */
import { readFile } from "node:fs/promises";
import { type ClauseId, isClauseId } from "../contract/index.ts";
import type { EngineReport } from "./check-engine.ts";

export type Baseline = Readonly<Record<string, readonly ClauseId[]>>;

export interface BaselineComparison {
  engine: string;
  /** Broken, but not listed: a regression or a defect the baseline missed. */
  unexpected: ClauseId[];
  /** Listed, but held: the baseline is stale. */
  stale: ClauseId[];
  /** Listed and not checked in this run (for instance a scenario filter left it out). */
  unconfirmed: ClauseId[];
}

export async function readBaseline(file: string): Promise<Baseline> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new Error(`cannot read baseline ${file}: ${(error as Error).message}`);
  }
  return parseBaseline(text, file);
}

export function parseBaseline(text: string, source = "baseline"): Baseline {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new Error(`${source} is not JSON: ${(error as Error).message}`);
  }
  const engines = (data as { engines?: unknown })?.engines;
  if (typeof engines !== "object" || engines === null || Array.isArray(engines)) {
    throw new Error(`${source} must be {"engines": {"<engine>": {"breaks": ["clause.id", …]}}}`);
  }
  const baseline: Record<string, ClauseId[]> = {};
  for (const [engine, entry] of Object.entries(engines)) {
    const breaks = (entry as { breaks?: unknown })?.breaks;
    if (!Array.isArray(breaks)) throw new Error(`${source}: engine ${engine} has no "breaks" list`);
    const unknown = breaks.filter((id) => typeof id !== "string" || !isClauseId(id));
    if (unknown.length > 0) {
      throw new Error(
        `${source}: engine ${engine} lists unknown clause ids: ${unknown.join(", ")}`,
      );
    }
    baseline[engine] = breaks as ClauseId[];
  }
  return baseline;
}

/** Marks each broken clause of the report expected or not, and lists what disagrees. */
export function compareWithBaseline(report: EngineReport, baseline: Baseline): BaselineComparison {
  const listed = new Set(baseline[report.name] ?? []);
  const comparison: BaselineComparison = {
    engine: report.name,
    unexpected: [],
    stale: [],
    unconfirmed: [],
  };
  for (const clause of report.clauses) {
    if (clause.verdict === "broken") {
      clause.expected = listed.has(clause.id);
      if (!clause.expected) comparison.unexpected.push(clause.id);
    } else if (listed.has(clause.id)) {
      if (clause.verdict === "held") comparison.stale.push(clause.id);
      else comparison.unconfirmed.push(clause.id);
    }
  }
  return comparison;
}

export function isAsExpected(comparison: BaselineComparison): boolean {
  return comparison.unexpected.length === 0 && comparison.stale.length === 0;
}
