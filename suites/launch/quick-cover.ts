/**
 * Over the wire, scenarios cost real time: a full check of an engine takes 20-40 s on this
 * machine. `npm test` runs the quick check: short scenarios that together exercise every clause
 * the wire can show but one, on an engine started with a 1 s run timeout and a 1.5 s
 * authentication timeout. `npm run test:wire` (CROSSTALK_FULL_WIRE_CHECK=1) runs every scenario.
 */
import { NOT_FROM_THE_WIRE } from "../../harness/adapters/remote/judge.ts";
import { CLAUSE_IDS, type ClauseId } from "../../harness/contract/index.ts";

export const FULL = process.env.CROSSTALK_FULL_WIRE_CHECK === "1";

/** Clauses a check over the wire can hold. */
export const WIRE_CLAUSES: readonly ClauseId[] = CLAUSE_IDS.filter(
  (id) => !(id in NOT_FROM_THE_WIRE),
);

/** The engine's limits that make timeouts affordable in real time (both engines read these). */
export const QUICK_ENGINE_ENV = {
  CROSSTALK_RUN_TIMEOUT_MS: "1000",
  // Not less: on a loaded machine a client's auth frame can take a few hundred ms to be sent.
  CROSSTALK_AUTH_TIMEOUT_MS: "1500",
};

export interface Cover {
  /** The scenarios to run, or undefined for all of them. */
  scenarios: readonly string[] | undefined;
  /** Wire clauses the cover cannot afford to exercise: not-checked is accepted for them. */
  uncovered: readonly ClauseId[];
  /** The remote checker's real-time budget per scenario. */
  maxScenarioMs: number;
  /** How long the whole check may take before vitest gives up on it. */
  testTimeoutMs: number;
}

export const QUICK_COVER: Cover = {
  scenarios: [
    "ctx-invalid-ids",
    "ctx-unique-run-while-active",
    "ctx-owner-foreign-connection",
    "events-think-and-tools",
    "events-failures-and-cancel",
    "events-timeouts",
    "delivery-two-users-at-once",
    "delivery-resume-after-reconnect",
    "delivery-detach-mid-run",
    "isolation-canaries-side-by-side",
    "per-user-limit-fifo",
    "fairness-start-at-once",
    "cancel-by-other-user",
    "cancel-finished-or-unknown",
    "errors-sanitized-messages",
    "errors-bad-requests",
    "security-unauthenticated-sockets",
    "security-impersonation",
    "security-malformed-frames",
  ],
  // Its scenario (a failing user beside controls, each waiting out timeouts) takes ~30 s.
  uncovered: ["isolation.failure"],
  maxScenarioMs: 10_000,
  testTimeoutMs: 60_000,
};

/** Every scenario, with a budget that lets the longest run. */
// Every scenario in real time, one after the other: minutes, not seconds.
const ALL: Cover = {
  scenarios: undefined,
  uncovered: [],
  maxScenarioMs: 60_000,
  testTimeoutMs: 900_000,
};

export function wireCover(): Cover {
  return FULL ? ALL : QUICK_COVER;
}
