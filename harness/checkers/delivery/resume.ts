/**
 * delivery.resume: what a user's next attach replays of the events emitted while they had no
 * connection: every one proven emitted, flagged, in order, once.
 */
import { isTerminalType } from "../../contract/index.ts";
import type { CallEntry } from "../../run/history.ts";
import { connectedThroughout } from "../concurrency/run-queries.ts";
import { broken, held, notChecked, type Verdict } from "../verdict.ts";
import {
  type ConnectionView,
  describeEvent,
  type EventDelivery,
  type HistoryView,
  type RunView,
} from "../view.ts";
import { type DeliveryIndex, eventKey, groupBy, isFlagged, runKey } from "./deliveries.ts";
import { scriptEventCount } from "./script.ts";
import { atMs, earliest, type Finding, seqOf, statusOf } from "./shared.ts";

export function checkResume(view: HistoryView, index: DeliveryIndex): Verdict {
  const id = "delivery.resume";
  const findings: Finding[] = [];
  let exercised = false;
  const bufferLimit = view.history.limits?.bufferPerUser;
  const runsOf = groupBy(view.runs, (run) => run.userId);

  // None twice: a connection that gets one event twice with a replayed copy among them, or an
  // event replayed on two attaches.
  const onAttachment = new Map<string, EventDelivery[]>();
  const replayedOn = new Map<string, EventDelivery[]>();
  for (const d of view.events) {
    const c = index.attachmentOf.get(d);
    const key = eventKey(index, d);
    const where = `${c ? index.ordinal.get(c) : `?${d.connectionId}`}\u0000${key}`;
    const list = onAttachment.get(where) ?? [];
    list.push(d);
    onAttachment.set(where, list);
    const owner = index.ownerOf.get(d);
    if ((index.replayed.has(d) || isFlagged(d)) && owner?.userId === d.connectionUserId) {
      const r = replayedOn.get(key) ?? [];
      r.push(d);
      replayedOn.set(key, r);
    }
  }
  for (const list of onAttachment.values()) {
    if (list.length < 2 || !list.some((d) => isFlagged(d) || index.replayed.has(d))) continue;
    const second = list[1] as EventDelivery;
    findings.push({
      at: second.index,
      summary:
        `connection ${second.connectionId} of user ${second.connectionUserId} received ` +
        `${describeEvent(second)} ${list.length} times, a replayed copy among them`,
      entries: list.map((d) => d.index),
    });
  }
  for (const list of replayedOn.values()) {
    const attachments = new Set(list.map((d) => index.attachmentOf.get(d)));
    if (attachments.size < 2) continue;
    const a = list[0] as EventDelivery;
    const b = list.find((d) => index.attachmentOf.get(d) !== index.attachmentOf.get(a));
    if (!b) continue;
    findings.push({
      at: b.index,
      summary:
        `user ${b.connectionUserId} was replayed ${describeEvent(b)} twice: on ` +
        `${a.connectionId} at ${atMs(view, a.index)} and again on ${b.connectionId} at ` +
        `${atMs(view, b.index)} (a buffered event is sent on the next attach only)`,
      entries: [a.index, b.index],
    });
  }

  for (const c of view.connections) {
    if (!index.resumes.has(c)) continue;
    const batch = index.replay.get(c) ?? [];
    if (batch.length > 0) exercised = true;
    const end = index.attachEnd.get(c) ?? c.attachIndex;
    // Flag and order within the replay.
    const highest = new Map<string, EventDelivery>();
    for (const d of batch) {
      if (!isFlagged(d)) {
        findings.push({
          at: d.index,
          summary:
            `user ${c.userId} attached ${c.connectionId} after having no connection and was ` +
            `sent ${describeEvent(d)} from the buffer without replayed: true`,
          entries: [c.attachIndex, d.index],
        });
      }
      const seq = seqOf(d);
      const run = runKey(index, d);
      const top = highest.get(run);
      if (seq !== undefined && top && seq < (seqOf(top) as number)) {
        findings.push({
          at: d.index,
          summary:
            `the replay to ${c.connectionId} of user ${c.userId} sent ${describeEvent(d)} ` +
            `after #${String(top.event.seq)} (not in seq order)`,
          entries: [top.index, d.index],
        });
      }
      if (seq !== undefined && (!top || seq > (seqOf(top) as number))) highest.set(run, d);
    }
    // Completeness: what is proven emitted while the user had no connection.
    const gap = gapBefore(view, index, c);
    const expected: { run: RunView; seqs: number[] }[] = [];
    for (const run of runsOf.get(c.userId) ?? []) {
      const seqs = expectedInGap(view, index, c, gap, run);
      if (seqs.length > 0) expected.push({ run, seqs });
    }
    const total = expected.reduce((n, e) => n + e.seqs.length, 0);
    if (total === 0) continue;
    exercised = true;
    const inBatch = new Set(batch.map((d) => `${runKey(index, d)}\u0000${String(d.event.seq)}`));
    const has = (run: RunView, seq: number) => inBatch.has(`#${run.call.index}\u0000${seq}`);
    const overflow = typeof bufferLimit === "number" && total > bufferLimit;
    if (overflow) {
      if (batch.length < bufferLimit) {
        findings.push({
          at: end,
          summary:
            `user ${c.userId} attached ${c.connectionId} after ${total} of its events were ` +
            `emitted while it had no connection, but only ${batch.length} were replayed ` +
            `(the newest ${bufferLimit} must be)`,
          entries: [c.attachIndex],
        });
      }
      for (const { run, seqs } of expected) {
        const kept = seqs.findIndex((s) => has(run, s));
        if (kept < 0) continue;
        const hole = seqs.slice(kept).find((s) => !has(run, s));
        if (hole === undefined) continue;
        findings.push({
          at: end,
          summary:
            `the replay to ${c.connectionId} of user ${c.userId} kept event #${seqs[kept]} ` +
            `of run ${run.runId} but dropped the newer #${hole}`,
          entries: [c.attachIndex],
        });
      }
      continue;
    }
    for (const { run, seqs } of expected) {
      const missing = seqs.filter((s) => !has(run, s));
      if (missing.length === 0) continue;
      const unflagged = (index.byRun.get(run) ?? []).find(
        (d) => index.attachmentOf.get(d) === c && seqOf(d) === missing[0] && !isFlagged(d),
      );
      findings.push({
        at: unflagged ? unflagged.index : end,
        summary: unflagged
          ? `user ${c.userId} attached ${c.connectionId} after having no connection and was ` +
            `sent ${describeEvent(unflagged)}, emitted meanwhile, without replayed: true`
          : `user ${c.userId} attached ${c.connectionId} at ${atMs(view, c.attachIndex)} after ` +
            `having no connection${gap.from >= 0 ? ` since ${atMs(view, gap.from)}` : ""}, but ` +
            `${describeSeqs(missing)} of run ${run.runId}, emitted meanwhile, ` +
            `${missing.length === 1 ? "was" : "were"} never replayed`,
        entries: unflagged ? [c.attachIndex, unflagged.index] : [run.call.index, c.attachIndex],
      });
    }
  }
  const first = earliest(findings);
  if (first) return broken(id, first.summary, first.entries);
  return exercised
    ? held(id)
    : notChecked(id, "no event was emitted while its user had no connection and then resumed");
}

