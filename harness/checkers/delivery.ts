/**
 * delivery.*: which connection gets what. Only deliveries are visible, so every rule here is
 * stated in terms of what the harness saw on its connections; an event nobody received is
 * judged only when the history proves it was emitted (a later seq of its run was seen, or its
 * run returned and the engine's event counts are calibrated, see `calibrate`).
 *
 * Detection rules (one per clause):
 * - owner-only: an event delivered on a connection of user V whose run belongs to U ≠ V. The
 *   owner is the user of the execute that issued the runId before the delivery (refused
 *   executes skipped; when an engine accepted several, the one in flight whose context matches
 *   the envelope); for a runId the harness never issued, the event's own userId (said so).
 * - fanout: an event's emission instant is its first delivery outside a replay; every
 *   connection of the owner attached at that instant must receive that event exactly once, and
 *   no connection of the owner that attached after that instant may receive it outside a
 *   replay. Two deliveries are one event when they are equal apart from `replayed`.
 * - order: on one attachment of a connection, a delivery of a run with a seq lower than one
 *   already delivered there for that run (a second complete stream under a reused runId, from
 *   agent_started #1 again after a terminal, starts afresh).
 * - resume: on a "resume attach" (U had no other connection attached), the replay is what the
 *   connection received during the attach() call or flagged `replayed: true`. It must hold
 *   every event proven emitted during the gap (seq above what U had received of the run before
 *   the gap, at or below what is proven emitted before the attach, below what U then received
 *   live; the newest bufferPerUser of them when more), each flagged, in seq order per run; no
 *   event may reach one connection twice when a replayed copy is involved, nor be replayed on
 *   two attaches.
 * - detach-safe: a run active when a connection detaches, whose script completes on its own
 *   (no throw, hang or tool error, well within the timeout, not cancelled or closed by the
 *   scenario), resolves `completed` with an output; and a connection of the run's user that was
 *   receiving the run before the detach and stays attached until it ends receives more of it.
 */
import {
  contextProblem,
  type ExecuteRequest,
  isTerminalType,
  type JsonValue,
  type Limits,
} from "../contract/index.ts";
import type { CallEntry, DeliveryEntry, History } from "../run/history.ts";
import { connectedThroughout } from "./concurrency.ts";
import { broken, held, notChecked, type Verdict } from "./verdict.ts";
import {
  type ConnectionView,
  connectionsAttachedAt,
  describeEvent,
  type EventDelivery,
  type HistoryView,
  type RunView,
  viewOf,
} from "./view.ts";

export function checkDelivery(history: History): Verdict[] {
  let view: HistoryView;
  let index: DeliveryIndex;
  try {
    view = viewOf(history);
    index = indexDeliveries(view);
  } catch (error) {
    const reason = `the history could not be read: ${String(error)}`;
    return DELIVERY_IDS.map((id) => notChecked(id, reason));
  }
  return [
    guard("delivery.owner-only", () => checkOwnerOnly(view)),
    guard("delivery.fanout", () => checkFanout(view, index)),
    guard("delivery.order", () => checkOrder(view, index)),
    guard("delivery.resume", () => checkResume(view, index)),
    guard("delivery.detach-safe", () => checkDetachSafe(view, index)),
  ];
}

const DELIVERY_IDS = [
  "delivery.owner-only",
  "delivery.fanout",
  "delivery.order",
  "delivery.resume",
  "delivery.detach-safe",
] as const;
type DeliveryId = (typeof DELIVERY_IDS)[number];

function guard(id: DeliveryId, check: () => Verdict): Verdict {
  try {
    return check();
  } catch (error) {
    return notChecked(id, `the checker could not read this history: ${String(error)}`);
  }
}

/** The first violation found, by history index, so witnesses are deterministic. */
interface Finding {
  at: number;
  summary: string;
  entries: number[];
}

function earliest(findings: Finding[]): Finding | undefined {
  let first: Finding | undefined;
  for (const f of findings) if (!first || f.at < first.at) first = f;
  return first;
}

// ---------------------------------------------------------------------------------------------
// Shared helpers (also used by isolation.ts)

/** JSON text with object keys sorted, so two copies of one value compare equal. */
export function stableJson(value: unknown): string {
  try {
    return JSON.stringify(sortKeys(value)) ?? String(value);
  } catch {
    return String(value);
  }
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      out[key] = sortKeys((value as Record<string, unknown>)[key]);
    }
    return out;
  }
  return value;
}

