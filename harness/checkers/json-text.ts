/**
 * JSON text for the checkers. Each delivered frame is serialised once, when it is recorded, and
 * that text serves every clause that needs it: as the event's identity (fan-out copies and
 * replays of one event share it) and as the text canaries are looked for in.
 */
import { frameTextOf } from "../run/frame-text.ts";
import type { DeliveryEntry } from "../run/history.ts";

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

/** JSON text of anything, never throwing; a string as itself. */
export function textOf(value: unknown): string {
  if (typeof value === "string") return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

const texts = new WeakMap<DeliveryEntry, string>();

/**
 * A delivered frame's text without its `replayed` flag: the same for every copy of one event,
 * which is one object sent to several connections (or one buffered object sent again), so its
 * members come in one order. The recorder's text when it has one; otherwise serialised here.
 */
export function deliveryText(delivery: DeliveryEntry): string {
  const event = delivery.event;
  const flagged = typeof event === "object" && event !== null && "replayed" in event;
  const recorded = flagged ? undefined : frameTextOf(delivery);
  if (recorded !== undefined) return recorded;
  const cached = texts.get(delivery);
  if (cached !== undefined) return cached;
  let text: string;
  if (flagged) {
    const { replayed: _replayed, ...rest } = event as Record<string, unknown>;
    text = textOf(rest);
  } else {
    text = textOf(event);
  }
  texts.set(delivery, text);
  return text;
}
