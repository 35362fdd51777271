/**
 * A history as a text timeline: a column per user (its calls, what came back, what its agents
 * did) and per connection (attach, detach, every frame delivered), an engine column (stats,
 * shutdown, escaped errors), and a row per logical instant (history entry). The entries a
 * witness names are marked ✗, and the violation is printed under the table.
 */
import type { History } from "../harness/run/history.ts";
import type { Operation } from "../harness/run/scenario.ts";
import { lanesOf, placeEntry } from "./timeline-lanes.ts";

export interface TimelineOptions {
  /** History entries to mark (a witness's entries). */
  marked?: readonly number[];
  /** What broke, printed under the table: `clause: summary`. */
  violation?: string;
  /** Widest a cell may be. */
  maxCell?: number;
}

export function renderTimeline(history: History, options: TimelineOptions = {}): string {
  const maxCell = options.maxCell ?? 30;
  const marked = new Set(options.marked ?? []);
  const calls = new Map<number, Operation>();
  const columns = lanesOf(history);
  const rows: { index: number; at: number; cells: Map<string, string> }[] = [];

  for (const entry of history.entries) {
    if (entry.kind === "call") calls.set(entry.callId, entry.operation);
    const placed = placeEntry(entry, calls, marked.has(entry.index));
    if (!placed) continue;
    rows.push({ index: entry.index, at: entry.at, cells: new Map([[placed.lane, placed.text]]) });
  }

  const widths = columns.map((c) =>
    Math.min(
      maxCell,
      Math.max(c.title.length, ...rows.map((r) => (r.cells.get(c.key) ?? "").length)),
    ),
  );
  const indexWidth = Math.max(2, String(history.entries.length).length + 1);
  const atWidth = Math.max(5, ...rows.map((r) => String(r.at).length + 3));
  const pad = (text: string, width: number) =>
    text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width);
  const line = (mark: string, index: string, at: string, cells: string[]) =>
    `${mark} ${index.padStart(indexWidth)} ${at.padStart(atWidth)} │ ${cells.join(" │ ")}`;

  const out: string[] = [];
  out.push(
    line(
      " ",
      "#",
      "at",
      columns.map((c, i) => pad(c.title, widths[i] ?? 0)),
    ),
  );
  out.push(
    `${"─".repeat(indexWidth + atWidth + 4)}┼${widths.map((w) => "─".repeat(w + 2)).join("┼")}`,
  );
  for (const row of rows) {
    out.push(
      line(
        marked.has(row.index) ? "✗" : " ",
        `#${row.index}`,
        `${row.at} ms`,
        columns.map((c, i) => pad(row.cells.get(c.key) ?? "", widths[i] ?? 0)),
      ).trimEnd(),
    );
  }
  if (options.violation) out.push("", `✗ ${options.violation}`);
  return `${out.join("\n")}\n`;
}
