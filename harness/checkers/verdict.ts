/** What a checker says about one clause. */
import type { ClauseId } from "../contract/index.ts";

export interface Witness {
  /** One line a developer understands, naming users, runs, events and canaries. */
  summary: string;
  /** Index of the history entries involved, for timelines. */
  entries?: number[];
  /** The command that replays this witness. */
  replay?: string;
}

export type Verdict =
  | { id: ClauseId; verdict: "held" }
  | { id: ClauseId; verdict: "broken"; witness: Witness }
  | { id: ClauseId; verdict: "not-checked"; reason: string };

export function held(id: ClauseId): Verdict {
  return { id, verdict: "held" };
}
export function broken(id: ClauseId, summary: string, entries?: number[]): Verdict {
  return { id, verdict: "broken", witness: entries ? { summary, entries } : { summary } };
}
export function notChecked(id: ClauseId, reason: string): Verdict {
  return { id, verdict: "not-checked", reason };
}
