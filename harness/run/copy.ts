/** Copies values into the history as plain JSON, so the history never holds an engine's object. */
import type { JsonValue } from "../contract/index.ts";
import type { ThrownError } from "./history.ts";

/** The copy, and the JSON text it was parsed from. */
export type CopyResult = { value: JsonValue; text: string } | { problem: string };

export function jsonCopy(value: unknown): CopyResult {
  if (value === undefined) return { problem: "undefined" };
  try {
    const text = JSON.stringify(value);
    if (text === undefined) return { problem: `a ${typeof value} is not JSON` };
    return { value: JSON.parse(text) as JsonValue, text };
  } catch (error) {
    return { problem: `not JSON: ${errorMessage(error)}` };
  }
}

export function thrownError(error: unknown): ThrownError {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      name: error.name,
      message: error.message,
      ...(typeof code === "string" ? { code } : {}),
    };
  }
  return { name: typeof error, message: safeString(error) };
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : safeString(error);
}

function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
