/**
 * A witness timeline as SVG, drawn in the spirit of a sequence diagram: a column per lane (user,
 * connection, engine) with its title on top, time flowing down one row per mark (a logical
 * instant), each mark a shape on its lane labelled with what happened. The violation's rows are
 * banded and their marks drawn red; cut stretches of history show as a dashed row.
 */
import type { MarkKind } from "../timeline-lanes.ts";
import type { WitnessTimeline } from "../witness-timeline.ts";
import { esc } from "./escape.ts";

const LANE_WIDTH = 190;
const ROW = 20;
const HEAD = 44;
const LEFT = 84;

export function timelineSvg(timeline: WitnessTimeline, caption: string): string {
  const rows: { y: number; mark?: WitnessTimeline["marks"][number]; skipped?: number }[] = [];
  let y = HEAD;
  for (const mark of timeline.marks) {
    if (mark.skipped) {
      rows.push({ y, skipped: mark.skipped });
      y += ROW;
    }
    rows.push({ y, mark });
    y += ROW;
  }
  if (timeline.skippedAfter) {
    rows.push({ y, skipped: timeline.skippedAfter });
    y += ROW;
  }
  const width = LEFT + timeline.lanes.length * LANE_WIDTH + 10;
  const height = y + 10;
  const laneX = (lane: number) => LEFT + lane * LANE_WIDTH + 12;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="timeline" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(caption)}">`,
    `<title>${esc(caption)}</title>`,
  ];
  for (const row of rows) {
    if (row.mark?.violation) {
      out.push(
        `<rect class="violation-band" x="0" y="${row.y - ROW / 2}" width="${width}" height="${ROW}"/>`,
      );
    }
  }
  timeline.lanes.forEach((lane, i) => {
    const x = laneX(i);
    out.push(
      `<line class="lane lane-${lane.kind}" x1="${x}" y1="${HEAD - 14}" x2="${x}" y2="${height - 6}"/>`,
      `<g class="lane-head"><title>${esc(lane.title)}</title><text class="lane-title" x="${x - 6}" y="18">${esc(clip(lane.title, 26))}</text></g>`,
      lane.kind === "engine"
        ? ""
        : `<text class="lane-kind" x="${x - 6}" y="32">${lane.kind}</text>`,
    );
  });
  for (const row of rows) {
    if (row.skipped !== undefined) {
      out.push(
        `<line class="skip" x1="${LEFT}" y1="${row.y}" x2="${width - 10}" y2="${row.y}"/>`,
        `<text class="skip-text" x="${LEFT + 4}" y="${row.y - 3}">… ${row.skipped} mark${row.skipped === 1 ? "" : "s"} left out …</text>`,
      );
      continue;
    }
    const mark = row.mark;
    if (!mark) continue;
    const x = laneX(mark.lane);
    const cls = `mark mark-${mark.kind}${mark.violation ? " violation" : ""}`;
    out.push(
      `<g class="${cls}" data-index="${mark.index}">`,
      `<title>#${mark.index} at ${mark.ms} ms: ${esc(mark.text)}</title>`,
      `<text class="instant" x="4" y="${row.y + 4}">#${mark.index} ${mark.ms}ms</text>`,
      shape(mark.kind, x, row.y),
      `<text class="label" x="${x + 9}" y="${row.y + 4}">${esc(clip(mark.text.replace(/^[▶◀] /, ""), 30))}</text>`,
      "</g>",
    );
  }
  out.push("</svg>");
  return out.join("");
}

/** A shape per kind of mark, so a lane reads at a glance: calls ▶, results ◀, deliveries ●. */
function shape(kind: MarkKind, x: number, y: number): string {
  switch (kind) {
    case "call":
      return `<path class="shape" d="M${x - 5} ${y - 5}L${x + 5} ${y}L${x - 5} ${y + 5}Z"/>`;
    case "return":
      return `<path class="shape" d="M${x + 5} ${y - 5}L${x - 5} ${y}L${x + 5} ${y + 5}Z"/>`;
    case "deliver":
      return `<circle class="shape" cx="${x}" cy="${y}" r="5"/>`;
    case "agent":
      return `<rect class="shape" x="${x - 4}" y="${y - 4}" width="8" height="8"/>`;
    case "stats":
      return `<path class="shape" d="M${x} ${y - 5}L${x + 5} ${y}L${x} ${y + 5}L${x - 5} ${y}Z"/>`;
    case "error":
      return `<path class="shape" d="M${x - 5} ${y - 5}L${x + 5} ${y + 5}M${x + 5} ${y - 5}L${x - 5} ${y + 5}"/>`;
  }
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
