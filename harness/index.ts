/** crosstalk's public API: run scenarios, check histories and engines, read baselines. */

export { loadEngine } from "./adapters/load.ts";
export { checkHistory } from "./checkers/index.ts";
export type { Verdict, Witness } from "./checkers/verdict.ts";
export * from "./conformance/baseline.ts";
export { scenario } from "./conformance/build.ts";
export { CONFORMANCE_SCENARIOS } from "./conformance/catalogue.ts";
export * from "./conformance/check-engine.ts";
export * from "./contract/index.ts";
export type { History } from "./run/history.ts";
export { type RunOptions, runScenario } from "./run/runner.ts";
export type { Scenario } from "./run/scenario.ts";
