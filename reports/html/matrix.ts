/**
 * The matrix, in the spirit of the Autobahn testsuite's report: a row per clause grouped by
 * family, a column per engine, each cell coloured by outcome. Engine headers carry the engine's
 * counts, family rows the family's counts per engine. A broken cell links to its witness.
 */
import type { EngineReport } from "../../harness/conformance/check-engine.ts";
import {
  CLAUSE_FAMILIES,
  CLAUSE_IDS,
  CLAUSES,
  type ClauseId,
  familyOf,
} from "../../harness/contract/index.ts";
import { countOutcomes, type Outcome, type OutcomeCounts, outcomeOf } from "../outcome.ts";
import { esc } from "./escape.ts";

export const OUTCOME_TEXT: Record<Outcome, { symbol: string; label: string }> = {
  held: { symbol: "✓", label: "held" },
  expected: { symbol: "x", label: "broken, expected by the baseline" },
  unexpected: { symbol: "✗", label: "broken, not expected" },
  "not-checked": { symbol: "·", label: "not checked" },
};

/** The anchor of an engine's clause witness: by position, never by (untrusted) name. */
export function witnessId(engine: number, clause: ClauseId): string {
  return `w-${engine}-${CLAUSE_IDS.indexOf(clause)}`;
}

export function renderMatrix(engines: readonly EngineReport[]): string {
  const out: string[] = ['<table class="matrix">', "<thead><tr><th>clause</th>"];
  engines.forEach((engine, i) => {
    const counts = engine.failure ? undefined : countOutcomes(engine.clauses);
    out.push(
      `<th class="engine" data-engine="${i}"><div class="name">${esc(engine.name)}</div>`,
      engine.failure
        ? `<div class="failure" title="${esc(engine.failure)}">engine failed</div>`
        : countsHtml(counts as OutcomeCounts),
      "</th>",
    );
  });
  out.push("</tr></thead><tbody>");
  for (const family of CLAUSE_FAMILIES) {
    const ids = CLAUSE_IDS.filter((id) => familyOf(id) === family);
    out.push(`<tr class="family"><th>${esc(family)}.*</th>`);
    for (const engine of engines) {
      out.push(
        engine.failure
          ? "<td></td>"
          : `<td>${countsHtml(countOutcomes(ids.map((id) => engine.clauses.find((c) => c.id === id))))}</td>`,
      );
    }
    out.push("</tr>");
    for (const id of ids) {
      out.push(`<tr class="clause"><th title="${esc(CLAUSES[id])}">${esc(id)}</th>`);
      for (const [i, engine] of engines.entries()) out.push(cellHtml(engine, i, id));
      out.push("</tr>");
    }
  }
  out.push("</tbody></table>");
  return out.join("\n");
}

function cellHtml(engine: EngineReport, index: number, id: ClauseId): string {
  if (engine.failure) return `<td class="cell failed" title="engine failed">FAIL</td>`;
  const clause = engine.clauses.find((c) => c.id === id);
  const outcome = outcomeOf(clause);
  const { symbol, label } = OUTCOME_TEXT[outcome];
  const data = `data-engine="${index}" data-clause="${esc(id)}" data-outcome="${outcome}"`;
  if (clause?.verdict === "broken") {
    const title = `${label}: ${clause.witness?.summary ?? ""}`;
    return `<td class="cell ${outcome}" ${data}><a href="#${witnessId(index, id)}" title="${esc(title)}">${symbol}</a></td>`;
  }
  const title = outcome === "not-checked" ? `${label}: ${clause?.reason ?? ""}` : label;
  return `<td class="cell ${outcome}" ${data} title="${esc(title)}">${symbol}</td>`;
}

function countsHtml(counts: OutcomeCounts): string {
  return [
    '<div class="counts">',
    `<span class="held" title="held">${counts.held}</span>`,
    `<span class="expected" title="broken, expected">${counts.expected}</span>`,
    `<span class="unexpected" title="broken, not expected">${counts.unexpected}</span>`,
    `<span class="not-checked" title="not checked">${counts["not-checked"]}</span>`,
    "</div>",
  ].join("");
}
