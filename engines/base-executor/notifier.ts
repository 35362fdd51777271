/**
 * Models `base/executor` (see index.ts for the defects it keeps).
 * This file: the delivery side the executor is handed through `context.websocket_manager`: the
 * process's WebSocket manager (connections by user, resume buffer) and, per request, a notifier
 * bound by the CALLER to the request's user and run. The executor itself never sees a user;
 * the notifier only sends what it is told to. Nothing here adds a defect: delivery is correct.
 */
import type {
  AgentEvent,
  Clock,
  Connection,
  EventType,
  JsonValue,
  PayloadByType,
} from "../../harness/contract/index.ts";
import { fitPayload } from "./util.ts";

/** Connections by user, with a resume buffer for users who have none attached. */
export class WebSocketManager {
  readonly #byUser = new Map<string, Map<string, Connection>>();
  readonly #owner = new Map<string, string>();
  /** userId → buffered events as JSON text (copies: they keep nothing of a run alive). */
  readonly #buffers = new Map<string, string[]>();

  constructor(private readonly bufferPerUser: number) {}

  attach(connection: Connection): void {
    const { id, userId } = connection;
    this.detach(id);
    let connections = this.#byUser.get(userId);
    if (!connections) {
      connections = new Map();
      this.#byUser.set(userId, connections);
    }
    connections.set(id, connection);
    this.#owner.set(id, userId);
    const buffered = this.#buffers.get(userId);
    if (buffered) {
      this.#buffers.delete(userId);
      for (const text of buffered) {
        const event = JSON.parse(text) as AgentEvent;
        event.replayed = true;
        this.#send(userId, id, connection, event);
      }
    }
  }

  detach(connectionId: string): void {
    const userId = this.#owner.get(connectionId);
    if (userId === undefined) return;
    this.#owner.delete(connectionId);
    const connections = this.#byUser.get(userId);
    connections?.delete(connectionId);
    if (connections && connections.size === 0) this.#byUser.delete(userId);
  }

  ownerOf(connectionId: string): string | undefined {
    return this.#owner.get(connectionId);
  }

  sendToUser(userId: string, event: AgentEvent): void {
    const text = JSON.stringify(event);
    const connections = this.#byUser.get(userId);
    if (connections && connections.size > 0) {
      for (const [id, connection] of [...connections]) {
        this.#send(userId, id, connection, JSON.parse(text) as AgentEvent);
      }
      return;
    }
    if (this.bufferPerUser <= 0) return;
    let buffer = this.#buffers.get(userId);
    if (!buffer) {
      buffer = [];
      this.#buffers.set(userId, buffer);
    }
    buffer.push(text);
    if (buffer.length > this.bufferPerUser) buffer.shift();
  }

  closeUser(userId: string): void {
    for (const id of this.#byUser.get(userId)?.keys() ?? []) this.#owner.delete(id);
    this.#byUser.delete(userId);
    this.#buffers.delete(userId);
  }

  closeAll(): void {
    this.#byUser.clear();
    this.#owner.clear();
    this.#buffers.clear();
  }

  buffered(userId: string): number {
    return this.#buffers.get(userId)?.length ?? 0;
  }

  /** Users the manager holds anything for: connections or buffered events. */
  users(): string[] {
    return [...new Set([...this.#byUser.keys(), ...this.#buffers.keys()])];
  }

  #send(userId: string, id: string, connection: Connection, event: AgentEvent): void {
    try {
      connection.send(event);
    } catch {
      if (this.#owner.get(id) === userId) this.detach(id);
    }
  }
}

/** What the caller binds for one request: who receives, and the run's envelope. */
export interface NotifierBinding {
  readonly userId: string;
  readonly threadId: string;
  readonly runId: string;
  readonly agentName: string;
}

/**
 * `context.websocket_manager` as the executor uses it: send_tool_executing, send_tool_completed,
 * send_agent_error (and the agent's own status updates). It numbers the events it sends.
 */
export class RunNotifier {
  #seq = 0;

  constructor(
    private readonly binding: NotifierBinding,
    private readonly manager: WebSocketManager,
    private readonly clock: Clock,
    private readonly maxEventBytes: number,
  ) {}

  sendAgentThinking(reasoning: string, step: number): void {
    this.#send("agent_thinking", { reasoning, step });
  }

  sendToolExecuting(toolCallId: string, toolName: string, parameters: JsonValue): void {
    this.#send("tool_executing", { toolCallId, toolName, parameters });
  }

  sendToolCompleted(toolCallId: string, toolName: string, result: JsonValue, durationMs: number) {
    this.#send("tool_completed", { toolCallId, toolName, status: "success", result, durationMs });
  }

  sendAgentError(message: string): void {
    this.#send("agent_error", { reason: "error", message });
  }

  #send<T extends EventType>(type: T, payload: PayloadByType[T]): void {
    const { userId, threadId, runId, agentName } = this.binding;
    this.#seq += 1;
    const event = {
      type,
      runId,
      threadId,
      userId,
      agentName,
      seq: this.#seq,
      ts: this.clock.now(),
      payload: fitPayload(payload, this.maxEventBytes),
    } as AgentEvent;
    this.manager.sendToUser(userId, event);
  }
}
