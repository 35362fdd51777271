/**
 * The HTML report: one self-contained page (inline style and script, SVG drawn here, nothing
 * fetched) with the matrix, a witness panel per broken cell, and the benchmark charts when a
 * bench document is given. Its Content-Security-Policy forbids every fetch and admits only the
 * page's own script, by hash: even a name that slipped past escaping could not run or load.
 */
import { createHash } from "node:crypto";
import { countOutcomes } from "../outcome.ts";
import type { ResultsDocument } from "../results.ts";
import { renderBench } from "./bench-charts.ts";
import { esc } from "./escape.ts";
import { renderMatrix } from "./matrix.ts";
import { SCRIPT } from "./script.ts";
import { STYLE } from "./style.ts";
import { renderWitnesses } from "./witness.ts";

export interface HtmlOptions {
  /** A bench.json document: adds the benchmark section. */
  bench?: unknown;
  title?: string;
}

export function renderHtml(doc: ResultsDocument, options: HtmlOptions = {}): string {
  const title = options.title ?? "crosstalk conformance report";
  const scriptHash = createHash("sha256").update(SCRIPT).digest("base64");
  const csp = [
    "default-src 'none'",
    "style-src 'unsafe-inline'",
    `script-src 'sha256-${scriptHash}'`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join("; ");
  return [
    "<!doctype html>",
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${csp}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(title)}</title>`,
    `<style>${STYLE}</style>`,
    "</head><body>",
    `<h1>${esc(title)}</h1>`,
    `<p class="meta">${esc(overview(doc))}</p>`,
    problems(doc),
    '<p class="key"><span><i class="held"></i>held</span><span><i class="expected"></i>broken, expected by the baseline</span><span><i class="unexpected"></i>broken, not expected</span><span><i class="not-checked"></i>not checked</span> click a broken cell for its witness</p>',
    renderMatrix(doc.engines),
    '<div class="witnesses">',
    renderWitnesses(doc.engines),
    "</div>",
    renderBench(options.bench),
    `<script>${SCRIPT}</script>`,
    "</body></html>",
    "",
  ].join("\n");
}

function overview(doc: ResultsDocument): string {
  const total = { expected: 0, unexpected: 0 };
  for (const engine of doc.engines) {
    const counts = countOutcomes(engine.clauses);
    total.expected += counts.expected;
    total.unexpected += counts.unexpected;
  }
  return `results version ${doc.version} · ${doc.engines.length} engine(s) · ${total.unexpected} unexpected break(s) · ${total.expected} expected break(s)`;
}

/** What makes the run fail, said above the matrix: failed engines, stale baseline entries. */
function problems(doc: ResultsDocument): string {
  const items: string[] = [];
  for (const engine of doc.engines) {
    if (engine.failure) {
      items.push(`<li><b>${esc(engine.name)}</b>: engine failed: ${esc(engine.failure)}</li>`);
    }
    if (engine.stale && engine.stale.length > 0) {
      items.push(
        `<li><b>${esc(engine.name)}</b>: stale baseline (listed as broken, now held): ${esc(engine.stale.join(", "))}</li>`,
      );
    }
  }
  return items.length > 0 ? `<ul class="problems">${items.join("")}</ul>` : "";
}
