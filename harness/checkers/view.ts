/**
 * Indexes a history for checkers: runs by id with their owner and result, what each
 * connection received, and who owned which connection. Built once per history, shared by all
 * checkers, and, like them, free of side effects.
 */
import type { ExecuteRequest, JsonValue } from "../contract/index.ts";
import type {
  CallEntry,
  DeliveryEntry,
  History,
  HistoryEntry,
  ReturnEntry,
  RuntimeEntry,
} from "../run/history.ts";
import type { ScenarioContext } from "../run/scenario.ts";

/** A delivery whose frame is an object with the envelope's basic shape. */
export interface EventDelivery extends DeliveryEntry {
  event: {
    type: string;
    runId: string;
    threadId: unknown;
    userId: unknown;
    agentName: unknown;
    seq: unknown;
    ts: unknown;
    payload: unknown;
    replayed?: unknown;
  };
}

/** One execute the harness issued, with what came back and what was delivered for its runId. */
export interface RunView {
  runId: string;
  userId: string;
  context: ScenarioContext;
  request: ExecuteRequest;
  call: CallEntry;
  ret?: ReturnEntry;
  /** The execute's resolved value, when it resolved to an object. */
  result?: { runId?: unknown; status?: unknown; output?: JsonValue; error?: unknown };
  /** Deliveries carrying this runId, on any connection, in history order. */
  deliveries: EventDelivery[];
}

export interface ConnectionView {
  connectionId: string;
  userId: string;
  /** Index of the attach call; detachIndex when detached (by detach, closeUser or shutdown). */
  attachIndex: number;
  detachIndex?: number;
}

export interface HistoryView {
  history: History;
  calls: Map<number, CallEntry>;
  returns: Map<number, ReturnEntry>;
  /** Execute calls by runId, in order (more than one when a runId was reused). */
  executes: Map<string, RunView[]>;
  /** All execute calls in order. */
  runs: RunView[];
  deliveries: DeliveryEntry[];
  events: EventDelivery[];
  /** Deliveries whose frame was not an event-shaped object. */
  malformed: DeliveryEntry[];
  connections: ConnectionView[];
  runtime: RuntimeEntry[];
  /** userId → canary. */
  canaries: Map<string, string>;
  /** The user whose canary this string contains, if any. */
  canaryOwnerIn(text: string): string[];
}

const viewCache = new WeakMap<History, HistoryView>();

export function viewOf(history: History): HistoryView {
  const cached = viewCache.get(history);
  if (cached) return cached;
  const view = buildView(history);
  viewCache.set(history, view);
  return view;
}

export function isEventDelivery(entry: DeliveryEntry): entry is EventDelivery {
  const e = entry.event as Record<string, unknown> | null;
  return (
    typeof e === "object" &&
    e !== null &&
    !Array.isArray(e) &&
    typeof e.type === "string" &&
    typeof e.runId === "string"
  );
}

function buildView(history: History): HistoryView {
  const calls = new Map<number, CallEntry>();
  const returns = new Map<number, ReturnEntry>();
  const executes = new Map<string, RunView[]>();
  const runs: RunView[] = [];
  const deliveries: DeliveryEntry[] = [];
  const events: EventDelivery[] = [];
  const malformed: DeliveryEntry[] = [];
  const connections: ConnectionView[] = [];
  const openConnections = new Map<string, ConnectionView>();
  const runtime: RuntimeEntry[] = [];

  const closeConnections = (index: number, match: (c: ConnectionView) => boolean) => {
    for (const [id, connection] of openConnections) {
      if (!match(connection)) continue;
      connection.detachIndex = index;
      openConnections.delete(id);
    }
  };

  for (const entry of history.entries as HistoryEntry[]) {
    switch (entry.kind) {
      case "call": {
        calls.set(entry.callId, entry);
        const op = entry.operation;
        if (op.op === "execute") {
          const run: RunView = {
            runId: op.context.runId,
            userId: op.context.userId,
            context: op.context,
            request: op.request,
            call: entry,
            deliveries: [],
          };
          runs.push(run);
          const list = executes.get(run.runId) ?? [];
          list.push(run);
          executes.set(run.runId, list);
        } else if (op.op === "attach") {
          const connection = {
            connectionId: op.connectionId,
            userId: op.userId,
            attachIndex: entry.index,
          };
          connections.push(connection);
          openConnections.set(op.connectionId, connection);
        } else if (op.op === "detach") {
          closeConnections(entry.index, (c) => c.connectionId === op.connectionId);
        } else if (op.op === "closeUser") {
          closeConnections(entry.index, (c) => c.userId === op.userId);
        } else if (op.op === "shutdown") {
          closeConnections(entry.index, () => true);
        }
        break;
      }
      case "return":
        returns.set(entry.callId, entry);
        break;
      case "deliver":
        deliveries.push(entry);
        if (isEventDelivery(entry)) events.push(entry);
        else malformed.push(entry);
        break;
      case "runtime":
        runtime.push(entry);
        break;
      default:
        break;
    }
  }

  for (const run of runs) {
    const ret = returns.get(run.call.callId);
    if (ret) {
      run.ret = ret;
      if (typeof ret.value === "object" && ret.value !== null && !Array.isArray(ret.value)) {
        run.result = ret.value as RunView["result"];
      }
    }
  }
  // A delivery belongs to the latest execute of its runId issued before it.
  for (const delivery of events) {
    const candidates = executes.get(delivery.event.runId);
    if (!candidates) continue;
    let owner: RunView | undefined;
    for (const run of candidates) if (run.call.index < delivery.index) owner = run;
    owner?.deliveries.push(delivery);
  }

  const canaries = new Map(Object.entries(history.canaries));
  const canaryOwnerIn = (text: string) => {
    const owners: string[] = [];
    for (const [userId, canary] of canaries) if (text.includes(canary)) owners.push(userId);
    return owners;
  };

  return {
    history,
    calls,
    returns,
    executes,
    runs,
    deliveries,
    events,
    malformed,
    connections,
    runtime,
    canaries,
    canaryOwnerIn,
  };
}

/** The user's connections that were attached at the given history index. */
export function connectionsAttachedAt(view: HistoryView, userId: string, index: number) {
  return view.connections.filter(
    (c) =>
      c.userId === userId &&
      c.attachIndex < index &&
      (c.detachIndex === undefined || c.detachIndex > index),
  );
}

/** A short human name for an event delivery, e.g. `agent_completed #5 of run r1`. */
export function describeEvent(delivery: EventDelivery): string {
  return `${delivery.event.type} #${String(delivery.event.seq)} of run ${delivery.event.runId}`;
}
