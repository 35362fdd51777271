/**
 * legacy-global — a faithful model of the deprecated shared engine `execution_engine`
 * (LEGACY.md §2). One `create()` is one backend process (LegacyProcess); inside it the shared
 * instance is made once, and a new ExecutionEngine instance per request. Defects it keeps:
 * - one instance serves all users: shared active-run map, run history (keeps each output) and stats
 * - one global semaphore of 10 instead of a per-user limit
 * - a response cache keyed by agent name + input, without the user, kept 300 s
 * - every instance registers death/timeout callbacks on the process tracker and never removes
 *   them: each reports every user's timed-out run through its own emitter, and keeps old
 *   instances (and their contexts) alive
 * - on timeout it sends agent_error and then agent_completed as well
 * - a retry re-runs the agent while still holding its semaphore slot, emitting agent_started again
 * - when the per-user path refuses a request (limit reached) it silently falls back to the shared path
 * Its correct, non-defect plumbing (admission, JSON copies, event sizes, the WebSocket manager, the
 * semaphore, stats sums) is the legacy models' shared code in ../legacy-shared.
 */
import type { EngineDeps, EngineModule } from "../../harness/contract/index.ts";
import { LegacyBackend } from "./backend.ts";
import { LegacyProcess } from "./process.ts";

export { LegacyBackend } from "./backend.ts";
export { ExecutionEngine, LegacyRun, type Outcome, type ToolNotifier } from "./execution-engine.ts";
export * from "./process.ts";

export function create(deps: EngineDeps): LegacyBackend {
  return new LegacyBackend(new LegacyProcess(deps));
}

const legacyGlobal: EngineModule = {
  name: "legacy-global",
  models: "execution_engine",
  create,
};

export default legacyGlobal;
