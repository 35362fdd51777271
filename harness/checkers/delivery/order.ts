/**
 * delivery.order: on every attachment, a run's events arrive in seq order.
 */
import { isTerminalType } from "../../contract/index.ts";
import { broken, held, notChecked, type Verdict } from "../verdict.ts";
import {
  type ConnectionView,
  describeEvent,
  type EventDelivery,
  type HistoryView,
} from "../view.ts";
import { connectionName, type DeliveryIndex, runKey } from "./deliveries.ts";
import { seqOf } from "./shared.ts";

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

export function checkOrder(view: HistoryView, index: DeliveryIndex): Verdict {
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