function describeSeqs(seqs: number[]): string {
  if (seqs.length === 1) return `event #${seqs[0]}`;
  const shown = seqs.slice(0, 6).map((s) => `#${s}`);
  return `events ${shown.join(", ")}${seqs.length > 6 ? ", …" : ""}`;
}

interface Gap {
  /** History index where the user was last left with no connection (-1: never had one). */
  from: number;
  /** Index of the last closeUser of the user before the attach (-1: none). */
  closed: number;
}

function gapBefore(view: HistoryView, index: DeliveryIndex, c: ConnectionView): Gap {
  let from = -1;
  for (const other of view.connectionsByUser.get(c.userId) ?? []) {
    if (other === c) continue;
    const end = index.until.get(other);
    if (end !== undefined && end < c.attachIndex) from = Math.max(from, end);
  }
  let closed = -1;
  for (const call of closeUserCalls(view)) {
    const op = call.operation;
    if (op.op === "closeUser" && op.userId === c.userId && call.index < c.attachIndex) {
      closed = Math.max(closed, call.index);
    }
  }
  return { from: Math.max(from, closed), closed };
}

const closeUserCache = new WeakMap<HistoryView, CallEntry[]>();

/** The closeUser calls, found once per history: a big history has many attaches and few. */
function closeUserCalls(view: HistoryView): CallEntry[] {
  let calls = closeUserCache.get(view);
  if (!calls) {
    calls = [...view.calls.values()].filter((call) => call.operation.op === "closeUser");
    closeUserCache.set(view, calls);
  }
  return calls;
}

