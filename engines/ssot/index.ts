/** The reference engine (`ssot`): it holds every clause of CONTRACT.md. See README.md. */
import type { Engine, EngineDeps, EngineModule } from "../../harness/contract/index.ts";
import { SsotEngine } from "./engine.ts";

export function create(deps: EngineDeps): Engine {
  return new SsotEngine(deps);
}

export const engine: EngineModule = { name: "ssot", create };

export default engine;
