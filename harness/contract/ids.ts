/** ctx.valid: what makes an id acceptable. Shared by engines and checkers so both mean the same. */

export const MAX_ID_LENGTH = 256;

export const PLACEHOLDER_IDS: ReadonlySet<string> = new Set([
  "registry",
  "placeholder",
  "default",
  "temp",
  "none",
  "null",
  "undefined",
  "0",
  "1",
  "xxx",
  "example",
  "test",
  "demo",
  "sample",
  "template",
  "mock",
  "fake",
  "dummy",
  "unknown",
]);

/** Why `value` is not a valid id, or undefined when it is. */
export function idProblem(value: unknown): string | undefined {
  if (typeof value !== "string")
    return `is ${value === null ? "null" : typeof value}, not a string`;
  if (value.length === 0) return "is empty";
  if (value.length > MAX_ID_LENGTH) return `is ${value.length} characters (max ${MAX_ID_LENGTH})`;
  if (PLACEHOLDER_IDS.has(value.toLowerCase())) return `is the placeholder "${value}"`;
  return undefined;
}

export const CONTEXT_ID_FIELDS = ["userId", "threadId", "runId", "requestId"] as const;

/** The first problem with a context's ids (and optional connectionId), or undefined. */
export function contextProblem(context: unknown): string | undefined {
  if (typeof context !== "object" || context === null) return "context is not an object";
  const record = context as Record<string, unknown>;
  for (const field of CONTEXT_ID_FIELDS) {
    const problem = idProblem(record[field]);
    if (problem) return `${field} ${problem}`;
  }
  if (record.connectionId !== undefined) {
    const problem = idProblem(record.connectionId);
    if (problem) return `connectionId ${problem}`;
  }
  const metadata = record.metadata;
  if (typeof metadata !== "object" || metadata === null || Array.isArray(metadata)) {
    return "metadata is not a plain object";
  }
  return undefined;
}
