// legacy-shared: the legacy models' common, correct plumbing, not part of any model's defects.
// This file: the WebSocket manager: connections by user, fan-out, and a resume buffer per user.
// It imports only the contract; whom a model addresses an event to is the model's own business.
import type { AgentEvent, Connection } from "../../harness/contract/index.ts";

/** Connections by user, with a resume buffer for users who have none attached. */
export class WebSocketManager {
  readonly #byUser = new Map<string, Map<string, Connection>>();
  readonly #owner = new Map<string, string>();
  /** userId → buffered events as JSON text (copies: they keep nothing of a run alive). */
  readonly #buffers = new Map<string, string[]>();

  constructor(private readonly bufferPerUser: number) {}

  /** Adds the connection (replacing one of the same id) and replays what its user missed. */
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

  /** A copy to every connection of `userId`, or kept (the newest `bufferPerUser`) for later. */
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

  /** Users with buffered events. */
  bufferedUsers(): string[] {
    return [...this.#buffers.keys()];
  }

  /** Users the manager holds anything for: connections or buffered events. */
  users(): string[] {
    return [...new Set([...this.#byUser.keys(), ...this.#buffers.keys()])];
  }

  #send(userId: string, id: string, connection: Connection, event: AgentEvent): void {
    try {
      connection.send(event);
    } catch {
      // A connection whose send throws is dead: drop it; the run goes on.
      if (this.#owner.get(id) === userId) this.detach(id);
    }
  }
}
