/**
 * The contract as a vitest suite, parameterised by engine: one test per clause, titled with its
 * id. A team runs it on its own engine from its own vitest config:
 *
 *   import { describeContract } from "crosstalk/contract";
 *   import { engine } from "./my-engine.ts";
 *   describeContract(engine);
 */
import { beforeAll, describe, expect, it } from "vitest";
import { engineFromExports } from "../../harness/adapters/load.ts";
import type { Transport } from "../../harness/conformance/catalogue.ts";
import {
  type ClauseResult,
  checkEngine,
  type EngineReport,
} from "../../harness/conformance/check-engine.ts";
import {
  CLAUSE_IDS,
  type ClauseId,
  type EngineFactory,
  type EngineModule,
  WIRE_ONLY_CLAUSES,
} from "../../harness/contract/index.ts";

export interface ContractOptions {
  /** Clauses this engine is known to break (its baseline entry); they must stay broken. */
  expectedBreaks?: readonly ClauseId[];
  /** Only these contract scenarios (all by default). */
  scenarios?: readonly string[];
  /** How to name the engine in replay commands (a bundled name or a module path). */
  engineSpec?: string;
  /**
   * Fail a clause the contract scenarios could not judge on this engine (for the reference,
   * where that is a gap in the harness). Otherwise such a clause is reported skipped, with why.
   */
  strict?: boolean;
  /** In process (default), or over real WebSockets, where the security clauses are checked too. */
  transport?: Transport;
}

export function describeContract(
  engine: EngineModule | EngineFactory,
  options: ContractOptions = {},
): void {
  const module =
    typeof engine === "function" ? engineFromExports({ default: engine }, "engine") : engine;
  const expected = new Set(options.expectedBreaks ?? []);

  const overWire = options.transport === "ws";
  describe(`contract: ${module.name}${overWire ? " over WebSockets" : ""}`, () => {
    let report: EngineReport;
    beforeAll(async () => {
      report = await checkEngine(module, {
        ...(options.engineSpec ? { engineSpec: options.engineSpec } : {}),
        ...(options.scenarios ? { scenarios: options.scenarios } : {}),
        ...(options.transport ? { transport: options.transport } : {}),
      });
    });

    it("the engine can be created", () => {
      expect(report.failure, report.failure).toBeUndefined();
    });

    for (const id of CLAUSE_IDS) {
      if (WIRE_ONLY_CLAUSES.includes(id) && !overWire) continue;
      it(id, (context) => {
        expect(report.failure, `the engine failed: ${report.failure}`).toBeUndefined();
        const clause = report.clauses.find((c) => c.id === id) as ClauseResult;
        if (expected.has(id)) {
          expect(
            clause.verdict,
            `${id} is listed as broken but ${clause.verdict}: update the baseline`,
          ).toBe("broken");
        } else if (clause.verdict === "not-checked" && !options.strict) {
          context.skip(`not checked on this engine: ${clause.reason}`);
        } else {
          expect(clause.verdict, explain(clause)).toBe("held");
        }
      });
    }
  });
}

function explain(clause: ClauseResult): string {
  if (clause.verdict === "broken" && clause.witness) {
    const replay = clause.witness.replay ? `\n  replay: ${clause.witness.replay}` : "";
    const first = clause.witness.retainers?.[0];
    const held = first
      ? `\n  held by: ${first.path}${first.count > 1 ? ` (×${first.count})` : ""}`
      : "";
    return `${clause.id} broken in scenario ${clause.witness.scenario}: ${clause.witness.summary}${held}${replay}`;
  }
  if (clause.verdict === "not-checked") return `${clause.id} was not exercised: ${clause.reason}`;
  return clause.id;
}
