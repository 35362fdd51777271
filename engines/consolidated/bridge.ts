/**
 * `consolidated` model (execution_engine_consolidated): the process-wide WebSocket bridge its
 * WebSocket extension sends through. It routes an event by the userId of the run it belongs to,
 * to every connection of that user, and keeps what a user without a connection missed. Its
 * delivery is sound: the original's defects are in the engine and its extensions.
 */
import type { AgentEvent, Connection } from "../../harness/contract/index.ts";

export class AgentWebSocketBridge {
  readonly #connections = new Map<string, Connection>();
  readonly #buffers = new Map<string, AgentEvent[]>();

  constructor(private readonly bufferPerUser: number) {}

  attach(connection: Connection): void {
    this.#connections.delete(connection.id);
    this.#connections.set(connection.id, connection);
    const missed = this.#buffers.get(connection.userId);
    if (!missed) return;
    this.#buffers.delete(connection.userId);
    for (const event of missed) deliver(connection, { ...event, replayed: true });
  }

  detach(connectionId: string): void {
    this.#connections.delete(connectionId);
  }

  ownerOf(connectionId: string): string | undefined {
    return this.#connections.get(connectionId)?.userId;
  }

  hasConnections(userId: string): boolean {
    for (const connection of this.#connections.values()) {
      if (connection.userId === userId) return true;
    }
    return false;
  }

  /** Sends a copy of `event` to each connection of its user, or keeps it for their next attach. */
  notify(event: AgentEvent): void {
    const targets = [...this.#connections.values()].filter((c) => c.userId === event.userId);
    if (targets.length > 0) {
      for (const connection of targets) deliver(connection, event);
      return;
    }
    if (this.bufferPerUser <= 0) return;
    const buffer = this.#buffers.get(event.userId) ?? [];
    buffer.push(structuredClone(event));
    if (buffer.length > this.bufferPerUser) buffer.shift();
    this.#buffers.set(event.userId, buffer);
  }

  buffered(userId: string): number {
    return this.#buffers.get(userId)?.length ?? 0;
  }

  bufferedUsers(): string[] {
    return [...this.#buffers.keys()];
  }

  connectedUsers(): string[] {
    return [...new Set([...this.#connections.values()].map((c) => c.userId))];
  }

  closeUser(userId: string): void {
    for (const [id, connection] of this.#connections) {
      if (connection.userId === userId) this.#connections.delete(id);
    }
    this.#buffers.delete(userId);
  }

  closeAll(): void {
    this.#connections.clear();
    this.#buffers.clear();
  }
}

function deliver(connection: Connection, event: AgentEvent): void {
  try {
    connection.send(structuredClone(event));
  } catch {
    // A dead socket: the original logged and went on.
  }
}
