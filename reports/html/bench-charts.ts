/**
 * The benchmark section: a bar chart per figure (figures with one id are one measurement across
 * engines), a bar per engine with its margin of error, the reference engine's bar outlined, and
 * engines whose workload broke a clause hatched (their speed is not a fair comparison).
 */
import { type BenchDocument, type BenchFigure, benchSchema } from "../bench-schema.ts";
import { esc } from "./escape.ts";

const BAR = 18;
const LABEL = 150;
const PLOT = 320;

export function renderBench(bench: unknown): string {
  if (bench === undefined) return "";
  const parsed = benchSchema.safeParse(bench);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return `<section class="bench"><h2>Benchmarks</h2><p class="bench-error">the benchmark document does not match its schema: ${esc(issue ? `${issue.path.join(".")}: ${issue.message}` : "invalid")}</p></section>`;
  }
  const doc = parsed.data;
  const byId = new Map<string, { engine: string; reference: boolean; figure: BenchFigure }[]>();
  for (const engine of doc.engines) {
    for (const figure of engine.figures) {
      const list = byId.get(figure.id) ?? [];
      list.push({ engine: engine.name, reference: engine.reference, figure });
      byId.set(figure.id, list);
    }
  }
  const out = [
    '<section class="bench"><h2>Benchmarks</h2>',
    `<p class="machine">${esc(machineText(doc))} · <code>${esc(doc.command)}</code></p>`,
    '<div class="charts">',
  ];
  for (const [id, bars] of byId) out.push(chart(id, bars));
  out.push("</div></section>");
  return out.join("\n");
}

function machineText(doc: BenchDocument): string {
  const m = doc.machine;
  const load = (l: number[]) => l.map((x) => x.toFixed(1)).join(" ");
  return `${m.cpu}, ${m.cores} cores, Node ${m.node}; load ${load(m.loadAverageStart)} → ${load(m.loadAverageEnd)}`;
}

function chart(
  id: string,
  bars: { engine: string; reference: boolean; figure: BenchFigure }[],
): string {
  const first = bars[0]?.figure;
  if (!first) return "";
  const max = Math.max(
    ...bars.map((b) => Math.abs(b.figure.value ?? 0) * (1 + (b.figure.rme ?? 0) / 100)),
    Number.MIN_VALUE,
  );
  const height = bars.length * (BAR + 6) + 8;
  const width = LABEL + PLOT + 150;
  const out = [
    `<figure class="chart" data-figure="${esc(id)}">`,
    `<figcaption>${esc(first.label)} <span class="better">(${esc(first.better)} is better)</span></figcaption>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(first.label)}">`,
  ];
  bars.forEach((bar, i) => {
    const y = 4 + i * (BAR + 6);
    const { value, rme, unit, marked, error } = bar.figure;
    out.push(
      `<text class="bar-label" x="${LABEL - 6}" y="${y + BAR - 5}" text-anchor="end">${esc(clip(bar.engine, 22))}</text>`,
    );
    if (value === null) {
      out.push(
        `<text class="bar-missing" x="${LABEL + 4}" y="${y + BAR - 5}">not measured${error ? `: ${esc(clip(error, 60))}` : ""}</text>`,
      );
      return;
    }
    // A negative figure (a checking overhead below zero is noise) is drawn by its size.
    const size = Math.abs(value);
    const w = Math.max(1, (size / max) * PLOT);
    const cls = `bar${bar.reference ? " reference" : ""}${marked ? " marked" : ""}`;
    out.push(
      `<rect class="${cls}" x="${LABEL}" y="${y}" width="${w.toFixed(1)}" height="${BAR}"><title>${esc(bar.engine)}: ${value} ${esc(unit)} ±${rme ?? 0}%${marked ? " (its workload broke a clause)" : ""}</title></rect>`,
    );
    if (rme) {
      const half = (size * rme) / 100 / max;
      const x1 = LABEL + Math.max(0, (size / max - half) * PLOT);
      const x2 = LABEL + (size / max + half) * PLOT;
      out.push(
        `<line class="rme" x1="${x1.toFixed(1)}" y1="${y + BAR / 2}" x2="${x2.toFixed(1)}" y2="${y + BAR / 2}"/>`,
      );
    }
    const ratio = bar.figure.ratioToReference;
    out.push(
      `<text class="bar-value" x="${LABEL + w + 6}" y="${y + BAR - 5}">${esc(format(value))} ${esc(unit)}${ratio !== null && !bar.reference ? ` · ×${ratio.toFixed(2)}` : ""}${marked ? " · broke a clause" : ""}</text>`,
    );
  });
  out.push("</svg></figure>");
  return out.join("");
}

function format(value: number): string {
  return Math.abs(value) >= 100 ? Math.round(value).toLocaleString("en") : value.toPrecision(3);
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
