/**
 * The timeline a broken clause's witness carries in results.json, for the HTML report to draw:
 * its scenario's lanes (a user, a connection, the engine) and marks (calls, results, deliveries,
 * what agents did) at logical instants, the entries the witness names flagged as the violation.
 * A long history is cut to windows around the violation, so results.json stays small; each mark
 * says how many were left out before it.
 */
import type { History, HistoryEntry } from "../harness/run/history.ts";
import type { Operation } from "../harness/run/scenario.ts";
import {
  isPlaced,
  type LaneKind,
  laneOrder,
  type MarkKind,
  type Placed,
  placeEntry,
} from "./timeline-lanes.ts";

export interface TimelineLane {
  kind: LaneKind;
  /** The user, `user/connection`, or `engine`. */
  title: string;
}

export interface TimelineMark {
  /** The history entry: the logical instant. */
  index: number;
  /** Virtual milliseconds since the scenario started. */
  ms: number;
  /** Position in the timeline's lanes. */
  lane: number;
  kind: MarkKind;
  text: string;
  /** One of the entries the witness names. */
  violation?: true;
  /** Marks left out just before this one (the history was cut around the violation). */
  skipped?: number;
}

export interface WitnessTimeline {
  lanes: TimelineLane[];
  marks: TimelineMark[];
  /** Marks left out after the last one. */
  skippedAfter?: number;
}

export interface WitnessTimelineOptions {
  /** Most marks kept; the rest are cut, keeping those nearest the violation. */
  maxMarks?: number;
  /** Longest text of a mark. */
  maxText?: number;
}

export const MAX_MARKS = 36;

export function witnessTimeline(
  history: History,
  violation: readonly number[] = [],
  options: WitnessTimelineOptions = {},
): WitnessTimeline {
  const maxMarks = options.maxMarks ?? MAX_MARKS;
  const maxText = options.maxText ?? 48;
  const flagged = new Set(violation);
  const calls = new Map<number, Operation>();
  // First which entries are marks (cheap), then words for the few kept: histories can be huge.
  const shown: HistoryEntry[] = [];
  for (const entry of history.entries) {
    if (entry.kind === "call") calls.set(entry.callId, entry.operation);
    if (isPlaced(entry, calls, flagged.has(entry.index))) shown.push(entry);
  }
  const kept = keepAround(
    shown.map((entry) => flagged.has(entry.index)),
    maxMarks,
  );
  const lanes = laneOrder(history);
  const used = new Map<string, number>();
  const marks: TimelineMark[] = [];
  const laneKeys: string[] = [];
  let previous = -1;
  for (const i of kept) {
    const entry = shown[i] as HistoryEntry;
    const where = placeEntry(entry, calls, flagged.has(entry.index)) as Placed;
    // A lane no call announced (an engine naming an unknown user) still gets drawn.
    if (!lanes.some((lane) => lane.key === where.lane)) {
      lanes.splice(lanes.length - 1, 0, {
        key: where.lane,
        kind: "user",
        title: where.lane.replace(/^\w+:/, ""),
      });
    }
    used.set(where.lane, 0);
    const skipped = i - previous - 1;
    marks.push({
      index: entry.index,
      ms: entry.at,
      lane: 0,
      kind: where.kind,
      text: clip(where.text, maxText),
      ...(flagged.has(entry.index) ? { violation: true as const } : {}),
      ...(skipped > 0 ? { skipped } : {}),
    });
    laneKeys.push(where.lane);
    previous = i;
  }
  const drawn = lanes.filter((lane) => used.has(lane.key));
  const position = new Map(drawn.map((lane, i) => [lane.key, i]));
  marks.forEach((mark, i) => {
    mark.lane = position.get(laneKeys[i] as string) ?? 0;
  });
  const timeline: WitnessTimeline = {
    lanes: drawn.map(({ kind, title }) => ({ kind, title })),
    marks,
  };
  const after = shown.length - previous - 1;
  if (after > 0) timeline.skippedAfter = after;
  return timeline;
}

/**
 * Positions to keep out of `flags.length`, at most `max`: everything if it fits; otherwise the
 * widest equal window around every flagged position that fits (the last `max` when none is).
 */
export function keepAround(flags: readonly boolean[], max: number): number[] {
  const n = flags.length;
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  const centres = flags.flatMap((f, i) => (f ? [i] : []));
  if (centres.length === 0) return Array.from({ length: max }, (_, i) => n - max + i);
  let best: number[] = centres.slice(0, max);
  for (let radius = 1; radius < n; radius++) {
    const set = new Set<number>();
    for (const c of centres) {
      for (let i = Math.max(0, c - radius); i <= Math.min(n - 1, c + radius); i++) set.add(i);
    }
    if (set.size > max) break;
    best = [...set].sort((a, b) => a - b);
  }
  return best;
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
