/**
 * delivery.owner-only: an event of user U's run is sent only on U's connections.
 */

import { deliveryText } from "../json-text.ts";
import { broken, held, notChecked, type Verdict } from "../verdict.ts";
import type { HistoryView } from "../view.ts";
import { atMs, ownerOfDelivery, ownerPhrase } from "./shared.ts";

export function checkOwnerOnly(view: HistoryView): Verdict {
  const id = "delivery.owner-only";
  let exercised = false;
  for (const d of view.events) {
    const owner = ownerOfDelivery(view, d);
    if (!owner) continue;
    if (owner.userId !== d.connectionUserId) {
      const canary = view.canaries.get(owner.userId);
      const carried = canary !== undefined && deliveryText(d).includes(canary);
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
