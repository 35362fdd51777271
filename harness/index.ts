/** crosstalk's public API: run scenarios, check histories and engines, read baselines. */

export { loadEngine } from "./adapters/load.ts";
export { checkHistory } from "./checkers/index.ts";
export type { Verdict, Witness } from "./checkers/verdict.ts";
export { type CrosstalkConfig, defineConfig } from "./cli/config/define.ts";
export * from "./conformance/baseline.ts";
export { scenario } from "./conformance/build.ts";
export { CONFORMANCE_SCENARIOS } from "./conformance/catalogue.ts";
export * from "./conformance/check-engine.ts";
export * from "./contract/index.ts";
export { type GrowthOptions, type GrowthReport, measureGrowth } from "./memory/growth.ts";
export type { History, RetainedObject, RetentionReport } from "./run/history.ts";
export { type RunOptions, runScenario } from "./run/runner.ts";
export type { Scenario } from "./run/scenario.ts";
export { runScenarioWs, type WsRunOptions } from "./run/ws-runner.ts";
export { type CloseInfo, type ReceivedFrame, SimSocket, SimUser } from "./transport/client.ts";
export { Gateway, type GatewayOptions, type GatewayTap } from "./transport/gateway.ts";
export { type Served, type ServeOptions, serveEngine } from "./transport/serve.ts";
export { mintToken, verifyToken } from "./transport/token.ts";
export type { WireLog, WireScenario } from "./transport/wire-log.ts";
