/**
 * Models `request_scoped_execution_engine` (see index.ts for the defects it keeps).
 * This file: the PROCESS-WIDE pieces every per-request engine emits through, as in the
 * original (`AgentWebSocketBridge` and its `ThreadRunRegistry`; the WebSocket manager they send
 * through is the shared one, ../legacy-shared/connections.ts).
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
import type { Clock, EventType, PayloadByType } from "../../harness/contract/index.ts";
import type { WebSocketManager } from "../legacy-shared/connections.ts";
import { makeEvent } from "../legacy-shared/events.ts";

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
    const ids = { runId, threadId, userId, agentName };
    const event = makeEvent(ids, seq, this.clock.now(), type, payload, this.maxEventBytes);
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
