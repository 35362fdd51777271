/**
 * The benchmark as a console table: a row per figure, a column per engine, each cell the value
 * with tinybench's margin (±rme %), its sample count and its ratio to the reference (×r). A ✗
 * marks a figure from a workload the engine broke a clause on; n/a, a figure that does not apply
 * to the engine (one given by URL has no in-process figures). Then what each engine broke, the
 * reference's cost per run across user counts, and the checking overhead. Plain text, so the
 * same table goes into the README.
 */
import type { BenchDocument, BenchEngine, BenchFigure } from "./bench-schema.ts";

export function formatValue(value: number | null, unit: BenchFigure["unit"]): string {
  if (value === null) return "—";
  const magnitude = Math.abs(value);
  const text =
    magnitude > 0 && magnitude < 1
      ? value.toPrecision(2)
      : value.toLocaleString("en-US", {
          maximumFractionDigits: magnitude >= 100 ? 0 : magnitude >= 10 ? 1 : 2,
          minimumFractionDigits: magnitude >= 100 ? 0 : magnitude >= 10 ? 1 : 2,
        });
  return unit === "%" ? `${text} %` : text;
}

export function formatCell(figure: BenchFigure | undefined, reference: boolean): string {
  // Not measured on this engine at all (an engine by URL has no in-process figures).
  if (!figure) return "n/a";
  if (figure.value === null) return "error";
  const margin =
    figure.rme === null
      ? ""
      : ` ±${figure.rme < 10 ? figure.rme.toFixed(1) : Math.round(figure.rme)}%`;
  const ratio =
    reference || figure.ratioToReference === null ? "" : ` ×${figure.ratioToReference.toFixed(2)}`;
  return `${formatValue(figure.value, figure.unit)}${margin} (${figure.samples})${ratio}${figure.marked ? " ✗" : ""}`;
}

function table(rows: string[][]): string {
  const widths =
    rows[0]?.map((_, col) => Math.max(...rows.map((row) => (row[col] ?? "").length))) ?? [];
  const line = (row: string[]) =>
    `| ${row.map((cell, col) => cell.padEnd(widths[col] ?? 0)).join(" | ")} |`;
  const [head, ...body] = rows;
  return [
    line(head ?? []),
    `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`,
    ...body.map(line),
  ].join("\n");
}

/** Figure ids in first-seen order across engines, with their label and unit. */
function figureRows(engines: readonly BenchEngine[]): BenchFigure[] {
  const seen = new Map<string, BenchFigure>();
  for (const engine of engines)
    for (const f of engine.figures) if (!seen.has(f.id)) seen.set(f.id, f);
  return [...seen.values()];
}

/**
 * The reference's cost per run at each in-process user count, and its spread from 10 users up:
 * in wall time, and in CPU time when measured (steadier on a shared machine).
 */
export function referenceScaling(document: BenchDocument): string | undefined {
  const reference = document.engines.find((engine) => engine.reference);
  const points = (reference?.figures ?? [])
    .filter((f) => f.kind === "runs-per-second" && f.transport === "in-process" && f.value)
    .map((f) => ({
      users: f.users ?? 0,
      wall: 1000 / (f.value as number),
      cpu: f.detail?.cpuMsPerRun,
    }));
  const from10 = points.filter((p) => p.users >= 10);
  if (from10.length < 2) return undefined;
  const spread = (costs: number[]) => (Math.max(...costs) / Math.min(...costs) - 1) * 100;
  const wall = `wall ${points.map((p) => `${p.users}: ${p.wall.toFixed(2)}`).join(", ")} ms (spread from 10 users up ${spread(from10.map((p) => p.wall)).toFixed(0)} %)`;
  const cpuPoints = from10.filter((p) => p.cpu !== undefined);
  const cpu =
    cpuPoints.length === from10.length
      ? `; CPU ${points.map((p) => `${p.users}: ${p.cpu?.toFixed(2)}`).join(", ")} ms (spread ${spread(cpuPoints.map((p) => p.cpu as number)).toFixed(0)} %)`
      : "";
  return `reference cost per run in process, by users: ${wall}${cpu}; aim: within 10 % from 10 to 1,000 users`;
}

export function renderBenchConsole(document: BenchDocument): string {
  const { engines, machine } = document;
  const out: string[] = [];
  const load = (l: readonly number[]) => l.map((x) => x.toFixed(2)).join(" ");
  out.push(
    `crosstalk bench — ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}; load average ${load(machine.loadAverageStart)} at start, ${load(machine.loadAverageEnd)} at end`,
    `budget: ${document.budget.timeMs} ms and at least ${document.budget.iterations} samples per figure; users ${document.budget.users.join(", ")}; reference ${document.reference}`,
    "cells: mean ±rme% (samples) ×ratio to the reference; ✗ the workload broke a clause",
    "",
  );
  const measured = engines.filter((engine) => engine.failure === undefined);
  const head = [
    "figure",
    "unit",
    ...measured.map((e) => (e.reference ? `${e.name} (ref)` : e.name)),
  ];
  const rows = figureRows(measured).map((row) => [
    row.label,
    row.unit,
    ...measured.map((engine) =>
      formatCell(
        engine.figures.find((f) => f.id === row.id),
        engine.reference,
      ),
    ),
  ]);
  out.push(table([head, ...rows]));

  for (const engine of engines) {
    if (engine.failure) out.push(`\n${engine.spec}: not measured: ${engine.failure}`);
    for (const workload of engine.workloads) {
      for (const clause of workload.brokenClauses) {
        out.push(`✗ ${engine.name} ${workload.id} broke ${clause.id}: ${clause.witness}`);
      }
      if (workload.failure) out.push(`! ${engine.name} ${workload.id} failed: ${workload.failure}`);
    }
    for (const figure of engine.figures) {
      if (figure.error) out.push(`! ${engine.name} ${figure.id}: ${figure.error}`);
    }
  }
  const scaling = referenceScaling(document);
  if (scaling) out.push("", scaling);
  const reference = engines.find((engine) => engine.reference);
  const overhead = reference?.figures.find((f) => f.kind === "checking-overhead");
  if (overhead?.value !== null && overhead?.value !== undefined) {
    out.push(
      `reference checking overhead at ${overhead.users} users: ${overhead.value.toFixed(0)} % of the unchecked run's wall time${overhead.detail?.cpuOverheadPercent !== undefined ? `, ${overhead.detail.cpuOverheadPercent.toFixed(0)} % of its CPU time` : ""} (aim < 25 %)`,
    );
  }
  return `${out.join("\n")}\n`;
}
