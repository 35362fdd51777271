/**
 * The events family: what each run emits. The stream of a run is rebuilt from deliveries
 * (events-stream.ts); the clauses are judged in events-grammar.ts and events-outcome.ts.
 */
import type { History } from "../run/history.ts";
import { checkGrammar, checkPayload, checkSeq } from "./events-grammar.ts";
import { checkCritical, checkNoLate, checkResult, checkTerminal } from "./events-outcome.ts";
import { analyse } from "./events-stream.ts";
import type { Verdict } from "./verdict.ts";

const IDS = [
  "events.grammar",
  "events.seq",
  "events.critical",
  "events.payload",
  "events.terminal",
  "events.result",
  "events.no-late",
] as const;

export function checkEvents(history: History): Verdict[] {
  try {
    const analysis = analyse(history);
    const verdicts = [
      checkGrammar(analysis),
      checkSeq(analysis),
      checkCritical(analysis),
      checkPayload(analysis),
      checkTerminal(analysis),
      checkResult(analysis),
      checkNoLate(analysis),
    ];
    return IDS.map((id) => verdicts.find((v) => v.id === id) as Verdict);
  } catch (error) {
    // A checker never throws; a history it cannot read is reported, not crashed on.
    return IDS.map((id) => notReadable(id, error));
  }
}

function notReadable(id: (typeof IDS)[number], error: unknown): Verdict {
  return {
    id,
    verdict: "not-checked",
    reason: `the history could not be read: ${error instanceof Error ? error.message : String(error)}`,
  };
}
