/**
 * Encoding one event. An event is encoded once, when it is emitted, into JSON text: every
 * receiver then parses its own copy (events are values), and a buffered event is a string
 * that keeps nothing of its run alive.
 */
import type {
  EventType,
  JsonObject,
  JsonValue,
  PayloadByType,
} from "../../harness/contract/index.ts";
import { fitJson, jsonBytes, utf8Length } from "./json.ts";

/** The envelope fields that come from the run. */
export interface RunIdentity {
  readonly runId: string;
  readonly threadId: string;
  readonly userId: string;
  readonly agentName: string;
}

/** The payload fields that may be shortened when an event is too large, most expendable first. */
const SHRINKABLE: { readonly [T in EventType]: readonly string[] } = {
  agent_started: ["input"],
  agent_thinking: ["reasoning"],
  tool_executing: ["parameters", "toolName"],
  tool_completed: ["result", "error", "toolName"],
  agent_completed: ["result"],
  agent_error: ["message"],
};

/**
 * The event as JSON text. When its payload would exceed `maxEventBytes` (the contract bounds
 * the payload, events.payload), the large payload fields are cut (strings) or replaced by a
 * truncation marker (other values, see json.ts fitJson) until it fits.
 */
export function encodeEvent<T extends EventType>(
  run: RunIdentity,
  type: T,
  seq: number,
  ts: number,
  payload: PayloadByType[T],
  maxEventBytes: number,
): string {
  const fields = payload as unknown as JsonObject;
  let payloadText = JSON.stringify(fields);
  if (utf8Length(payloadText) > maxEventBytes) {
    payloadText = JSON.stringify(shrink(fields, SHRINKABLE[type], maxEventBytes));
  }
  const { runId, threadId, userId, agentName } = run;
  // The payload is serialised once (it was measured as text): splice it into the envelope.
  const head = JSON.stringify({ type, runId, threadId, userId, agentName, seq, ts });
  return `${head.slice(0, -1)},"payload":${payloadText}}`;
}

/** A copy of `payload` whose shrinkable fields were cut, in order, until it fits `budget` bytes. */
function shrink(payload: JsonObject, fields: readonly string[], budget: number): JsonObject {
  const out: JsonObject = { ...payload };
  for (const field of fields) {
    const size = jsonBytes(out);
    if (size <= budget) break;
    const value: JsonValue | undefined = out[field];
    if (value === undefined) continue;
    out[field] = fitJson(value, budget - (size - jsonBytes(value)));
  }
  return out;
}

/** The payload of an encoded event, as a fresh copy (what execute resolves must equal what was sent). */
export function payloadOf(text: string): JsonObject {
  return (JSON.parse(text) as { payload: JsonObject }).payload;
}
