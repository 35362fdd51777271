/** Every hand-written contract scenario, in clause-family order. */

import { backendShapeScenarios } from "./scenarios/backend-shapes.ts";
import { cancelScenarios } from "./scenarios/cancel.ts";
import { cleanupScenarios } from "./scenarios/cleanup.ts";
import { concurrencyScenarios } from "./scenarios/concurrency.ts";
import { ctxScenarios } from "./scenarios/ctx.ts";
import { deliveryScenarios } from "./scenarios/delivery.ts";
import { errorsScenarios } from "./scenarios/errors.ts";
import { eventsScenarios } from "./scenarios/events.ts";
import { isolationScenarios } from "./scenarios/isolation.ts";
import { securityScenarios } from "./scenarios/security.ts";
import { timeScenarios } from "./scenarios/time.ts";
import type { ConformanceScenario } from "./types.ts";

export const CONFORMANCE_SCENARIOS: readonly ConformanceScenario[] = [
  ...ctxScenarios,
  ...eventsScenarios,
  ...deliveryScenarios,
  ...isolationScenarios,
  ...concurrencyScenarios,
  ...timeScenarios,
  ...cancelScenarios,
  ...cleanupScenarios,
  ...errorsScenarios,
  ...backendShapeScenarios,
];

export function findScenario(name: string): ConformanceScenario | undefined {
  return CONFORMANCE_SCENARIOS.find((s) => s.scenario.name === name);
}

/** How the harness reaches the engine: in process, or over real WebSockets (`--transport ws`). */
export type Transport = "memory" | "ws";
export const TRANSPORTS: readonly Transport[] = ["memory", "ws"];

/** Scenarios that need a wire (the security clauses): run only with `--transport ws`. */
export const WIRE_SCENARIOS: readonly ConformanceScenario[] = securityScenarios;

/** Every scenario a transport runs. */
export function scenariosFor(transport: Transport): readonly ConformanceScenario[] {
  return transport === "ws" ? [...CONFORMANCE_SCENARIOS, ...WIRE_SCENARIOS] : CONFORMANCE_SCENARIOS;
}
