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
  /** The same connections by user, in attach order (checkers look them up per user). */
  connectionsByUser: Map<string, ConnectionView[]>;
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
  // A delivery belongs to the latest execute of its runId issued before it (see ownerAmong).
  for (const delivery of events) {
    const candidates = executes.get(delivery.event.runId);
    if (!candidates) continue;
    const issued = candidates.filter((run) => run.call.index < delivery.index);
    ownerAmong(issued, delivery.event)?.deliveries.push(delivery);
  }

  const connectionsByUser = new Map<string, ConnectionView[]>();
  for (const connection of connections) {
    const list = connectionsByUser.get(connection.userId);
    if (list) list.push(connection);
    else connectionsByUser.set(connection.userId, [connection]);
  }

  const canaries = new Map(Object.entries(history.canaries));
  const canaryOwnerIn = canaryFinder(canaries);

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
    connectionsByUser,
    runtime,
    canaries,
    canaryOwnerIn,
  };
}

/**
 * Which of several executes of one runId, all issued before a delivery, the delivered event
 * belongs to. Run ids may be reused: by another user, or by the same user once the first run
 * ended. So among them: those not refused, then those of the user the envelope names, then
 * those already issued when the event was emitted (its `ts`; a replayed event was emitted long
 * before it is delivered); the latest of what is left. Each preference applies only when some
 * candidate meets it, so an engine's wrong envelope or ts cannot make an event nobody's.
 */
export function ownerAmong(
  candidates: readonly RunView[],
  event: EventDelivery["event"],
): RunView | undefined {
  // The common case, one candidate, without building the preferences.
  if (candidates.length < 2) return candidates[0];
  let pool = candidates;
  const prefer = (keep: (run: RunView) => boolean) => {
    if (pool.length < 2) return;
    const kept = pool.filter(keep);
    if (kept.length > 0) pool = kept;
  };
  prefer((run) => run.result?.status !== "rejected");
  prefer((run) => run.userId === event.userId);
  const ts = event.ts;
  if (typeof ts === "number") prefer((run) => run.call.at <= ts);
  return pool[pool.length - 1];
}

/** The user's connections that were attached at the given history index. */
export function connectionsAttachedAt(view: HistoryView, userId: string, index: number) {
  return (view.connectionsByUser.get(userId) ?? []).filter(
    (c) => c.attachIndex < index && (c.detachIndex === undefined || c.detachIndex > index),
  );
}

/** A short human name for an event delivery, e.g. `agent_completed #5 of run r1`. */
export function describeEvent(delivery: EventDelivery): string {
  return `${delivery.event.type} #${String(delivery.event.seq)} of run ${delivery.event.runId}`;
}

/**
 * Finds whose canaries a text carries, in the canary map's order. When every canary has the
 * harness's own shape (`CANARY_` and 16 lowercase hex digits, which cannot overlap) a text is
 * scanned once for that shape, so checking thousands of users stays linear; otherwise every
 * canary is searched for.
 */
function canaryFinder(canaries: ReadonlyMap<string, string>): (text: string) => string[] {
  const slow = (text: string) => {
    const owners: string[] = [];
    for (const [userId, canary] of canaries) if (text.includes(canary)) owners.push(userId);
    return owners;
  };
  const order = new Map<string, number>();
  const byCanary = new Map<string, string[]>();
  for (const [userId, canary] of canaries) {
    if (!/^CANARY_[0-9a-f]{16}$/.test(canary)) return slow;
    order.set(userId, order.size);
    byCanary.set(canary, [...(byCanary.get(canary) ?? []), userId]);
  }
  return (text) => {
    if (!text.includes("CANARY_")) return [];
    const owners = new Set<string>();
    for (const match of text.matchAll(/CANARY_[0-9a-f]{16}/g)) {
      for (const owner of byCanary.get(match[0]) ?? []) owners.add(owner);
    }
    return [...owners].sort((a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0));
  };
}
