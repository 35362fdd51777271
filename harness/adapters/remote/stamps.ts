/**
 * History time for a run that sees only arrivals: entries are dated in real milliseconds since
 * the start (never going back), events by the engine's own clock where it can be trusted, late
 * detaches are put back where the engine let go of their socket, and durations get the jitter
 * of a network as leeway.
 */
import type { HistoryEntry } from "../../run/history.ts";
import type { Recorder } from "../../run/recorder.ts";
import type { WireLog } from "../../transport/wire-log.ts";
import type { StatsObservation } from "./facts.ts";

/** The clock a run's recorder stamps entries with. */
export class Stamps {
  /** performance.now() at the start of the run. */
  t0 = 0;
  /** The latest stamp given. */
  last = 0;
  /**
   * The engine's clock (its events' `ts`) minus our arrival times, at its largest: ts - arrival is
   * the clocks' difference minus the frame's latency, so the largest is the least delayed frame's.
   * (The smallest would date every event as late as the slowest frame, after attaches it preceded.)
   */
  #tsOffset: number | undefined;

  constructor(private readonly recorder: Recorder) {}

  /**
   * History time: real milliseconds since the start (for an event, since it was emitted),
   * never going back.
   */
  stamp(real = performance.now() - this.t0): number {
    this.last = Math.max(this.last, Math.round(real));
    return this.last;
  }

  /**
   * When a live event was emitted, in our real milliseconds: from the engine's own `ts` (a
   * millisecond clock, whatever its origin), so durations between events are the engine's and
   * not the network's. Within a second before its arrival, or its arrival when `ts` says otherwise.
   */
  emittedAt(event: unknown, arrived: number): number {
    const e = event as { ts?: unknown; replayed?: unknown } | null;
    if (typeof e?.ts !== "number" || !Number.isFinite(e.ts) || e.replayed === true) return arrived;
    const offset = e.ts - arrived;
    this.#tsOffset = this.#tsOffset === undefined ? offset : Math.max(this.#tsOffset, offset);
    const estimate = e.ts - this.#tsOffset;
    return estimate <= arrived && estimate >= arrived - 1_000 ? estimate : arrived;
  }

  /** The next entry recorded is stamped as of `real` rather than now. */
  stampNextAt(real: number): void {
    const stamp = this.stamp(real);
    this.recorder.clock = {
      now: () => {
        this.recorder.clock = { now: () => this.stamp() };
        return stamp;
      },
    };
  }
}

/** Detaches to place earlier in the history than they were recorded (see Sockets#closed). */
export interface Move {
  entries: HistoryEntry[];
  after: number;
}

/** Moves each late detach to its place, renumbering entries and what refers to them. */
export function placeDetaches(
  moves: Move[],
  entries: HistoryEntry[],
  log: WireLog,
  stats: StatsObservation[],
): void {
  if (moves.length === 0) return;
  const moving = new Set(moves.flatMap((m) => m.entries));
  const after = new Map<number, HistoryEntry[]>();
  for (const m of moves) after.set(m.after, [...(after.get(m.after) ?? []), ...m.entries]);
  const order: HistoryEntry[] = [...(after.get(-1) ?? [])];
  for (const entry of entries) {
    if (moving.has(entry)) continue;
    order.push(entry);
    for (const late of after.get(entry.index) ?? []) {
      late.at = entry.at;
      order.push(late);
    }
  }
  const newIndex = new Map<number, number>();
  for (const [position, entry] of order.entries()) newIndex.set(entry.index, position);
  const remap = (old: number) => (old < entries.length ? (newIndex.get(old) ?? old) : old);
  entries.length = 0;
  order.forEach((entry, position) => {
    entry.index = position;
    entries.push(entry);
  });
  for (const sock of log.sockets) {
    for (const r of sock.received) if (r.entry !== undefined) r.entry = remap(r.entry);
  }
  for (const d of log.direct) d.entry = remap(d.entry);
  for (const st of stats) {
    st.index = remap(st.index);
    st.askedIndex = remap(st.askedIndex);
  }
}

/** How far a measured duration may fall short of runTimeoutMs over the wire. */
export function timingLeeway(runTimeoutMs: number): number {
  return Math.max(25, Math.round(runTimeoutMs * 0.02));
}
