/**
 * Replay tokens: everything a witness needs to be replayed, on any machine, in one line. A
 * token is `ct1.` and the base64url of the deflated JSON of a WitnessSpec. It holds the engine
 * as a bundled name or a relative path, the shrunk scenario itself (so it does not depend on the
 * generator's version), the schedule's non-FIFO picks, and, for the record, the strategy, seed
 * and fast-check path that found it, and `transport: "ws"` when it was found over WebSockets
 * (absent: in process). Nothing in it is a wall-clock time or an absolute path.
 */
import { deflateRawSync, inflateRawSync } from "node:zlib";
import { TRANSPORTS, type Transport } from "../conformance/catalogue.ts";
import { isClauseId } from "../contract/index.ts";
import type { Scenario } from "../run/scenario.ts";
import { isStrategyName, type StrategyName } from "../schedule/strategies.ts";
import { DIFFERENTIAL, ENGINE_FAILURE, type FindingKey } from "./trial.ts";

export const TOKEN_PREFIX = "ct1.";

export interface WitnessSpec {
  /** Format version. */
  v: 1;
  engine: string;
  clause: FindingKey;
  strategy: StrategyName;
  seed: number;
  /** fast-check's path of the (unshrunk-schedule) counterexample, for the record. */
  path: string;
  scenario: Scenario;
  retention: boolean;
  /** Non-zero timer picks as [choice number, index] (see schedule/replay.ts). */
  picks: [number, number][];
  /** witnessDigest of the witness when it was found: a replay must give the same. */
  digest: string;
  /** Found over real WebSockets, and replayed over them; absent for the in-process runner. */
  transport?: Transport;
}

export class TokenError extends Error {
  override name = "TokenError";
}

export function encodeToken(spec: WitnessSpec): string {
  const json = JSON.stringify(spec);
  return (
    TOKEN_PREFIX + deflateRawSync(Buffer.from(json, "utf8"), { level: 9 }).toString("base64url")
  );
}

export function looksLikeToken(text: string): boolean {
  return text.startsWith(TOKEN_PREFIX);
}

export function decodeToken(token: string): WitnessSpec {
  if (!looksLikeToken(token)) throw new TokenError(`a replay token starts with "${TOKEN_PREFIX}"`);
  let data: unknown;
  try {
    const bytes = inflateRawSync(Buffer.from(token.slice(TOKEN_PREFIX.length), "base64url"));
    data = JSON.parse(bytes.toString("utf8"));
  } catch (error) {
    throw new TokenError(`the replay token is damaged: ${(error as Error).message}`);
  }
  return validateSpec(data);
}

/** Checks the shape of a spec read from a token or a witness file. */
export function validateSpec(data: unknown): WitnessSpec {
  const spec = data as Partial<WitnessSpec> | null;
  const fail = (what: string): never => {
    throw new TokenError(`the witness is not valid: ${what}`);
  };
  if (typeof spec !== "object" || spec === null) return fail("not an object");
  if (spec.v !== 1) fail(`unknown version ${String(spec.v)}`);
  if (typeof spec.engine !== "string" || spec.engine === "") fail("no engine");
  const clause = spec.clause;
  if (
    typeof clause !== "string" ||
    !(isClauseId(clause) || clause === DIFFERENTIAL || clause === ENGINE_FAILURE)
  ) {
    fail(`unknown clause ${String(clause)}`);
  }
  if (typeof spec.strategy !== "string" || !isStrategyName(spec.strategy)) fail("unknown strategy");
  const scenario = spec.scenario as Scenario | undefined;
  if (!scenario || !Array.isArray(scenario.users) || !Array.isArray(scenario.ops)) {
    fail("no scenario");
  }
  const picks = spec.picks;
  if (
    !Array.isArray(picks) ||
    !picks.every(
      (p) => Array.isArray(p) && p.length === 2 && p.every((n) => Number.isInteger(n) && n >= 0),
    )
  ) {
    fail("picks must be [choice, index] pairs of non-negative integers");
  }
  if (typeof spec.digest !== "string") fail("no digest");
  if (spec.transport !== undefined && !TRANSPORTS.includes(spec.transport)) {
    fail(`unknown transport ${String(spec.transport)}`);
  }
  return spec as WitnessSpec;
}
