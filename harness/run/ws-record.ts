/**
 * What the ws driver does to the history once frames arrive: fill in the entries their writes
 * reserved, and drop the ones whose frame never arrived; plus the small value helpers it needs.
 */
import type { JsonValue } from "../contract/index.ts";
import type { WireLog } from "../transport/wire-log.ts";
import { jsonCopy } from "./copy.ts";
import type { DeliveryEntry, HistoryEntry, ReturnEntry } from "./history.ts";
import type { Recorder } from "./recorder.ts";
import type { Operation } from "./scenario.ts";

/** A frame the gateway wrote, waiting for its client to receive it. */
export interface Slot {
  /** The entry the frame fills, if it fills one. */
  entry?: DeliveryEntry | ReturnEntry;
  kind: string;
  /** For refusals: the operation the error frame answers. */
  op?: { operation: Operation };
  /** The client frame it answers. */
  answers?: number;
  writtenAt: number;
}

/** Fills a slot's entry with what arrived. */
export function fill(slot: Slot, parsed: unknown): void {
  const entry = slot.entry;
  if (!entry) return;
  if (entry.kind === "deliver") {
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) {
      entry.event = parsed;
      delete entry.malformed;
    } else {
      entry.event = parsed;
      entry.malformed = `a ${Array.isArray(parsed) ? "array" : typeof parsed}, not an object`;
    }
    return;
  }
  const frame = (typeof parsed === "object" && parsed !== null ? parsed : {}) as Record<
    string,
    unknown
  >;
  if (slot.op) {
    // A refusal by the gateway: what execute resolves to when refused, from the error frame.
    const operation = slot.op.operation;
    const runId = operation.op === "execute" ? operation.context.runId : null;
    entry.value = {
      runId: runId as JsonValue,
      status: "rejected",
      error: { code: String(frame.code), message: String(frame.message) },
    };
    return;
  }
  const value =
    slot.kind === "result" ? frame.result : slot.kind === "cancel" ? frame.cancelled : undefined;
  if (value !== undefined) {
    const copy = jsonCopy(value);
    if ("value" in copy) entry.value = copy.value;
  }
}

/** Drops entries that never happened on the wire and renumbers the rest. */
export function compact(
  recorder: Recorder,
  closedUsers: Map<string, number>,
  lost: ReadonlySet<HistoryEntry>,
  log: WireLog,
): void {
  const entries = recorder.entries;
  const newIndex: number[] = [];
  const kept: HistoryEntry[] = [];
  for (const entry of entries) {
    newIndex[entry.index] = kept.length;
    if (!lost.has(entry)) kept.push(entry);
  }
  const remap = (index: number) => newIndex[index] ?? kept.length;
  entries.length = 0;
  for (const entry of kept) {
    entry.index = entries.length;
    entries.push(entry);
  }
  for (const tracked of recorder.tracked) tracked.since = remap(tracked.since);
  for (const [user, index] of closedUsers) closedUsers.set(user, remap(index));
  for (const direct of log.direct) direct.entry = remap(direct.entry);
  for (const sock of log.sockets) {
    for (const received of sock.received) {
      if (received.entry !== undefined) received.entry = remap(received.entry);
    }
  }
}

export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value instanceof Promise ||
    (typeof value === "object" &&
      value !== null &&
      typeof (value as { then?: unknown }).then === "function")
  );
}

/** Whether JSON carries `value` unchanged: finite numbers, plain objects and arrays only. */
export function isPlainJson(value: unknown): boolean {
  if (value === null || typeof value === "string" || typeof value === "boolean") return true;
  if (typeof value === "number") return Number.isFinite(value);
  if (Array.isArray(value)) return value.every(isPlainJson);
  if (typeof value === "object") {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return false;
    return Object.values(value as object).every((v) => v !== undefined && isPlainJson(v));
  }
  return false;
}

export function cut(text: string): string {
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}
