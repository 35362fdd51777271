/**
 * The panel a broken cell opens: what broke and where (the witness sentence, its scenario), the
 * SVG timeline with the violation highlighted, who holds what was retained, and the replay
 * command with a copy button. Hidden until its cell is clicked (CSS :target).
 */
import type { ClauseResult, EngineReport } from "../../harness/conformance/check-engine.ts";
import { CLAUSES } from "../../harness/contract/index.ts";
import { outcomeOf } from "../outcome.ts";
import { esc } from "./escape.ts";
import { OUTCOME_TEXT, witnessId } from "./matrix.ts";
import { timelineSvg } from "./timeline-svg.ts";

export function renderWitnesses(engines: readonly EngineReport[]): string {
  const out: string[] = [];
  engines.forEach((engine, i) => {
    for (const clause of engine.clauses) {
      if (clause.verdict === "broken") out.push(witnessPanel(engine, i, clause));
    }
  });
  return out.join("\n");
}

function witnessPanel(engine: EngineReport, index: number, clause: ClauseResult): string {
  const witness = clause.witness;
  const outcome = outcomeOf(clause);
  const out: string[] = [
    `<section class="witness ${outcome}" id="${witnessId(index, clause.id)}">`,
    `<h3><span class="badge ${outcome}">${esc(OUTCOME_TEXT[outcome].label)}</span> ${esc(engine.name)} · ${esc(clause.id)}</h3>`,
    `<p class="clause-text">${esc(CLAUSES[clause.id])}</p>`,
    `<p class="summary">${esc(witness?.summary ?? "broken (no witness recorded)")}</p>`,
  ];
  if (witness?.scenario) {
    out.push(`<p class="scenario">scenario <code>${esc(witness.scenario)}</code></p>`);
  }
  if (witness?.replay) {
    out.push(
      '<div class="replay">',
      `<code class="replay-command">${esc(witness.replay)}</code>`,
      '<button type="button" class="copy">copy</button><span class="copied" aria-live="polite"></span>',
      "</div>",
    );
  }
  if (witness?.retainers && witness.retainers.length > 0) {
    out.push('<h4>held by</h4><ol class="retainers">');
    for (const r of witness.retainers) {
      out.push(
        `<li><code>${esc(r.path)}</code> <span class="count">×${r.count}</span> <span class="kinds">${esc(r.kinds.join(", "))}</span></li>`,
      );
    }
    out.push("</ol>");
  }
  if (witness?.timeline && witness.timeline.marks.length > 0) {
    const flagged = witness.timeline.marks.filter((m) => m.violation).length;
    out.push(
      "<h4>timeline</h4>",
      `<p class="legend">▶ call · ◀ what it returned · ● event delivered · ■ agent/tool · ◆ stats · ✕ escaped error · ${
        flagged > 0
          ? `<span class="violation-key">red</span>: the ${flagged} entr${flagged === 1 ? "y" : "ies"} the witness names`
          : "the witness names no single entry"
      }</p>`,
      `<div class="timeline-wrap">${timelineSvg(witness.timeline, `${engine.name} ${clause.id}: ${witness.scenario}`)}</div>`,
    );
  }
  out.push("</section>");
  return out.join("\n");
}
