/**
 * `isolated-factory` model (execution_factory): the WebSocket side. One process-wide manager
 * (the shared WebSocketManager, ../legacy-shared/connections.ts) owns the connections and routes
 * by user; the factory makes one StandardWebSocketBridge per request, bound to that request's
 * context, and every event the engine of that request sends goes out stamped with the ids the
 * bridge was bound to.
 */
import type {
  AgentErrorReason,
  EventType,
  JsonValue,
  PayloadByType,
  UserExecutionContext,
} from "../../harness/contract/index.ts";
import type { WebSocketManager } from "../legacy-shared/connections.ts";
import { makeEvent } from "../legacy-shared/events.ts";
import { inputSummary, jsonCopy } from "../legacy-shared/json.ts";

/** The ids a bridge stamps on every event: those of the request it was made for. */
interface BoundIds {
  readonly userId: string;
  readonly threadId: string;
  readonly runId: string;
  readonly requestId: string;
}

/**
 * One per request (create_standard_websocket_bridge(user_context)). The run_id the engine
 * passes to each notify call is its own made-up id; the event carries the bridge's binding.
 */
export class StandardWebSocketBridge {
  readonly bound: BoundIds;
  #seq = 0;
  #closed = false;

  constructor(
    context: UserExecutionContext,
    private readonly manager: WebSocketManager,
    private readonly now: () => number,
    private readonly maxEventBytes: number,
  ) {
    const { userId, threadId, runId, requestId } = context;
    this.bound = { userId, threadId, runId, requestId };
  }

  notifyAgentStarted(agentName: string, _runId: string, input: JsonValue): void {
    this.#emit("agent_started", agentName, { input: inputSummary(input) });
  }

  notifyToolExecuting(
    agentName: string,
    _runId: string,
    toolCallId: string,
    toolName: string,
    parameters: JsonValue,
  ): void {
    this.#emit("tool_executing", agentName, {
      toolCallId,
      toolName,
      parameters: jsonCopy(parameters),
    });
  }

  notifyToolCompleted(
    agentName: string,
    _runId: string,
    payload: PayloadByType["tool_completed"],
  ): void {
    this.#emit("tool_completed", agentName, payload);
  }

  notifyAgentCompleted(agentName: string, _runId: string, result: JsonValue): void {
    this.#emit("agent_completed", agentName, { status: "completed", result });
  }

  notifyAgentError(
    agentName: string,
    _runId: string,
    error: string,
    reason: AgentErrorReason = "error",
  ): void {
    this.#emit("agent_error", agentName, { reason, message: error });
  }

  cleanup(): void {
    this.#closed = true;
  }

  #emit<T extends EventType>(type: T, agentName: string, payload: PayloadByType[T]): void {
    if (this.#closed) return; // the original logged "bridge closed" and dropped the event
    this.#seq += 1;
    const { userId, threadId, runId } = this.bound;
    const ids = { runId, threadId, userId, agentName };
    const event = makeEvent(ids, this.#seq, this.now(), type, payload, this.maxEventBytes);
    this.manager.sendToUser(userId, event);
  }
}