/** JSON text of anything, never throwing. */
export function textOf(value: unknown): string {
  if (typeof value === "string") return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

export function seqOf(delivery: EventDelivery): number | undefined {
  const seq = delivery.event.seq;
  return typeof seq === "number" && Number.isFinite(seq) ? seq : undefined;
}

function isFlagged(delivery: EventDelivery): boolean {
  return delivery.event.replayed === true;
}

/**
 * The identity of an event, whatever connection it went to and whether it was replayed: its
 * content apart from `replayed`, and the execute it belongs to (a runId may be used again once
 * its run has ended).
 */
function eventKey(index: DeliveryIndex, delivery: EventDelivery): string {
  const cached = index.keys.get(delivery);
  if (cached !== undefined) return cached;
  const { replayed: _replayed, ...rest } = delivery.event;
  const key = `${runKey(index, delivery)}\u0000${stableJson(rest)}`;
  index.keys.set(delivery, key);
  return key;
}

/** Which run a delivery belongs to: the owning execute's call index, or the bare runId. */
function runKey(index: DeliveryIndex, delivery: EventDelivery): string {
  const run = index.ownerOf.get(delivery)?.run;
  return run ? `#${run.call.index}` : `?${delivery.event.runId}`;
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
  const candidates = (view.executes.get(runId) ?? []).filter((r) => r.call.index < index);
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

function ownerPhrase(owner: Owner, runId: string): string {
  return owner.source === "execute"
    ? `run ${runId} owned by ${owner.userId}`
    : `run ${runId} (never issued by the harness; owner ${owner.userId} taken from the event's userId)`;
}

function atMs(view: HistoryView, index: number): string {
  const entry = view.history.entries[index];
  return entry ? `${entry.at} ms` : `entry ${index}`;
}

// ---------------------------------------------------------------------------------------------
// Delivery index: attachments, replays, live deliveries

interface DeliveryIndex {
  /**
   * Where each attachment ends: its detach (or closeUser/shutdown) index, or the index of a
   * later attach of the same connection id, which replaces it.
   */
  until: Map<ConnectionView, number | undefined>;
  /** The owner of each delivery's run, at the moment of the delivery. */
  ownerOf: Map<EventDelivery, Owner | undefined>;
  /** Which attachment of its connection each delivery went to (undefined: never attached). */
  attachmentOf: Map<EventDelivery, ConnectionView | undefined>;
  /** The user's attachments attached at a history index. */
  attachedAt: (userId: string, at: number) => ConnectionView[];
  /** Attachments made while their user had no other connection attached. */
  resumes: Set<ConnectionView>;
  /** For each attachment, the index of the attach call's return (end of the attach() call). */
  attachEnd: Map<ConnectionView, number>;
  /** Deliveries that are part of a resume attach's replay. */
  replay: Map<ConnectionView, EventDelivery[]>;
  replayed: Set<EventDelivery>;
  /** Event deliveries that are not part of a replay. */
  live: EventDelivery[];
  /** Event deliveries by the run (execute) they belong to, in history order. */
  byRun: Map<RunView, EventDelivery[]>;
  /** A stable number per attachment, for keys. */
  ordinal: Map<ConnectionView, number>;
  /** Attachments by user. */
  connectionsOf: Map<string, ConnectionView[]>;
  /** eventKey of each delivery, computed once. */
  keys: Map<EventDelivery, string>;
  /**
   * Whether this engine's runs are seen to emit what the contract says a scripted run emits
   * (agent_started #1, one event per think, two per tool call, a terminal): true when at least
   * one completed run was fully seen and every fully seen one agrees. Only then may the script
   * stand in for events nobody received.
   */
  calibrated: boolean;
}

function indexDeliveries(view: HistoryView): DeliveryIndex {
  const byId = new Map<string, ConnectionView[]>();
  for (const c of view.connections) {
    const list = byId.get(c.connectionId) ?? [];
    list.push(c);
    byId.set(c.connectionId, list);
  }
  const until = new Map<ConnectionView, number | undefined>();
  for (const list of byId.values()) {
    list.forEach((c, i) => {
      const next = list[i + 1]?.attachIndex;
      const ends = [c.detachIndex, next].filter((n): n is number => n !== undefined);
      until.set(c, ends.length > 0 ? Math.min(...ends) : undefined);
    });
  }
  const attachedAt = (userId: string, at: number) => attachedWith(view, until, userId, at);
  const owners = new Map<EventDelivery, Owner | undefined>();
  const attachmentOf = new Map<EventDelivery, ConnectionView | undefined>();
  for (const d of view.events) {
    owners.set(d, ownerOfDelivery(view, d));
    let found: ConnectionView | undefined;
    for (const c of byId.get(d.connectionId) ?? []) if (c.attachIndex < d.index) found = c;
    attachmentOf.set(d, found);
  }
  const shutdownAt = firstShutdown(view);
  const attachEnd = new Map<ConnectionView, number>();
  const resumes = new Set<ConnectionView>();
  for (const c of view.connections) {
    const call = view.history.entries[c.attachIndex] as CallEntry | undefined;
    const ret = call && call.kind === "call" ? view.returns.get(call.callId) : undefined;
    attachEnd.set(c, ret ? ret.index : c.attachIndex);
    if (shutdownAt !== undefined && c.attachIndex > shutdownAt) continue;
    if (attachedAt(c.userId, c.attachIndex).length === 0) resumes.add(c);
  }
  const replay = new Map<ConnectionView, EventDelivery[]>();
  const replayed = new Set<EventDelivery>();
  const live: EventDelivery[] = [];
  for (const d of view.events) {
    const c = attachmentOf.get(d);
    const inWindow = c !== undefined && d.index < (attachEnd.get(c) ?? c.attachIndex);
    if (c && resumes.has(c) && (isFlagged(d) || inWindow)) {
      const list = replay.get(c) ?? [];
      list.push(d);
      replay.set(c, list);
      replayed.add(d);
    } else {
      live.push(d);
    }
  }
  const byRun = new Map<RunView, EventDelivery[]>();
  for (const d of view.events) {
    const run = owners.get(d)?.run;
    if (!run) continue;
    const list = byRun.get(run) ?? [];
    list.push(d);
    byRun.set(run, list);
  }
  return {
    until,
    attachedAt,
    ownerOf: owners,
    attachmentOf,
    resumes,
    attachEnd,
    replay,
    replayed,
    live,
    byRun,
    ordinal: new Map(view.connections.map((c, i) => [c, i])),
    connectionsOf: groupBy(view.connections, (c) => c.userId),
    keys: new Map(),
    calibrated: calibrate(byRun),
  };
}

function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const list = groups.get(key) ?? [];
    list.push(item);
    groups.set(key, list);
  }
  return groups;
}

