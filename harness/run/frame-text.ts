/**
 * The JSON text each delivered frame was copied from, kept beside the history rather than in it
 * (a history stays plain data, and its JSON file does not double). The checkers take it as the
 * event's text instead of serialising every delivery again; a history read back from a file has
 * none, and they serialise then.
 */
import type { HistoryEntry } from "./history.ts";

const texts = new WeakMap<HistoryEntry, string>();

export function rememberFrameText(entry: HistoryEntry, text: string): void {
  texts.set(entry, text);
}

export function frameTextOf(entry: HistoryEntry): string | undefined {
  return texts.get(entry);
}
