/**
 * Folds the verdicts of many scenarios into one result per clause, as checkEngine does: broken
 * if any scenario broke it (a scenario written for the clause gives the better witness), held if
 * one exercised it and none broke it, otherwise not-checked, with the most useful reason: why
 * the wire cannot show it, or why the scenarios written for it could not run.
 */
import type { Verdict } from "../../checkers/verdict.ts";
import type { ClauseResult } from "../../conformance/check-engine.ts";
import type { ConformanceScenario } from "../../conformance/types.ts";
import { CLAUSE_IDS, type ClauseId } from "../../contract/index.ts";
import { NOT_FROM_THE_WIRE } from "./judge.ts";

export class ClauseFold {
  readonly #results = new Map<ClauseId, ClauseResult>();
  /** Broken by a scenario not written for it: a targeted break may replace the witness. */
  readonly #incidental = new Set<ClauseId>();
  /** Why scenarios written for a clause did not run. */
  readonly #skipped = new Map<ClauseId, string>();

  constructor(private readonly replay: (scenario: string) => string) {
    for (const id of CLAUSE_IDS) {
      this.#results.set(id, { id, verdict: "not-checked", reason: "no scenario exercised it" });
    }
  }

  add(verdict: Verdict, item: ConformanceScenario): void {
    const current = this.#results.get(verdict.id) as ClauseResult;
    const targeted = item.clauses.includes(verdict.id);
    if (current.verdict === "broken" && !(targeted && this.#incidental.has(verdict.id))) return;
    if (verdict.verdict === "broken") {
      const scenario = item.scenario.name;
      this.#results.set(verdict.id, {
        id: verdict.id,
        verdict: "broken",
        witness: {
          summary: verdict.witness.summary,
          scenario,
          replay: this.replay(scenario),
          ...(verdict.witness.entries ? { entries: verdict.witness.entries } : {}),
        },
      });
      if (targeted) this.#incidental.delete(verdict.id);
      else this.#incidental.add(verdict.id);
    } else if (current.verdict === "broken") {
      return;
    } else if (verdict.verdict === "held") {
      this.#results.set(verdict.id, { id: verdict.id, verdict: "held" });
    } else if (current.verdict === "not-checked" && !targeted) {
      this.#results.set(verdict.id, { ...current, reason: verdict.reason });
    } else if (current.verdict === "not-checked") {
      this.#results.set(verdict.id, {
        ...current,
        reason: `${item.scenario.name}: ${verdict.reason}`,
      });
    }
  }

  skip(item: ConformanceScenario, reason: string): void {
    for (const id of item.clauses) {
      if (!this.#skipped.has(id))
        this.#skipped.set(id, `scenario ${item.scenario.name} was not run: ${reason}`);
    }
  }

  results(): ClauseResult[] {
    return CLAUSE_IDS.map((id) => {
      const result = this.#results.get(id) as ClauseResult;
      if (result.verdict !== "not-checked") return result;
      const reason = NOT_FROM_THE_WIRE[id] ?? this.#skipped.get(id) ?? result.reason;
      return { id, verdict: "not-checked", reason: reason ?? "no scenario exercised it" };
    });
  }
}
