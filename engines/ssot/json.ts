/**
 * JSON helpers. What a user sends is checked strictly (errors.bad-request); what agents and tools
 * return is copied leniently (a JSON round trip); and large values are cut to an exact byte size
 * so that every event fits maxEventBytes (events.payload).
 */
import type { JsonValue } from "../../harness/contract/index.ts";

/** Appended to text that was cut short. */
export const TRUNCATION_SUFFIX = "…[truncated]";

/** UTF-8 length of a string, without allocating (sizes are bytes on the wire, not characters). */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (isHighSurrogate(code) && isLowSurrogate(text.charCodeAt(i + 1))) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/** Bytes of a value once serialised; 0 for what JSON.stringify drops. */
export function jsonBytes(value: unknown): number {
  const text = JSON.stringify(value) as string | undefined;
  return text === undefined ? 0 : utf8Length(text);
}

/**
 * Why a value is not plain JSON data, or undefined when it is. Stricter than JSON.stringify,
 * which silently turns NaN into null and Maps into {}: a request that would change meaning on
 * the wire is refused rather than altered. An undefined object member counts as absent.
 */
export function jsonProblem(value: unknown): string | undefined {
  const path = new Set<object>();
  const visit = (item: unknown): string | undefined => {
    switch (typeof item) {
      case "string":
      case "boolean":
        return undefined;
      case "number":
        return Number.isFinite(item) ? undefined : `contains the number ${item}`;
      case "object":
        break;
      default:
        return `contains ${item === undefined ? "undefined" : `a ${typeof item}`}`;
    }
    if (item === null) return undefined;
    if (path.has(item)) return "contains a circular reference";
    path.add(item);
    let problem: string | undefined;
    if (Array.isArray(item)) {
      for (let i = 0; i < item.length && !problem; i++) problem = visit(item[i]);
    } else {
      const proto = Object.getPrototypeOf(item);
      if (proto !== Object.prototype && proto !== null)
        return "contains an object that is not plain";
      for (const member of Object.values(item)) {
        if (member !== undefined) problem = visit(member);
        if (problem) break;
      }
    }
    path.delete(item);
    return problem;
  };
  try {
    return visit(value);
  } catch {
    // Too deep to walk, or a getter or proxy that throws: either way not plain data.
    return "cannot be read as plain data";
  }
}

/** A fresh JSON copy of what an agent or tool returned; undefined becomes null. Throws when not serialisable. */
export function toJson(value: unknown): JsonValue {
  const text = JSON.stringify(value) as string | undefined;
  return text === undefined ? null : (JSON.parse(text) as JsonValue);
}

/** Freeze a JSON value all the way down (the context handed to an agent must not change under it). */
export function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    for (const member of Object.values(value)) deepFreeze(member);
    Object.freeze(value);
  }
  return value;
}

/** `text` itself when its JSON form fits `maxBytes`, else its longest prefix + TRUNCATION_SUFFIX that does. */
export function truncateText(text: string, maxBytes: number): string {
  if (jsonBytes(text) <= maxBytes) return text;
  if (jsonBytes(TRUNCATION_SUFFIX) > maxBytes) return "";
  // Serialised size grows with the prefix, so binary-search the longest prefix that fits.
  let low = 0;
  let high = Math.min(text.length, Math.max(0, maxBytes));
  while (low < high) {
    const mid = (low + high + 1) >>> 1;
    if (jsonBytes(prefix(text, mid) + TRUNCATION_SUFFIX) <= maxBytes) low = mid;
    else high = mid - 1;
  }
  return prefix(text, low) + TRUNCATION_SUFFIX;
}

/**
 * A value whose JSON form fits `maxBytes`: the value itself when it fits, a cut string for a
 * string, else the marker `{truncated: true, originalBytes, preview}` where preview is the start
 * of the value's JSON text; null when not even the marker fits.
 */
export function fitJson(value: JsonValue, maxBytes: number): JsonValue {
  if (jsonBytes(value) <= maxBytes) return value;
  if (typeof value === "string") return truncateText(value, maxBytes);
  return truncationMarker(JSON.stringify(value), maxBytes);
}

/** The truncation marker for a value whose JSON text is `text`, fitted to `maxBytes`. */
export function truncationMarker(text: string, maxBytes: number): JsonValue {
  const marker = { truncated: true, originalBytes: utf8Length(text), preview: "" };
  const room = maxBytes - jsonBytes(marker) + jsonBytes("");
  if (room < jsonBytes("")) return null;
  marker.preview = truncateText(text, room);
  return marker;
}

/** A name or id shortened for an error message. */
export function clip(text: string, maxChars = 200): string {
  return text.length > maxChars ? `${text.slice(0, maxChars)}…` : text;
}

function prefix(text: string, length: number): string {
  // Never split a surrogate pair: half a character is not text.
  const end = length > 0 && isHighSurrogate(text.charCodeAt(length - 1)) ? length - 1 : length;
  return text.slice(0, end);
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}
