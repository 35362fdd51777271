/**
 * mcp — a faithful model of the tool-protocol engine `mcp_execution_engine` (LEGACY.md §4), built
 * as a subclass of legacy-global's ExecutionEngine (../legacy-global). One `create()` is one
 * backend process: the shared engine is set up once in it, and an MCP engine per request. Defects
 * it keeps (details in engine.ts):
 * - a subclass that skips the parent's set-up, so it carries the shared engine's global semaphore and global callbacks
 * - its tool path calls a notifier that was never set: tools run, no tool_executing / tool_completed
 * - its direct tool-protocol path (metadata.current_request with an MCP intent) sends no agent_started or agent_completed
 * - its timeout callback sends agent_error without a run id
 * - it writes into the caller's context metadata (mcp_tool_result)
 * Its correct, non-defect plumbing is legacy-global's and the legacy models' shared ../legacy-shared.
 */
import type { EngineDeps, EngineModule } from "../../harness/contract/index.ts";
import { LegacyProcess } from "../legacy-global/index.ts";
import { McpBackend } from "./engine.ts";

export { McpBackend, McpExecutionEngine } from "./engine.ts";

export function create(deps: EngineDeps): McpBackend {
  return new McpBackend(new LegacyProcess(deps));
}

const mcp: EngineModule = { name: "mcp", models: "mcp_execution_engine", create };

export default mcp;
