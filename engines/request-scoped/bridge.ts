/**
 * Models `request_scoped_execution_engine` (see index.ts for the defects it keeps).
 * This file: the PROCESS-WIDE pieces every per-request engine emits through, as in the
 * original (`AgentWebSocketBridge`, its `ThreadRunRegistry`, and the WebSocket manager).
 *
 * Defects kept here (from LEGACY.md §3):
 * - the run → thread registry is global; a new registration silently overwrites an old one
 *   (no user in the key, no check);
 * - when a run id is unknown to the registry, the thread is parsed out of the run id string
 *   ("thread_<t>_run_<…>", or a run id that is itself "thread_<t>") and written back into it;
 * - delivery goes to the thread's user as the registry last recorded it (the bridge is handed
 *   only a run id, so the envelope's threadId and userId are whatever the registry says).
 * The WebSocket manager itself (fan-out, resume buffer) behaves correctly.
 */
import type {
  AgentEvent,
  Clock,
  Connection,
  EventType,
  PayloadByType,
} from "../../harness/contract/index.ts";
import { fitPayload } from "./util.ts";

/** The original's `ThreadRunRegistry`: run → thread, and the thread's user, with no user key. */
export class ThreadRunRegistry {
  readonly #runToThread = new Map<string, string>();
  readonly #threadToUser = new Map<string, string>();

  /** Last write wins, silently: the original logs nothing when a mapping is replaced. */
  register(runId: string, threadId: string, userId?: string): void {
    this.#runToThread.set(runId, threadId);
    if (userId !== undefined) this.#threadToUser.set(threadId, userId);
  }

  getThread(runId: string): string | undefined {
    return this.#runToThread.get(runId);
  }

  userOfThread(threadId: string): string | undefined {
    return this.#threadToUser.get(threadId);
  }

  unregister(runId: string): void {
    this.#runToThread.delete(runId);
  }

  /** closeUser: forget the threads last recorded for this user. */
  forgetUser(userId: string): void {
    for (const [threadId, owner] of this.#threadToUser) {
      if (owner === userId) this.#threadToUser.delete(threadId);
    }
  }
}

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

  /** Send to every connection of `userId`, or keep the newest `bufferPerUser` events for later. */
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

  bufferedUsers(): string[] {
    return [...this.#buffers.keys()];
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

/** The original's `AgentWebSocketBridge`: emits by run id only, resolving the destination itself. */
export class AgentWebSocketBridge {
  constructor(
    private readonly registry: ThreadRunRegistry,
    private readonly manager: WebSocketManager,
    private readonly clock: Clock,
    private readonly maxEventBytes: number,
  ) {}

  /** notify_*: returns false when the thread (or its user) cannot be resolved: the event is lost. */
  notify<T extends EventType>(
    runId: string,
    agentName: string,
    type: T,
    payload: PayloadByType[T],
    seq: number,
  ): boolean {
    const threadId = this.resolveThreadIdFromRunId(runId);
    if (threadId === undefined) return false; // "EMISSION FAILED: cannot resolve thread_id"
    const userId = this.registry.userOfThread(threadId);
    if (userId === undefined) return false; // send_to_thread: nobody holds this thread
    const event = {
      type,
      runId,
      threadId,
      userId,
      agentName,
      seq,
      ts: this.clock.now(),
      payload: this.#fitted(payload),
    } as AgentEvent;
    this.manager.sendToUser(userId, event);
    return true;
  }

  /** Priority 1: the registry. Priority 4: parse the run id, and back-fill the registry. */
  resolveThreadIdFromRunId(runId: string): string | undefined {
    const registered = this.registry.getThread(runId);
    if (registered) return registered;
    const extracted = extractThreadFromRunId(runId);
    if (extracted === undefined) return undefined;
    this.registry.register(runId, extracted); // "BACKFILL: registered pattern-extracted mapping"
    return extracted;
  }

  /** Large payload fields are cut so that every event fits maxEventBytes (not a legacy defect). */
  #fitted<T extends EventType>(payload: PayloadByType[T]): PayloadByType[T] {
    return fitPayload(payload, this.maxEventBytes);
  }
}

const VALID_THREAD = /^thread_[A-Za-z0-9_]+$/;

/** `_extract_thread_from_standardized_run_id`: "thread_<t>_run_<…>" → "thread_<t>"; "thread_<t>" → itself. */
export function extractThreadFromRunId(runId: string): string | undefined {
  const id = runId.trim();
  if (id.startsWith("thread_") && !id.includes("_run_")) {
    return isValidThreadFormat(id) ? id : undefined;
  }
  const canonical = /^thread_(.+?)_run_/.exec(id);
  if (canonical?.[1]) {
    const thread = `thread_${canonical[1]}`;
    return isValidThreadFormat(thread) ? thread : undefined;
  }
  return undefined;
}

function isValidThreadFormat(threadId: string): boolean {
  return VALID_THREAD.test(threadId) && !threadId.endsWith("_") && !threadId.includes("__");
}
