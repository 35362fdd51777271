// legacy-shared: the legacy models' common, correct plumbing, not part of any model's defects.
// This file: thrown values: the message one carries, and the AbortError an ended run raises.
// It imports nothing; a model's defect never goes here (see /work/shared/LEGACY.md).

/**
 * The message of a thrown value. With no `fallback`: an Error's message, else the value as a
 * string. With a `fallback`: an Error's or a string's own non-empty text, else the fallback.
 */
export function errorMessage(error: unknown, fallback?: string): string {
  if (fallback === undefined) return error instanceof Error ? error.message : String(error);
  if (typeof error === "string" && error !== "") return error;
  if (error instanceof Error && error.message !== "") return error.message;
  return fallback;
}

/** An Error named "AbortError", as an aborted wait or an ended run raises it. */
export function abortError(message: string): Error {
  return Object.assign(new Error(message), { name: "AbortError" });
}