function calibrate(byRun: Map<RunView, EventDelivery[]>): boolean {
  let agreeing = 0;
  for (const [run, list] of byRun) {
    if (statusOf(run) !== "completed") continue;
    const count = scriptEventCount(run.request);
    const terminal = list.find((d) => isTerminalType(d.event.type));
    if (count === undefined || !terminal) continue;
    const started = list.some((d) => d.event.type === "agent_started" && seqOf(d) === 1);
    if (!started || seqOf(terminal) !== count) return false;
    agreeing += 1;
  }
  return agreeing > 0;
}

/** The user's attachments attached at a history index (after their attach, before their end). */
function attachedWith(
  view: HistoryView,
  until: Map<ConnectionView, number | undefined>,
  userId: string,
  at: number,
): ConnectionView[] {
  return connectionsAttachedAt(view, userId, at).filter((c) => {
    const end = until.get(c);
    return end === undefined || end > at;
  });
}

function firstShutdown(view: HistoryView): number | undefined {
  for (const call of view.calls.values()) if (call.operation.op === "shutdown") return call.index;
  return undefined;
}

function connectionName(c: ConnectionView | undefined, d: DeliveryEntry): string {
  return c ? c.connectionId : d.connectionId;
}

// ---------------------------------------------------------------------------------------------
// delivery.owner-only

function checkOwnerOnly(view: HistoryView): Verdict {
  const id = "delivery.owner-only";
  let exercised = false;
  for (const d of view.events) {
    const owner = ownerOfDelivery(view, d);
    if (!owner) continue;
    if (owner.userId !== d.connectionUserId) {
      const canary = view.canaries.get(owner.userId);
      const carried = canary !== undefined && textOf(d.event).includes(canary);
      const entries = [d.index];
      if (owner.run) entries.unshift(owner.run.call.index);
      return broken(
        id,
        `user ${d.connectionUserId} received ${d.event.type} #${String(d.event.seq)} of ` +
          `${ownerPhrase(owner, d.event.runId)} on connection ${d.connectionId} at ` +
          `${atMs(view, d.index)}, ${carried ? `carrying ${owner.userId}'s canary` : `not carrying ${owner.userId}'s canary`}`,
        entries,
      );
    }
    if (!exercised) {
      exercised = view.connections.some(
        (c) =>
          c.userId !== owner.userId &&
          c.attachIndex < d.index &&
          (c.detachIndex === undefined || c.detachIndex > d.index),
      );
    }
  }
  return exercised
    ? held(id)
    : notChecked(id, "no event was delivered while another user had a connection attached");
}

