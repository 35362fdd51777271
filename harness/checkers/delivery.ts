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
import type { History } from "../run/history.ts";
import { type DeliveryIndex, indexDeliveries } from "./delivery/deliveries.ts";
import { checkDetachSafe } from "./delivery/detach-safe.ts";
import { checkFanout } from "./delivery/fanout.ts";
import { checkOrder } from "./delivery/order.ts";
import { checkOwnerOnly } from "./delivery/owner-only.ts";
import { checkResume } from "./delivery/resume.ts";
import { notChecked, type Verdict } from "./verdict.ts";
import { type HistoryView, viewOf } from "./view.ts";

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

// Helpers other checkers use, from the one place they always came from.
export { predictsCompletion, scriptEventCount, scriptSteps } from "./delivery/script.ts";
export {
  type Owner,
  ownerOf,
  ownerOfDelivery,
  seqOf,
  stableJson,
  statusOf,
  textOf,
} from "./delivery/shared.ts";
