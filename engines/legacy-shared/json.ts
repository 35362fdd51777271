// legacy-shared: the legacy models' common, correct plumbing, not part of any model's defects.
// This file: JSON values: is it plain JSON, its size in bytes, a fresh copy, an input summary.
// It imports only the contract; a model's defect never goes here (see /work/shared/LEGACY.md).
import type { JsonValue } from "../../harness/contract/index.ts";

/** agent_started carries at most this much of the input (CONTRACT.md). */
export const INPUT_SUMMARY_BYTES = 1024;

/**
 * Why `value` is not plain JSON data, or undefined when it is: NaN, undefined (except as an
 * object member, which counts as absent), functions, bigints, objects that are not plain and
 * circular structures are not; nor is what cannot be walked (too deep, or a throwing getter).
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
      for (const member of item) {
        problem = visit(member);
        if (problem) break;
      }
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
    return "cannot be read as plain data";
  }
}

/** The size of `text` in UTF-8 bytes. */
export function byteLength(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

/** A fresh JSON copy (undefined and what cannot be serialised become null). */
export function jsonCopy(value: unknown): JsonValue {
  try {
    const text = JSON.stringify(value);
    return text === undefined ? null : (JSON.parse(text) as JsonValue);
  } catch {
    return null;
  }
}

/** What agent_started shows of an input: a copy of it, or a truncation marker that fits. */
export function inputSummary(input: unknown): JsonValue {
  const copy = jsonCopy(input);
  const text = JSON.stringify(copy);
  if (byteLength(text) <= INPUT_SUMMARY_BYTES) return copy;
  const marker = {
    truncated: true,
    originalBytes: byteLength(text),
    preview: text.slice(0, INPUT_SUMMARY_BYTES),
  };
  while (marker.preview.length > 0 && byteLength(JSON.stringify(marker)) > INPUT_SUMMARY_BYTES) {
    marker.preview = marker.preview.slice(0, Math.floor(marker.preview.length * 0.8));
  }
  return marker;
}