// ---------------------------------------------------------------------------------------------
// delivery.fanout

function checkFanout(view: HistoryView, index: DeliveryIndex): Verdict {
  const id = "delivery.fanout";
  // Every delivery of each event, by attachment (replays included: "exactly once").
  const perAttachment = new Map<string, Map<ConnectionView | string, EventDelivery[]>>();
  const groups = new Map<string, EventDelivery[]>();
  for (const d of view.events) {
    const key = eventKey(index, d);
    const where = index.attachmentOf.get(d) ?? `unattached:${d.connectionId}`;
    let byConn = perAttachment.get(key);
    if (!byConn) {
      byConn = new Map();
      perAttachment.set(key, byConn);
    }
    const list = byConn.get(where) ?? [];
    list.push(d);
    byConn.set(where, list);
    if (!index.replayed.has(d)) {
      const group = groups.get(key) ?? [];
      group.push(d);
      groups.set(key, group);
    }
  }
  const findings: Finding[] = [];
  let exercised = false;
  for (const [key, group] of groups) {
    const first = group[0] as EventDelivery;
    const emitted = first.index;
    const owner = index.ownerOf.get(first);
    if (!owner) continue;
    const required = index.attachedAt(owner.userId, emitted);
    if (required.length > 0) exercised = true;
    const byConn = perAttachment.get(key) ?? new Map<ConnectionView | string, EventDelivery[]>();
    const name = describeEvent(first);
    for (const c of required) {
      const got = byConn.get(c) ?? [];
      if (got.length === 0) {
        const others = group
          .filter((d) => d.connectionUserId === owner.userId)
          .map((d) => d.connectionId);
        findings.push({
          at: emitted,
          summary:
            `connection ${c.connectionId} of user ${owner.userId} was attached when ${name} ` +
            `was emitted (${atMs(view, emitted)}) but never received it` +
            (others.length > 0 ? ` (${unique(others).join(", ")} did)` : ""),
          entries: [c.attachIndex, emitted],
        });
      } else if (got.length > 1) {
        const second = got[1] as EventDelivery;
        findings.push({
          at: second.index,
          summary:
            `connection ${c.connectionId} of user ${owner.userId} received ${name} ` +
            `${got.length} times`,
          entries: got.map((d) => d.index),
        });
      }
    }
    for (const d of group) {
      const c = index.attachmentOf.get(d);
      if (!c || c.userId !== owner.userId || c.attachIndex < emitted) continue;
      findings.push({
        at: d.index,
        summary:
          `connection ${c.connectionId} of user ${owner.userId} received ${name} at ` +
          `${atMs(view, d.index)} although it attached after the event was emitted ` +
          `(${atMs(view, emitted)}) and the event was not replayed from a buffer`,
        entries: [emitted, c.attachIndex, d.index],
      });
    }
  }
  const first = earliest(findings);
  if (first) return broken(id, first.summary, first.entries);
  return exercised
    ? held(id)
    : notChecked(id, "no event was emitted while its owner had a connection attached");
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

// ---------------------------------------------------------------------------------------------
// delivery.order

/**
 * The stream of one run on one attachment. An engine that accepted a second execute of a
 * runId (ctx.unique-run's business) sends a second stream under the same id: a new segment
 * starts when the current one is complete (its own agent_started #1 through a terminal) and a
 * fresh agent_started #1 arrives. Anything else going back in seq is out of order.
 */
interface Stream {
  highest: EventDelivery;
  started: boolean;
  ended: boolean;
}

function checkOrder(view: HistoryView, index: DeliveryIndex): Verdict {
  const id = "delivery.order";
  let exercised = false;
  const seen = new Map<ConnectionView | string, Map<string, Stream>>();
  for (const d of view.events) {
    const seq = seqOf(d);
    if (seq === undefined) continue;
    const where = index.attachmentOf.get(d) ?? `unattached:${d.connectionId}`;
    let runs = seen.get(where);
    if (!runs) {
      runs = new Map();
      seen.set(where, runs);
    }
    const run = runKey(index, d);
    const stream = runs.get(run);
    const isStart = seq === 1 && d.event.type === "agent_started";
    if (!stream || (stream.started && stream.ended && isStart)) {
      runs.set(run, { highest: d, started: isStart, ended: isTerminalType(d.event.type) });
      continue;
    }
    exercised = true;
    const top = seqOf(stream.highest) as number;
    if (seq < top) {
      return broken(
        id,
        `connection ${connectionName(index.attachmentOf.get(d), d)} of user ` +
          `${d.connectionUserId} received ${describeEvent(d)} after #${top} of the same run`,
        [stream.highest.index, d.index],
      );
    }
    if (seq > top) stream.highest = d;
    if (isTerminalType(d.event.type)) stream.ended = true;
  }
  return exercised ? held(id) : notChecked(id, "no connection received two events of one run");
}

// ---------------------------------------------------------------------------------------------
// delivery.resume

function checkResume(view: HistoryView, index: DeliveryIndex): Verdict {
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

/** How many events a successful run of this scripted request emits, if the script says. */
export function scriptEventCount(request: ExecuteRequest | undefined): number | undefined {
  const steps = scriptSteps(request);
  if (!steps) return undefined;
  let count = 2;
  for (const step of steps) {
    if ("think" in step) count += 1;
    else if ("tool" in step) count += 2;
    else if ("parallel" in step) {
      if (!Array.isArray(step.parallel)) return undefined;
      count += 2 * step.parallel.length;
    } else if (!("sleep" in step)) return undefined;
  }
  return count;
}

type LooseStep = Record<string, JsonValue>;

export function scriptSteps(request: ExecuteRequest | undefined): LooseStep[] | undefined {
  if (request?.agentName !== "scripted") return undefined;
  const input = request.input;
  if (typeof input !== "object" || input === null || Array.isArray(input)) return undefined;
  const steps = (input as Record<string, JsonValue>).steps;
  if (!Array.isArray(steps)) return undefined;
  if (!steps.every((s) => typeof s === "object" && s !== null && !Array.isArray(s))) {
    return undefined;
  }
  return steps as LooseStep[];
}

/**
 * Whether a scripted request, left alone, completes: no throw, hang, tool error or missing tool,
 * and well within the run timeout. Undefined when the script does not say.
 */
export function predictsCompletion(
  request: ExecuteRequest | undefined,
  limits: Limits | undefined,
): boolean {
  const steps = scriptSteps(request);
  if (!steps) return false;
  let total = 0;
  const toolTime = (t: unknown): number | undefined => {
    if (typeof t !== "object" || t === null) return undefined;
    const tool = t as Record<string, unknown>;
    if (typeof tool.tool !== "string" || tool.tool.startsWith("missing")) return undefined;
    if (tool.error !== undefined) return undefined;
    const delay = tool.delayMs ?? 0;
    return typeof delay === "number" && delay >= 0 ? delay : undefined;
  };
  for (const step of steps) {
    if ("think" in step) continue;
    if ("tool" in step) {
      const t = toolTime(step);
      if (t === undefined) return false;
      total += t;
    } else if ("parallel" in step && Array.isArray(step.parallel)) {
      let longest = 0;
      for (const t of step.parallel) {
        const time = toolTime(t);
        if (time === undefined) return false;
        longest = Math.max(longest, time);
      }
      total += longest;
    } else if ("sleep" in step && typeof step.sleep === "number" && step.sleep >= 0) {
      total += step.sleep;
    } else {
      return false;
    }
  }
  const timeout = limits?.runTimeoutMs ?? 25_000;
  return total < timeout / 2;
}

// ---------------------------------------------------------------------------------------------
// delivery.detach-safe

function checkDetachSafe(view: HistoryView, index: DeliveryIndex): Verdict {
  const id = "delivery.detach-safe";
  const findings: Finding[] = [];
  let exercised = false;
  const incomplete = Boolean(view.history.failure || view.history.truncated);
  const calls = [...view.calls.values()].sort((a, b) => a.index - b.index);
  // The operations that may end a run. The runner's closing shutdown is one only for runs still
  // going when it came: the runner stops waiting at its horizon (4 run timeouts after the last
  // operation), and a run it cut short there was not failed by a detach.
  const disruptive = calls.filter((c) =>
    ["cancel", "closeUser", "shutdown"].includes(c.operation.op),
  );
  const judged = new Set<RunView>();
  for (const detach of calls) {
    const op = detach.operation;
    if (op.op !== "detach") continue;
    const d = detach.index;
    const gone = view.connections.find(
      (c) => c.detachIndex === d && c.connectionId === op.connectionId,
    );
    const goneName = `${op.connectionId}${gone ? ` of user ${gone.userId}` : ""}`;
    for (const run of view.runs) {
      const retIndex = run.ret?.index;
      if (run.call.index > d || (retIndex !== undefined && retIndex < d)) continue;
      // The run goes on: it completes as its script says.
      if (!judged.has(run) && completionExpected(view, run, disruptive)) {
        if (retIndex === undefined && incomplete) continue;
        judged.add(run);
        exercised = true;
        const status = statusOf(run);
        const hasOutput = run.result !== undefined && run.result.output !== undefined;
        if (status !== "completed" || !hasOutput) {
          const reason = status === "completed" ? "completed without an output" : `ended ${status}`;
          findings.push({
            at: retIndex ?? d,
            summary:
              `run ${run.runId} of user ${run.userId}, active when connection ${goneName} ` +
              `detached at ${atMs(view, d)}, ${reason}${errorText(run)} although its script ` +
              `completes`,
            entries: retIndex === undefined ? [run.call.index, d] : [run.call.index, d, retIndex],
          });
        }
      }
      // Connections that were receiving the run keep receiving it.
      if (retIndex === undefined) continue;
      const status = statusOf(run);
      if (status === "rejected" || status === "threw" || status === "malformed") continue;
      for (const c of index.connectionsOf.get(run.userId) ?? []) {
        const end = index.until.get(c);
        if (c.attachIndex > d || end === d) continue;
        if (end !== undefined && end <= retIndex) continue;
        const got = (index.byRun.get(run) ?? []).filter((e) => index.attachmentOf.get(e) === c);
        const before = got.filter((e) => e.index < d);
        if (before.length === 0) continue;
        exercised = true;
        if (got.some((e) => e.index > d)) continue;
        const last = before[before.length - 1] as EventDelivery;
        findings.push({
          at: retIndex,
          summary:
            `after connection ${goneName} detached at ${atMs(view, d)}, connection ` +
            `${c.connectionId} of user ${c.userId} received nothing more of run ${run.runId} ` +
            `(last: ${last.event.type} #${String(last.event.seq)}), though the run went on and ` +
            `ended ${status} at ${atMs(view, retIndex)}`,
          entries: [last.index, d, retIndex],
        });
      }
    }
  }
  const first = earliest(findings);
  if (first) return broken(id, first.summary, first.entries);
  return exercised
    ? held(id)
    : notChecked(id, "no connection detached while a run it could affect was active");
}

/** Whether the run should complete on its own: its script completes and nothing ends it. */
function completionExpected(view: HistoryView, run: RunView, disruptive: CallEntry[]): boolean {
  if (!predictsCompletion(run.request, view.history.limits)) return false;
  if (contextProblem(run.context) !== undefined) return false;
  const status = statusOf(run);
  if (status === "rejected") return false;
  if (run.context.connectionId !== undefined) {
    const c = view.connections.find(
      (x) =>
        x.connectionId === run.context.connectionId &&
        x.attachIndex < run.call.index &&
        (x.detachIndex === undefined || x.detachIndex > run.call.index),
    );
    if (!c || c.userId !== run.userId) return false;
  }
  // Another execute of the same runId may be refused or may disturb it; leave that to ctx.*.
  if ((view.executes.get(run.runId)?.length ?? 0) > 1) return false;
  const end = run.ret?.index ?? Number.POSITIVE_INFINITY;
  for (const call of disruptive) {
    if (call.index < run.call.index) continue;
    const op = call.operation;
    if (op.op === "cancel" && op.runId === run.runId) return false;
    if (call.index > end) continue;
    if (op.op === "closeUser" && op.userId === run.userId) return false;
    if (op.op === "shutdown") return false;
  }
  return true;
}

function errorText(run: RunView): string {
  const error = run.result?.error as { code?: unknown; message?: unknown } | undefined;
  if (run.ret?.threw) return ` (threw ${run.ret.threw.message})`;
  if (error && typeof error === "object") {
    const code = typeof error.code === "string" ? error.code : "";
    const message = typeof error.message === "string" ? error.message : "";
    if (code || message) return ` (${[code, message].filter(Boolean).join(": ")})`;
  }
  return "";
}
