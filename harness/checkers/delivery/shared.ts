/**
 * What the delivery rules share, and isolation.ts too: deterministic findings, stable JSON,
 * a run's status, and who owns a run id at a given moment.
 */
import type { EventDelivery, HistoryView, RunView } from "../view.ts";

export { stableJson, textOf } from "../json-text.ts";

/** The first violation found, by history index, so witnesses are deterministic. */
export interface Finding {
  at: number;
  summary: string;
  entries: number[];
}

export function earliest(findings: Finding[]): Finding | undefined {
  let first: Finding | undefined;
  for (const f of findings) if (!first || f.at < first.at) first = f;
  return first;
}

// ---------------------------------------------------------------------------------------------
// Shared helpers (also used by isolation.ts)

export function seqOf(delivery: EventDelivery): number | undefined {
  const seq = delivery.event.seq;
  return typeof seq === "number" && Number.isFinite(seq) ? seq : undefined;
}

export function statusOf(run: RunView): string {
  if (!run.ret) return "never returned";
  if (run.ret.threw) return "threw";
  const status = run.result?.status;
  return typeof status === "string" ? status : "malformed";
}

export interface Owner {
  userId: string;
  /** "execute" when a harness execute issued the runId; "event" when taken from the event. */
  source: "execute" | "event";
  run?: RunView;
}

/**
 * Who a run id belongs to at a given history index: the user of the execute of that runId
 * issued before it, skipping executes that were refused (a refused duplicate does not take the
 * run over). When an engine accepted several executes of one runId, prefer those in flight when
 * the event was emitted (its ts), then the one whose context matches the event's userId and
 * threadId, then those still in flight at the delivery, then the latest.
 * The event's own userId when the harness never issued the runId.
 */
export function ownerOf(
  view: HistoryView,
  runId: string,
  index: number,
  eventUserId?: unknown,
  eventThreadId?: unknown,
  eventTs?: unknown,
): Owner | undefined {
  const all = view.executes.get(runId);
  // The common case, one execute of this runId: it owns the event if issued before it.
  const only = all?.length === 1 ? all[0] : undefined;
  if (only && only.call.index < index) return { userId: only.userId, source: "execute", run: only };
  const candidates = (all ?? []).filter((r) => r.call.index < index);
  let pool = candidates.filter((r) => statusOf(r) !== "rejected");
  // A runId reused once its first run ended: the event belongs to the execute in flight when it
  // was emitted (its ts), which for a replayed event is not the one in flight when delivered.
  if (pool.length > 1 && typeof eventTs === "number") {
    const then = pool.filter(
      (r) => r.call.at <= eventTs && (r.ret === undefined || r.ret.at >= eventTs),
    );
    if (then.length > 0) pool = then;
  }
  // The run of the user (and thread) the envelope names, before the one in flight at the
  // delivery: a replayed event of a user's finished run is delivered while another user's run of
  // the same id is in flight.
  if (pool.length > 1) {
    const matching = pool.filter(
      (r) => r.context.userId === eventUserId && r.context.threadId === eventThreadId,
    );
    if (matching.length > 0) pool = matching;
  }
  if (pool.length > 1) {
    const inFlight = pool.filter((r) => r.ret === undefined || r.ret.index > index);
    if (inFlight.length > 0) pool = inFlight;
  }
  const run = pool[pool.length - 1] ?? candidates[candidates.length - 1];
  if (run) return { userId: run.userId, source: "execute", run };
  if (typeof eventUserId === "string" && eventUserId !== "") {
    return { userId: eventUserId, source: "event" };
  }
  return undefined;
}

/** The owner of an event delivery's run (see ownerOf). */
export function ownerOfDelivery(view: HistoryView, d: EventDelivery): Owner | undefined {
  return ownerOf(view, d.event.runId, d.index, d.event.userId, d.event.threadId, d.event.ts);
}

export function ownerPhrase(owner: Owner, runId: string): string {
  return owner.source === "execute"
    ? `run ${runId} owned by ${owner.userId}`
    : `run ${runId} (never issued by the harness; owner ${owner.userId} taken from the event's userId)`;
}

export function atMs(view: HistoryView, index: number): string {
  const entry = view.history.entries[index];
  return entry ? `${entry.at} ms` : `entry ${index}`;
}
