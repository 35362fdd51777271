/**
 * `isolated-factory` model (execution_factory): the WebSocket side. One process-wide manager
 * owns the connections and routes by user; the factory makes one StandardWebSocketBridge per
 * request, bound to that request's context, and every event the engine of that request sends
 * goes out stamped with the ids the bridge was bound to.
 */
import type {
  AgentErrorReason,
  AgentEvent,
  Connection,
  EventType,
  JsonValue,
  PayloadByType,
  UserExecutionContext,
} from "../../harness/contract/index.ts";
import { fitEvent, jsonCopy, within } from "./admission.ts";

/** The process-wide WebSocket manager: connections by user, and what a user missed while away. */
export class UnifiedWebSocketManager {
  readonly #connections = new Map<string, Connection>();
  readonly #missed = new Map<string, AgentEvent[]>();

  constructor(private readonly bufferPerUser: number) {}

  attach(connection: Connection): void {
    this.#connections.delete(connection.id);
    this.#connections.set(connection.id, connection);
    const missed = this.#missed.get(connection.userId);
    if (!missed) return;
    this.#missed.delete(connection.userId);
    for (const event of missed) send(connection, { ...event, replayed: true });
  }

  detach(connectionId: string): void {
    this.#connections.delete(connectionId);
  }

  ownerOf(connectionId: string): string | undefined {
    return this.#connections.get(connectionId)?.userId;
  }

  sendToUser(userId: string, event: AgentEvent): void {
    const targets = [...this.#connections.values()].filter((c) => c.userId === userId);
    for (const connection of targets) send(connection, event);
    if (targets.length > 0 || this.bufferPerUser <= 0) return;
    const missed = this.#missed.get(userId) ?? [];
    missed.push(structuredClone(event));
    if (missed.length > this.bufferPerUser) missed.shift();
    this.#missed.set(userId, missed);
  }

  missedBy(userId: string): number {
    return this.#missed.get(userId)?.length ?? 0;
  }

  users(): string[] {
    const connected = [...this.#connections.values()].map((c) => c.userId);
    return [...new Set([...connected, ...this.#missed.keys()])];
  }

  closeUser(userId: string): void {
    for (const [id, connection] of this.#connections) {
      if (connection.userId === userId) this.#connections.delete(id);
    }
    this.#missed.delete(userId);
  }

  closeAll(): void {
    this.#connections.clear();
    this.#missed.clear();
  }
}

function send(connection: Connection, event: AgentEvent): void {
  try {
    connection.send(structuredClone(event));
  } catch {
    // A dead socket: logged and skipped.
  }
}

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
    private readonly manager: UnifiedWebSocketManager,
    private readonly now: () => number,
    private readonly maxEventBytes: number,
  ) {
    const { userId, threadId, runId, requestId } = context;
    this.bound = { userId, threadId, runId, requestId };
  }

  notifyAgentStarted(agentName: string, _runId: string, input: JsonValue): void {
    this.#emit("agent_started", agentName, { input: within(input, 1024) });
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
    const event = {
      type,
      runId,
      threadId,
      userId,
      agentName,
      seq: this.#seq,
      ts: this.now(),
      payload,
    } as AgentEvent;
    this.manager.sendToUser(userId, fitEvent(event, this.maxEventBytes));
  }
}
