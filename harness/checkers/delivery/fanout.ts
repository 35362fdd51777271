/**
 * delivery.fanout: each event reaches every connection of its user attached at emission,
 * exactly once, and none attached later outside a replay.
 */
import { broken, held, notChecked, type Verdict } from "../verdict.ts";
import {
  type ConnectionView,
  describeEvent,
  type EventDelivery,
  type HistoryView,
} from "../view.ts";
import { type DeliveryIndex, eventKey } from "./deliveries.ts";
import { atMs, earliest, type Finding } from "./shared.ts";

export function checkFanout(view: HistoryView, index: DeliveryIndex): Verdict {
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
