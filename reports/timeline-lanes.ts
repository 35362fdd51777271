/**
 * Where each history entry goes on a timeline and what it says there: a lane per user (its
 * calls, what came back, what its agents did), a lane per connection (attach, detach, every
 * frame delivered) and an engine lane (stats, shutdown, escaped errors). The text timeline of
 * `crosstalk repro` and the witness timelines of the HTML report both lay entries out this way.
 */
import type { History, HistoryEntry } from "../harness/run/history.ts";
import type { Operation } from "../harness/run/scenario.ts";

export type LaneKind = "user" | "connection" | "engine";
export type MarkKind = "call" | "return" | "deliver" | "agent" | "stats" | "error";

export interface Lane {
  key: string;
  kind: LaneKind;
  title: string;
}

export interface Placed {
  lane: string;
  kind: MarkKind;
  text: string;
}

export const ENGINE_LANE = "engine";

/** Users in scenario order, each followed by its connections in attach order; then the engine. */
export function lanesOf(history: History): Lane[] {
  const active = new Set<string>();
  for (const entry of history.entries) {
    const placed = placeEntry(entry, new Map());
    if (placed) active.add(placed.lane);
    if (entry.kind === "call" && entry.operation.op === "execute") {
      active.add(`user:${entry.operation.context.userId}`);
    }
  }
  return laneOrder(history).filter((lane) => lane.kind !== "user" || active.has(lane.key));
}

/** Every lane in order, whether anything happens on it or not (reads only the calls: cheap). */
export function laneOrder(history: History): Lane[] {
  const users: string[] = [...new Set(history.scenario.users)];
  const connections = new Map<string, string[]>();
  for (const entry of history.entries) {
    if (entry.kind === "call" && entry.operation.op === "attach") {
      const { userId, connectionId } = entry.operation;
      if (!users.includes(userId)) users.push(userId);
      const list = connections.get(userId) ?? [];
      if (!list.includes(connectionId)) list.push(connectionId);
      connections.set(userId, list);
    }
  }
  const lanes: Lane[] = [];
  for (const userId of users) {
    lanes.push({ key: `user:${userId}`, kind: "user", title: userId });
    for (const connectionId of connections.get(userId) ?? []) {
      lanes.push({
        key: `conn:${connectionId}`,
        kind: "connection",
        title: `${userId}/${connectionId}`,
      });
    }
  }
  lanes.push({ key: ENGINE_LANE, kind: "engine", title: ENGINE_LANE });
  return lanes;
}

/**
 * Whether placeEntry places an entry, without building its text: a flooded history has hundreds
 * of thousands of entries, and a witness timeline words only the few it keeps.
 */
export function isPlaced(
  entry: HistoryEntry,
  calls: ReadonlyMap<number, Operation>,
  all = false,
): boolean {
  switch (entry.kind) {
    case "call":
      return all || entry.operation.op !== "stats";
    case "return": {
      if (all) return true;
      const op = calls.get(entry.callId)?.op;
      return op !== undefined && op !== "attach" && op !== "detach" && op !== "stats";
    }
    case "deliver":
    case "unhandled":
      return true;
    case "runtime":
      return all || entry.call !== "tool-invoked";
    case "stats":
      return all || !entry.probe;
    default:
      return false;
  }
}

/**
 * The lane an entry goes to and what it says there. Bookkeeping entries (stats probes, returns of
 * attach/detach/stats, tool invocations) are left out unless `all` is set: a witness may name one.
 */
