/**
 * Models `request_scoped_execution_engine` (see index.ts for the defects it keeps).
 * This file: admission checks and JSON helpers. They are correct on purpose: admission is not
 * where the original went wrong, so nothing here adds a defect.
 */
import {
  type AgentRegistry,
  BadRequestError,
  type ContractError,
  contextProblem,
  InvalidContextError,
  type JsonValue,
} from "../../harness/contract/index.ts";

/** agent_started carries at most this much of the input (CONTRACT.md). */
export const INPUT_SUMMARY_BYTES = 1024;

export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

/** Why a value is not plain JSON data, or undefined when it is. */
export function jsonProblem(value: unknown, seen = new Set<object>()): string | undefined {
  if (value === null) return undefined;
  switch (typeof value) {
    case "string":
    case "boolean":
      return undefined;
    case "number":
      return Number.isFinite(value) ? undefined : `contains the number ${value}`;
    case "object":
      break;
    default:
      return `contains ${value === undefined ? "undefined" : `a ${typeof value}`}`;
  }
  const object = value as object;
  if (seen.has(object)) return "contains a circular reference";
  seen.add(object);
  try {
    if (Array.isArray(object)) {
      for (const item of object) {
        const problem = jsonProblem(item, seen);
        if (problem) return problem;
      }
      return undefined;
    }
    const proto = Object.getPrototypeOf(object);
    if (proto !== Object.prototype && proto !== null) return "contains an object that is not plain";
    for (const member of Object.values(object)) {
      if (member === undefined) continue;
      const problem = jsonProblem(member, seen);
      if (problem) return problem;
    }
    return undefined;
  } finally {
    seen.delete(object);
  }
}

/** A fresh JSON copy; undefined becomes null. */
export function copyJson(value: unknown): JsonValue {
  const text = JSON.stringify(value) as string | undefined;
  return text === undefined ? null : (JSON.parse(text) as JsonValue);
}

/** `value` when its JSON fits `maxBytes`, else a marker with a cut preview of its JSON text. */
export function fitJson(value: JsonValue, maxBytes: number): JsonValue {
  const text = JSON.stringify(value) ?? "null";
  if (utf8Bytes(text) <= maxBytes) return value;
  const marker = {
    truncated: true,
    originalBytes: utf8Bytes(text),
    preview: text.slice(0, maxBytes),
  };
  while (marker.preview.length > 0 && utf8Bytes(JSON.stringify(marker)) > maxBytes) {
    marker.preview = marker.preview.slice(0, Math.floor(marker.preview.length * 0.8));
  }
  return marker;
}

/** Room kept in maxEventBytes for the envelope (four ids of at most 256 characters, agent name, seq). */
const ENVELOPE_ROOM = 2048;
const CUT = "…[truncated]";

/** A payload whose large fields are cut (strings) or replaced by a marker so the event fits. */
export function fitPayload<P>(payload: P, maxEventBytes: number): P {
  const budget = Math.max(256, maxEventBytes - ENVELOPE_ROOM);
  if (utf8Bytes(JSON.stringify(payload) ?? "") <= budget) return payload;
  const copy = { ...payload } as Record<string, JsonValue | undefined>;
  const fields = ["result", "parameters", "input", "error", "reasoning", "message"].filter(
    (field) => copy[field] !== undefined,
  );
  const share = Math.floor((budget - 256) / Math.max(1, fields.length));
  for (const field of fields) {
    const value = copy[field] as JsonValue;
    copy[field] = typeof value === "string" ? cutString(value, share) : fitJson(value, share);
  }
  return copy as P;
}

function cutString(text: string, maxBytes: number): string {
  if (utf8Bytes(JSON.stringify(text)) <= maxBytes) return text;
  let cut = text.slice(0, maxBytes);
  while (cut.length > 0 && utf8Bytes(JSON.stringify(cut + CUT)) > maxBytes) {
    cut = cut.slice(0, Math.floor(cut.length * 0.8));
  }
  return cut + CUT;
}

export type Admission = { input: JsonValue; inputSummary: JsonValue } | ContractError;

/** ctx.valid: the context's ids. */
export function checkContext(context: unknown): ContractError | undefined {
  const problem = contextProblem(context);
  if (problem) return new InvalidContextError(problem);
  const metadataProblem = jsonProblem((context as { metadata: unknown }).metadata);
  if (metadataProblem)
    return new InvalidContextError(`metadata is not JSON: it ${metadataProblem}`);
  return undefined;
}

/** errors.bad-request: a known agent and a JSON input within maxInputBytes. */
export function checkRequest(
  request: unknown,
  agents: AgentRegistry,
  maxInputBytes: number,
): Admission {
  if (typeof request !== "object" || request === null) {
    return new BadRequestError("request is not an object");
  }
  const { agentName, input } = request as { agentName?: unknown; input?: unknown };
  if (typeof agentName !== "string" || agentName === "") {
    return new BadRequestError("agentName is not a non-empty string");
  }
  if (!agents.get(agentName)) return new BadRequestError(`unknown agent "${agentName}"`);
  const problem = jsonProblem(input);
  if (problem) return new BadRequestError(`input is not JSON: it ${problem}`);
  const text = JSON.stringify(input);
  const bytes = utf8Bytes(text);
  if (bytes > maxInputBytes) {
    return new BadRequestError(`input is ${bytes} bytes, more than ${maxInputBytes}`);
  }
  return {
    input: JSON.parse(text) as JsonValue,
    inputSummary: fitJson(JSON.parse(text) as JsonValue, INPUT_SUMMARY_BYTES),
  };
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
