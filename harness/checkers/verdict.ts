/** What a checker says about one clause. */
import type { ClauseId } from "../contract/index.ts";

export interface Witness {
  /** One line a developer understands, naming users, runs, events and canaries. */
  summary: string;
  /** Index of the history entries involved, for timelines. */
  entries?: number[];
  /** The command that replays this witness. */
  replay?: string;
  /**
   * cleanup.*: who holds what the engine retained, one entry per path shape, the most frequent
   * first: the path from a GC root (named by constructor and field) and how many objects it holds.
   */
  retainers?: RetainerFinding[];
}

export interface RetainerFinding {
  /** E.g. `engine (LegacyEngine) → cache (Map) → entry "k" → value (Object)`. */
  path: string;
  /** Objects held by paths of this shape. */
  count: number;
  /** What they are: context, request, input, connection, runtime, tool-result. */
  kinds: string[];
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