/**
 * The seqs of `run` proven emitted while its user had no connection before attachment `c`:
 * above what the user had received of it before the gap, at or below what is proven emitted
 * before the attach (seen anywhere before it, replayed on it, or the run's last event when it
 * returned before), and below anything of it the user received live afterwards.
 */
function expectedInGap(
  view: HistoryView,
  index: DeliveryIndex,
  c: ConnectionView,
  gap: Gap,
  run: RunView,
): number[] {
  if (run.userId !== c.userId || run.call.index > c.attachIndex) return [];
  if (run.call.index < gap.closed) return [];
  const status = statusOf(run);
  if (status === "rejected" || status === "threw") return [];
  if (run.ret && run.ret.index < gap.from) return [];
  const ofRun = (index.byRun.get(run) ?? []).filter((d) => seqOf(d) !== undefined);
  const batch = new Set(index.replay.get(c) ?? []);
  let lo = 0;
  if (run.call.index < gap.from) {
    for (const d of ofRun) {
      if (d.index < gap.from && d.connectionUserId === c.userId) lo = Math.max(lo, seqOf(d) ?? 0);
    }
  }
  // Events of the run emitted before this gap, while the user had no connection then either,
  // may have been dropped by an earlier buffer's overflow: neither delivered nor emitted in this
  // gap. Then only what follows the first one this replay brings is demanded of it.
  if (
    run.call.index < gap.from &&
    !connectedThroughout(view, c.userId, run.call.index, gap.from - 1)
  ) {
    let first: number | undefined;
    for (const d of ofRun) {
      const seq = seqOf(d);
      if (batch.has(d) && seq !== undefined) first = Math.min(first ?? seq, seq);
    }
    if (first === undefined) return [];
    lo = Math.max(lo, first - 1);
  }
  let hi = Number.POSITIVE_INFINITY;
  for (const d of ofRun) {
    if (d.index > c.attachIndex && !batch.has(d) && d.connectionUserId === c.userId) {
      hi = Math.min(hi, seqOf(d) ?? hi);
    }
  }
  let known = 0;
  for (const d of ofRun) {
    if (d.index < c.attachIndex || batch.has(d)) known = Math.max(known, seqOf(d) ?? 0);
  }
  if (run.ret && run.ret.index < c.attachIndex) {
    known = Math.max(known, lastSeq(run, ofRun, index.calibrated));
  }
  const seqs: number[] = [];
  for (let s = lo + 1; s <= known && s < hi; s++) seqs.push(s);
  return seqs;
}

/**
 * The seq of a returned run's last event: its terminal as seen; else, when the engine is
 * calibrated, what the script implies for a completed run (or at least agent_started for a
 * run that started); else the highest seq seen.
 */
function lastSeq(run: RunView, ofRun: EventDelivery[], calibrated: boolean): number {
  let max = 0;
  let terminal: number | undefined;
  for (const d of ofRun) {
    const seq = seqOf(d) ?? 0;
    max = Math.max(max, seq);
    if (isTerminalType(d.event.type)) terminal = Math.max(terminal ?? 0, seq);
  }
  if (terminal !== undefined || !calibrated) return terminal ?? max;
  const status = statusOf(run);
  if (status === "completed") {
    const count = scriptEventCount(run.request);
    if (count !== undefined) return Math.max(max, count);
  }
  if (status === "completed" || status === "error" || status === "timeout") return Math.max(max, 1);
  return max;
}
