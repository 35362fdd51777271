/**
 * The delivery index, built once per history: each attachment's end, each delivery's owner and
 * attachment, which attaches are resumes and which deliveries their replays, and whether the
 * engine's event counts are calibrated against the scripts.
 */
import { isTerminalType } from "../../contract/index.ts";
import type { CallEntry, DeliveryEntry } from "../../run/history.ts";
import { deliveryText } from "../json-text.ts";
import {
  type ConnectionView,
  connectionsAttachedAt,
  type EventDelivery,
  type HistoryView,
  type RunView,
} from "../view.ts";
import { scriptEventCount } from "./script.ts";
import { type Owner, ownerOfDelivery, seqOf, statusOf } from "./shared.ts";

export function isFlagged(delivery: EventDelivery): boolean {
  return delivery.event.replayed === true;
}

/**
 * The identity of an event, whatever connection it went to and whether it was replayed: its
 * content apart from `replayed`, and the execute it belongs to (a runId may be used again once
 * its run has ended).
 */
export function eventKey(index: DeliveryIndex, delivery: EventDelivery): string {
  const cached = index.keys.get(delivery);
  if (cached !== undefined) return cached;
  // Interned as a short key: the checkers hash it in several maps, and an event's text is long.
  const identity = `${runKey(index, delivery)}\u0000${deliveryText(delivery)}`;
  let key = index.interned.get(identity);
  if (key === undefined) {
    key = `e${index.interned.size}`;
    index.interned.set(identity, key);
  }
  index.keys.set(delivery, key);
  return key;
}

/** Which run a delivery belongs to: the owning execute's call index, or the bare runId. */
export function runKey(index: DeliveryIndex, delivery: EventDelivery): string {
  const run = index.ownerOf.get(delivery)?.run;
  return run ? `#${run.call.index}` : `?${delivery.event.runId}`;
}

export interface DeliveryIndex {
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
  /** The short key given to each event identity (run and text). */
  interned: Map<string, string>;
  /**
   * Whether this engine's runs are seen to emit what the contract says a scripted run emits
   * (agent_started #1, one event per think, two per tool call, a terminal): true when at least
   * one completed run was fully seen and every fully seen one agrees. Only then may the script
   * stand in for events nobody received.
   */
  calibrated: boolean;
}

export function indexDeliveries(view: HistoryView): DeliveryIndex {
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
    interned: new Map(),
    calibrated: calibrate(byRun),
  };
}

export function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
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

export function connectionName(c: ConnectionView | undefined, d: DeliveryEntry): string {
  return c ? c.connectionId : d.connectionId;
}