export function placeEntry(
  entry: HistoryEntry,
  calls: ReadonlyMap<number, Operation>,
  all = false,
): Placed | undefined {
  switch (entry.kind) {
    case "call": {
      const placed = placeCall(entry.operation);
      return placed ? { ...placed, kind: "call" } : all ? engine("call", "▶ stats") : undefined;
    }
    case "return": {
      const op = calls.get(entry.callId);
      if (!op) return all ? engine("return", "◀ returned") : undefined;
      if (op.op === "attach" || op.op === "detach" || op.op === "stats") {
        if (!all) return undefined;
        const lane = op.op === "stats" ? ENGINE_LANE : `conn:${op.connectionId}`;
        return { lane, kind: "return", text: `◀ ${op.op} ${entry.threw ? "threw" : "returned"}` };
      }
      const value = entry.threw
        ? `threw ${entry.threw.message}`
        : op.op === "execute"
          ? resultText(entry.value)
          : op.op === "cancel"
            ? `→ ${JSON.stringify(entry.value)}`
            : "returned";
      if (op.op === "execute") {
        return {
          lane: `user:${op.context.userId}`,
          kind: "return",
          text: `◀ ${op.context.runId} ${value}`,
        };
      }
      if (op.op === "cancel") {
        return { lane: `user:${op.byUserId}`, kind: "return", text: `◀ cancel ${value}` };
      }
      if (op.op === "closeUser") {
        return { lane: `user:${op.userId}`, kind: "return", text: `◀ closeUser ${value}` };
      }
      return engine("return", `◀ ${op.op} ${value}`);
    }
    case "deliver": {
      const event = entry.event as Record<string, unknown>;
      const text = entry.malformed
        ? `⚠ malformed: ${entry.malformed}`
        : `${event.replayed === true ? "↺ " : ""}${String(event.type)} ${String(event.runId)} #${String(event.seq)}`;
      return { lane: `conn:${entry.connectionId}`, kind: "deliver", text };
    }
    case "runtime": {
      if (entry.call === "tool-invoked" && !all) return undefined;
      const what =
        entry.call === "wrong-result" ? `⚠ ${entry.detail ?? "wrong result"}` : entry.call;
      return {
        lane: `user:${String(entry.context.userId)}`,
        kind: "agent",
        text: `· agent ${String(entry.context.runId)} ${what}`,
      };
    }
    case "stats":
      if (entry.probe && !all) return undefined;
      return engine(
        "stats",
        `stats ${entry.stats.activeRuns} active ${entry.stats.queuedRuns} queued ${entry.stats.bufferedEvents} buffered`,
      );
    case "unhandled":
      return engine("error", `⚠ ${entry.source}: ${entry.error.message}`);
    default:
      return undefined;
  }
}

function engine(kind: MarkKind, text: string): Placed {
  return { lane: ENGINE_LANE, kind, text };
}

function placeCall(op: Operation): { lane: string; text: string } | undefined {
  switch (op.op) {
    case "attach":
      return { lane: `conn:${op.connectionId}`, text: "attach" };
    case "detach":
      return { lane: `conn:${op.connectionId}`, text: "detach" };
    case "execute":
      return {
        lane: `user:${op.context.userId}`,
        text: `▶ execute ${op.context.runId} ${scriptText(op)}`,
      };
    case "cancel":
      return { lane: `user:${op.byUserId}`, text: `▶ cancel ${op.runId}` };
    case "closeUser":
      return { lane: `user:${op.userId}`, text: "▶ closeUser" };
    case "stats":
      return undefined;
    case "shutdown":
      return { lane: ENGINE_LANE, text: "▶ shutdown" };
  }
}

function scriptText(op: Extract<Operation, { op: "execute" }>): string {
  const input = op.request.input as { steps?: unknown } | null;
  const steps = Array.isArray(input?.steps) ? (input.steps as Record<string, unknown>[]) : [];
  const shown = steps.map((step) => {
    if ("think" in step) return "think";
    if ("tool" in step)
      return `${String(step.tool)}${step.error !== undefined ? "!" : ""} ${String(step.delayMs ?? 0)}ms`;
    if ("parallel" in step) return `parallel×${(step.parallel as unknown[]).length}`;
    if ("sleep" in step) return `sleep ${String(step.sleep)}`;
    if ("throw" in step) return "throw";
    if ("hang" in step) return "hang";
    return "?";
  });
  return op.request.agentName === "scripted"
    ? `[${shown.join(", ")}]`
    : `(${op.request.agentName})`;
}

function resultText(value: unknown): string {
  if (typeof value !== "object" || value === null) return JSON.stringify(value) ?? "undefined";
  const result = value as { status?: unknown; error?: { code?: unknown } };
  const code = result.error?.code;
  return `${String(result.status)}${result.status === "rejected" && code ? ` ${String(code)}` : ""}`;
}
