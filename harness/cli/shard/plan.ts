/**
 * `--shard i/n`: which part of a run one machine does. The unit of work is one contract scenario
 * on one engine (a scenario checks many clauses at once, so splitting by clause would repeat
 * it). Units are dealt round-robin in the run's own order (engines as listed, scenarios in
 * catalogue order), so every machine computes the same split from the same command line, and
 * each engine's slow scenarios spread over the machines. The plan travels in each shard's
 * results.json, so `crosstalk report --merge` can check the shards belong together.
 */
import { z } from "zod";
import type { Transport } from "../../conformance/catalogue.ts";

export interface Shard {
  /** 1-based. */
  index: number;
  count: number;
}

/** Parses "2/3"; throws a message for the user otherwise. */
export function parseShard(text: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!match) throw new Error(`--shard takes i/n, such as 1/3 (got "${text}")`);
  const index = Number(match[1]);
  const count = Number(match[2]);
  if (count < 1) throw new Error(`--shard ${text}: the number of shards must be at least 1`);
  if (index < 1 || index > count) {
    throw new Error(`--shard ${text}: the shard must be between 1 and ${count}`);
  }
  return { index, count };
}

/** What every shard of one run must agree on, and which shard this document is. */
export const shardPlanSchema = z.object({
  index: z.number().int().positive(),
  count: z.number().int().positive(),
  /** Every engine of the run, as named on the command line, in order. */
  engines: z.array(z.string()),
  /** Every scenario of the run, in catalogue order. */
  scenarios: z.array(z.string()),
  transport: z.enum(["memory", "ws"]),
  seed: z.string(),
  /** How each engine report of this document was named on the command line (same order). */
  specs: z.array(z.string()),
});

export type ShardPlan = z.infer<typeof shardPlanSchema>;

export interface RunShape {
  engines: readonly string[];
  scenarios: readonly string[];
  transport: Transport;
  seed: string;
}

/** The scenarios each engine runs in this shard (engines with none are left out). */
export function shardUnits(shape: RunShape, shard: Shard): Map<string, string[]> {
  const units = new Map<string, string[]>();
  let unit = 0;
  for (const engine of shape.engines) {
    for (const scenario of shape.scenarios) {
      if (unit++ % shard.count !== shard.index - 1) continue;
      const list = units.get(engine) ?? [];
      list.push(scenario);
      units.set(engine, list);
    }
  }
  return units;
}

export function shardPlan(shape: RunShape, shard: Shard, specs: readonly string[]): ShardPlan {
  return {
    index: shard.index,
    count: shard.count,
    engines: [...shape.engines],
    scenarios: [...shape.scenarios],
    transport: shape.transport,
    seed: shape.seed,
    specs: [...specs],
  };
}
