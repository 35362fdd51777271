/** Canaries: a unique secret per user, derived from the seed so a replay plants the same ones. */
import { createHash } from "node:crypto";
import type { JsonValue } from "../contract/index.ts";
import type { Scenario } from "../run/scenario.ts";

export const CANARY_PREFIX = "CANARY_";

export function canaryFor(seed: string | number, userId: string): string {
  const digest = createHash("sha256").update(`${seed}\u0000${userId}`).digest("hex");
  return `${CANARY_PREFIX}${digest.slice(0, 16)}`;
}

export function canariesFor(seed: string | number, users: readonly string[]): Map<string, string> {
  return new Map(users.map((userId) => [userId, canaryFor(seed, userId)]));
}

/** Stands in a scenario's inputs for "this user's canary"; planted when the scenario runs. */
export const CANARY_SLOT = "$canary";

/** Replaces every CANARY_SLOT string in execute inputs with the executing user's canary. */
export function plantCanaries(source: Scenario, canaries: ReadonlyMap<string, string>): Scenario {
  const planted = structuredClone(source);
  for (const op of planted.ops) {
    if (op.op !== "execute") continue;
    const canary = canaries.get(op.context.userId) ?? "";
    op.request = { ...op.request, input: replaceSlot(op.request.input, canary) };
  }
  return planted;
}

function replaceSlot(value: JsonValue, canary: string): JsonValue {
  if (value === CANARY_SLOT) return canary;
  if (Array.isArray(value)) return value.map((v) => replaceSlot(v, canary));
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replaceSlot(v, canary)]));
  }
  return value;
}
