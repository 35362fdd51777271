/**
 * Merges the shards of one run into the results the unsharded run gives. Each engine's
 * scenarios were spread over the shards, so each clause is folded again, by the rules
 * check-engine.ts folds scenarios with: broken if any shard broke it, keeping the witness the
 * unsharded run keeps (the first break by a scenario written for that clause, else the first
 * incidental one, in catalogue order); held if some shard exercised it and none broke it;
 * otherwise not checked, with the reason the last scenario gave. Whether a break is expected is
 * left to the baseline comparison that follows, which only the whole run can make (a listed
 * break one shard did not see may be another shard's).
 */

import { scenariosFor } from "../../conformance/catalogue.ts";
import type { ClauseResult, EngineReport } from "../../conformance/check-engine.ts";
import type { ClauseId } from "../../contract/index.ts";
import type { ShardPlan } from "./plan.ts";

export interface ShardDocument {
  /** Where it was read from, for messages. */
  file: string;
  engines: EngineReport[];
  shard?: ShardPlan;
}

export class MergeError extends Error {
  override name = "MergeError";
}

/** The engines of the merged run, in the run's order. */
export function mergeShards(documents: readonly ShardDocument[]): EngineReport[] {
  if (documents.length === 0) throw new MergeError("nothing to merge");
  const sharded = documents.filter((d) => d.shard);
  if (sharded.length === 0) return concatenate(documents);
  if (sharded.length !== documents.length) {
    const plain = documents.find((d) => !d.shard) as ShardDocument;
    throw new MergeError(
      `${plain.file} is not a shard (no "shard" field): merge either the shards of one run (--shard i/n) or results of different engines, not both`,
    );
  }
  const plan = checkShardsAgree(documents as (ShardDocument & { shard: ShardPlan })[]);
  const order = new Map(plan.scenarios.map((name, i) => [name, i]));
  const targets = new Map(scenariosFor(plan.transport).map((s) => [s.scenario.name, s.clauses]));
  const context: FoldContext = {
    position: (scenario) => order.get(scenario) ?? Number.MAX_SAFE_INTEGER,
    targeted: (scenario, clause) => targets.get(scenario)?.includes(clause) ?? false,
  };
  const merged: EngineReport[] = [];
  for (const spec of plan.engines) {
    const parts = documents.flatMap((d) =>
      d.engines.filter((_, i) => (d.shard as ShardPlan).specs[i] === spec),
    );
    if (parts.length > 0) merged.push(mergeEngine(parts, context));
  }
  return merged;
}

/** Results of different engines (separate runs, not shards): one matrix, each engine once. */
function concatenate(documents: readonly ShardDocument[]): EngineReport[] {
  const seen = new Map<string, string>();
  const engines: EngineReport[] = [];
  for (const doc of documents) {
    for (const engine of doc.engines) {
      const earlier = seen.get(engine.name);
      if (earlier !== undefined) {
        throw new MergeError(
          `engine ${engine.name} is in both ${earlier} and ${doc.file}: these are not shards of one run (run them with --shard i/n to merge)`,
        );
      }
      seen.set(engine.name, doc.file);
      engines.push(withoutBaselineMarks(engine));
    }
  }
  return engines;
}

function checkShardsAgree(documents: readonly (ShardDocument & { shard: ShardPlan })[]): ShardPlan {
  const first = documents[0] as ShardDocument & { shard: ShardPlan };
  const plan = first.shard;
  const same = (a: ShardPlan, b: ShardPlan) =>
    a.count === b.count &&
    a.transport === b.transport &&
    a.seed === b.seed &&
    a.engines.join("\n") === b.engines.join("\n") &&
    a.scenarios.join("\n") === b.scenarios.join("\n");
  const byIndex = new Map<number, string>();
  for (const doc of documents) {
    if (!same(plan, doc.shard)) {
      throw new MergeError(
        `${doc.file} and ${first.file} are shards of different runs (their engines, scenarios, transport, seed or shard count differ): every shard must be run with the same command line but for --shard`,
      );
    }
    const twin = byIndex.get(doc.shard.index);
    if (twin !== undefined) {
      throw new MergeError(
        `${twin} and ${doc.file} are both shard ${doc.shard.index}/${plan.count}`,
      );
    }
    byIndex.set(doc.shard.index, doc.file);
  }
  const missing = Array.from({ length: plan.count }, (_, i) => i + 1).filter(
    (i) => !byIndex.has(i),
  );
  if (missing.length > 0) {
    throw new MergeError(
      `shard${missing.length > 1 ? "s" : ""} ${missing.map((i) => `${i}/${plan.count}`).join(", ")} missing: the merge would not be the whole run`,
    );
  }
  return plan;
}

interface FoldContext {
  position(scenario: string): number;
  targeted(scenario: string, clause: ClauseId): boolean;
}

/** One engine's parts, one per shard that ran some of its scenarios. */
function mergeEngine(parts: readonly EngineReport[], context: FoldContext): EngineReport {
  const loaded = parts.find((p) => !p.failure);
  const failed = parts.find((p) => p.failure);
  const scenarios = parts
    .flatMap((p) => p.scenarios)
    .sort((a, b) => context.position(a.name) - context.position(b.name));
  const name = (loaded ?? (parts[0] as EngineReport)).name;
  if (failed) return { name, failure: failed.failure as string, clauses: [], scenarios };
  const ids = (parts[0] as EngineReport).clauses.map((c) => c.id);
  const clauses = ids.map((id) =>
    mergeClause(
      parts.map((p) => ({
        clause: p.clauses.find((c) => c.id === id) as ClauseResult,
        last: Math.max(-1, ...p.scenarios.map((s) => context.position(s.name))),
      })),
      context,
    ),
  );
  return { name, clauses, scenarios };
}

function mergeClause(
  parts: readonly { clause: ClauseResult; last: number }[],
  context: FoldContext,
): ClauseResult {
  const broken = parts.filter((p) => p.clause.verdict === "broken").map((p) => p.clause);
  if (broken.length > 0) {
    // The unsharded run keeps the first targeted break, else the first incidental one.
    const rank = (c: ClauseResult) => {
      const scenario = c.witness?.scenario ?? "";
      return [context.targeted(scenario, c.id) ? 0 : 1, context.position(scenario)] as const;
    };
    const best = broken.reduce((a, b) => {
      const [ta, pa] = rank(a);
      const [tb, pb] = rank(b);
      return tb < ta || (tb === ta && pb < pa) ? b : a;
    });
    return withoutBaselineMarks({ ...best });
  }
  const held = parts.find((p) => p.clause.verdict === "held");
  if (held) return { id: held.clause.id, verdict: "held" };
  // Not checked anywhere: every scenario gave a reason, and the unsharded run keeps the last.
  const last = parts.reduce((a, b) => (b.last > a.last ? b : a));
  return { ...last.clause };
}

/** Drops what a baseline comparison adds, so the merged run is compared afresh. */
function withoutBaselineMarks<T extends ClauseResult | EngineReport>(value: T): T {
  const copy = { ...value } as T & { expected?: boolean; stale?: unknown };
  delete copy.expected;
  delete copy.stale;
  if ("clauses" in copy) {
    (copy as EngineReport).clauses = (copy as EngineReport).clauses.map((c) =>
      withoutBaselineMarks(c),
    );
  }
  return copy;
}
