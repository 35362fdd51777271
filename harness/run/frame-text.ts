/**
 * The JSON text each delivered frame was copied from, kept beside the history's data rather than
 * in it: a non-enumerable symbol property, which JSON, structuredClone and deep equality all
 * leave out (a history stays plain data, and its JSON file does not double). Not a WeakMap: with
 * a thousand users' deliveries in one, its ephemeron table cost the garbage collector more than
 * the texts save. The checkers take it as the event's text instead of serialising every delivery
 * again; a history read back from a file has none, and they serialise then.
 */
import type { HistoryEntry } from "./history.ts";

const FRAME_TEXT = Symbol("frame text");

export function rememberFrameText(entry: HistoryEntry, text: string): void {
  Object.defineProperty(entry, FRAME_TEXT, { value: text });
}

export function frameTextOf(entry: HistoryEntry): string | undefined {
  return (entry as unknown as Record<symbol, string | undefined>)[FRAME_TEXT];
}
