// legacy-shared: the legacy models' common, correct plumbing, not part of any model's defects.
// This file: an event's envelope, with its large payload fields cut so it fits maxEventBytes.
// It imports only the contract; which ids a model stamps on its events is the model's own business.
import type { AgentEvent, EventType, PayloadByType } from "../../harness/contract/index.ts";
import { byteLength } from "./json.ts";

/** The ids an event's envelope carries, as the caller gives them. */
export interface RunIds {
  readonly runId: string;
  readonly threadId: string;
  readonly userId: string;
  readonly agentName: string;
}

/** An event of `type` stamped with `ids`, cut to fit `maxEventBytes`. The payload is not copied. */
export function makeEvent<T extends EventType>(
  ids: RunIds,
  seq: number,
  ts: number,
  type: T,
  payload: PayloadByType[T],
  maxEventBytes: number,
): AgentEvent {
  const event = {
    type,
    runId: ids.runId,
    threadId: ids.threadId,
    userId: ids.userId,
    agentName: ids.agentName,
    seq,
    ts,
    payload,
  } as AgentEvent;
  return fitEvent(event, maxEventBytes);
}

/** The payload fields an event may shorten to fit maxEventBytes, most expendable first. */
const SHRINKABLE: Record<string, readonly string[]> = {
  agent_started: ["input"],
  agent_thinking: ["reasoning"],
  tool_executing: ["parameters", "toolName"],
  tool_completed: ["result", "error", "toolName"],
  agent_completed: ["result"],
  agent_error: ["message"],
};

/** Room kept for the `replayed` flag a buffered event gains on replay. */
const REPLAYED_ROOM = 20;

/** `event`, with its large payload fields cut so that it serialises within `maxBytes`. */
function fitEvent<E extends { type: string; payload: unknown }>(event: E, maxBytes: number): E {
  const room = maxBytes - REPLAYED_ROOM;
  let size = byteLength(JSON.stringify(event));
  if (size <= room) return event;
  const payload = { ...(event.payload as Record<string, unknown>) };
  for (const field of SHRINKABLE[event.type] ?? []) {
    if (size <= room) break;
    const value = payload[field];
    if (value === undefined) continue;
    const valueBytes = byteLength(JSON.stringify(value));
    const budget = valueBytes - (size - room);
    payload[field] =
      typeof value === "string"
        ? cutToBytes(value, budget)
        : { truncated: true, bytes: valueBytes };
    size = byteLength(JSON.stringify({ ...event, payload }));
  }
  return { ...event, payload };
}

/** The longest prefix of `text` whose JSON string fits `budget` bytes. */
function cutToBytes(text: string, budget: number): string {
  let low = 0;
  let high = text.length;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (byteLength(JSON.stringify(text.slice(0, mid))) <= budget) low = mid;
    else high = mid - 1;
  }
  return text.slice(0, low);
}
