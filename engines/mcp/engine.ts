/**
 * mcp — models `MCPEnhancedExecutionEngine` of the original `mcp_execution_engine`: a subclass
 * of the shared engine (legacy-global's ExecutionEngine), made per request by a factory that
 * creates the instance without the parent's set-up (`cls.__new__(cls)`), then sets a few
 * attributes by hand. Defects it keeps:
 * - the parent's set-up is skipped, so it carries the shared engine's global semaphore (10, for
 *   everyone) and global callbacks (its own and the shared engine's, on the process tracker,
 *   never removed, keeping every instance and its context and run history alive)
 * - its tool path calls a notifier that was never set: tools run, no tool_executing/tool_completed
 * - its direct tool-protocol path (a request routed to MCP) sends no agent_started or agent_completed
 * - its timeout callback sends agent_error without a run id (to the user its instance was made for)
 * - it writes into the caller's context metadata (`metadata.mcp_tool_result`)
 * Like the original (`super().execute_agent`), its standard path is the parent's code, so it also
 * shows the parent's retry (agent_started again) and timeout (agent_error + agent_completed).
 */
import type {
  ExecuteRequest,
  JsonValue,
  RunResult,
  UserExecutionContext,
} from "../../harness/contract/index.ts";
import {
  type Emitter,
  ExecutionEngine,
  type ExecutionRecord,
  LegacyBackend,
  type LegacyProcess,
  LegacyRun,
  RunState,
  UserEmitter,
} from "../legacy-global/index.ts";
import { errorMessage } from "../legacy-shared/errors.ts";
import { jsonCopy } from "../legacy-shared/json.ts";
import { analyzeRequest, type RoutingInfo, shouldUseMcp } from "./intent.ts";

export class McpExecutionEngine extends ExecutionEngine {
  /**
   * `_init_from_factory`: the instance is made without the parent's set-up. It sets its emitter,
   * user context and its own active_runs/run_history by hand, and registers its own copies of the
   * death/timeout callbacks on the global tracker. The tool notifier, the response cache and the
   * per-user path are never set; the semaphore it runs under is the class-level global one.
   */
  static fromFactory(
    process: LegacyProcess,
    emitter: Emitter,
    userContext: UserExecutionContext,
  ): McpExecutionEngine {
    const instance = new McpExecutionEngine(process);
    instance.emitter = emitter;
    instance.userContext = userContext;
    instance.state = new RunState();
    process.tracker.registerDeathCallback((record) => instance.handleAgentDeath(record));
    process.tracker.registerTimeoutCallback((record) => instance.handleAgentTimeout(record));
    return instance;
  }

  /** `execute_agent`: a request with an MCP intent goes the direct tool-protocol path. */
  override async executeAgent(
    context: UserExecutionContext,
    request: ExecuteRequest,
  ): Promise<RunResult> {
    const routing = analyzeRequest(context.metadata);
    if (shouldUseMcp(routing) && routing.serverName && routing.toolName) {
      try {
        return await this.executeMcpTool(context, request, routing);
      } catch {
        // _handle_mcp_execution_error: fall back to standard execution.
      }
    }
    return super.executeAgent(context, request);
  }

  /** `_execute_mcp_tool`: the tool, called directly: no semaphore, no timeout, no lifecycle events. */
  protected async executeMcpTool(
    context: UserExecutionContext,
    request: ExecuteRequest,
    routing: RoutingInfo,
  ): Promise<RunResult> {
    const run = new LegacyRun(context, request);
    const toolName = routing.toolName ?? "";
    const toolCallId = `${context.runId}:mcp-${toolName}`;
    const args = (context.metadata.tool_arguments ?? {}) as JsonValue;
    try {
      // _notify_tool_execution: the notifier the skipped set-up would have made.
      this.notifier?.toolExecuting(run, { toolCallId, toolName, parameters: args });
      const tool = this.process.deps.tools.get(toolName);
      if (!tool) throw new Error(`tool ${toolName} not found on server ${routing.serverName}`);
      const startedAt = this.process.clock.now();
      const value = await tool.call(args, {
        context,
        signal: new AbortController().signal,
        toolCallId,
      });
      this.notifier?.toolCompleted(run, {
        toolCallId,
        toolName,
        status: "success",
        result: value,
        durationMs: this.process.clock.now() - startedAt,
      });
      // _create_mcp_success_result: the result goes into the caller's own metadata.
      context.metadata.mcp_tool_result = value;
      return {
        runId: context.runId,
        status: "completed",
        output: { execution_type: "mcp", mcp_result: jsonCopy(value) },
      };
    } catch (error) {
      return {
        runId: context.runId,
        status: "error",
        error: { code: "error", message: `MCP execution failed: ${errorMessage(error, "error")}` },
      };
    } finally {
      run.context = undefined;
      run.input = undefined;
    }
  }

  /** The copied `_handle_agent_timeout`: notify_agent_error(agent_name, message, execution_id), no run id. */
  protected override handleAgentTimeout(record: ExecutionRecord): void {
    this.emitWithoutRun(record, "Agent execution timed out");
  }

  /** The copied `_handle_agent_death`, also without a run id (fires only on a missed heartbeat). */
  protected override handleAgentDeath(record: ExecutionRecord): void {
    this.emitWithoutRun(record, "Agent execution died unexpectedly");
  }

  private emitWithoutRun(record: ExecutionRecord, message: string): void {
    const event = {
      type: "agent_error",
      agentName: record.run.agentName,
      ts: this.process.clock.now(),
      payload: { reason: "timeout", message, execution_id: record.executionId },
    };
    this.emitter?.emit(event as unknown as Parameters<Emitter["emit"]>[0]);
  }
}

/** The service around it: a new MCP engine per request, bound to the request's user. */
export class McpBackend extends LegacyBackend {
  protected override createRequestEngine(context: UserExecutionContext): ExecutionEngine {
    return McpExecutionEngine.fromFactory(
      this.process,
      new UserEmitter(this.process.bridge, context.userId),
      context,
    );
  }
}
