/**
 * A history as a text timeline: a column per user (its calls, what came back, what its agents
 * did) and per connection (attach, detach, every frame delivered), an engine column (stats,
 * shutdown, escaped errors), and a row per logical instant (history entry). The entries a
 * witness names are marked ✗, and the violation is printed under the table.
 */
import type { History, HistoryEntry } from "../harness/run/history.ts";
import type { Operation } from "../harness/run/scenario.ts";

export interface TimelineOptions {
  /** History entries to mark (a witness's entries). */
  marked?: readonly number[];
  /** What broke, printed under the table: `clause: summary`. */
  violation?: string;
  /** Widest a cell may be. */
  maxCell?: number;
}

interface Column {
  key: string;
  title: string;
}

const ENGINE = "engine";

export function renderTimeline(history: History, options: TimelineOptions = {}): string {
  const maxCell = options.maxCell ?? 30;
  const marked = new Set(options.marked ?? []);
  const calls = new Map<number, Operation>();
  const columns = columnsOf(history);
  const rows: { index: number; at: number; cells: Map<string, string> }[] = [];

  for (const entry of history.entries) {
    if (entry.kind === "call") calls.set(entry.callId, entry.operation);
    const placed = place(entry, calls);
    if (!placed) continue;
    rows.push({ index: entry.index, at: entry.at, cells: new Map([placed]) });
  }

  const widths = columns.map((c) =>
    Math.min(
      maxCell,
      Math.max(c.title.length, ...rows.map((r) => (r.cells.get(c.key) ?? "").length)),
    ),
  );
  const indexWidth = Math.max(2, String(history.entries.length).length + 1);
  const atWidth = Math.max(5, ...rows.map((r) => String(r.at).length + 3));
  const pad = (text: string, width: number) =>
    text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width);
  const line = (mark: string, index: string, at: string, cells: string[]) =>
    `${mark} ${index.padStart(indexWidth)} ${at.padStart(atWidth)} │ ${cells.join(" │ ")}`;

  const out: string[] = [];
  out.push(
    line(
      " ",
      "#",
      "at",
      columns.map((c, i) => pad(c.title, widths[i] ?? 0)),
    ),
  );
  out.push(
    `${"─".repeat(indexWidth + atWidth + 4)}┼${widths.map((w) => "─".repeat(w + 2)).join("┼")}`,
  );
  for (const row of rows) {
    out.push(
      line(
        marked.has(row.index) ? "✗" : " ",
        `#${row.index}`,
        `${row.at} ms`,
        columns.map((c, i) => pad(row.cells.get(c.key) ?? "", widths[i] ?? 0)),
      ).trimEnd(),
    );
  }
  if (options.violation) out.push("", `✗ ${options.violation}`);
  return `${out.join("\n")}\n`;
}

/** Users in scenario order, each followed by its connections in attach order; then the engine. */
function columnsOf(history: History): Column[] {
  const users: string[] = [];
  const connections = new Map<string, string[]>();
  const addUser = (userId: string) => {
    if (!users.includes(userId)) users.push(userId);
  };
  for (const userId of history.scenario.users) addUser(userId);
  for (const entry of history.entries) {
    if (entry.kind === "call" && entry.operation.op === "attach") {
      const { userId, connectionId } = entry.operation;
      addUser(userId);
      const list = connections.get(userId) ?? [];
      if (!list.includes(connectionId)) list.push(connectionId);
      connections.set(userId, list);
    }
  }
  const active = new Set<string>();
  for (const entry of history.entries) {
    const placed = place(entry, new Map());
    if (placed) active.add(placed[0]);
  }
  for (const entry of history.entries) {
    if (entry.kind === "call" && entry.operation.op === "execute") {
      active.add(`user:${entry.operation.context.userId}`);
    }
  }
  const columns: Column[] = [];
  for (const userId of users) {
    if (active.has(`user:${userId}`)) columns.push({ key: `user:${userId}`, title: userId });
    for (const connectionId of connections.get(userId) ?? []) {
      columns.push({ key: `conn:${connectionId}`, title: `${userId}/${connectionId}` });
    }
  }
  columns.push({ key: ENGINE, title: ENGINE });
  return columns;
}

/** The column an entry goes to and what it says there; undefined for entries not shown. */
function place(entry: HistoryEntry, calls: Map<number, Operation>): [string, string] | undefined {
  switch (entry.kind) {
    case "call":
      return placeCall(entry.operation);
    case "return": {
      const op = calls.get(entry.callId);
      if (!op || op.op === "attach" || op.op === "detach" || op.op === "stats") return undefined;
      const value = entry.threw
        ? `threw ${entry.threw.message}`
        : op.op === "execute"
          ? resultText(entry.value)
          : op.op === "cancel"
            ? `→ ${JSON.stringify(entry.value)}`
            : "returned";
      if (op.op === "execute")
        return [`user:${op.context.userId}`, `◀ ${op.context.runId} ${value}`];
      if (op.op === "cancel") return [`user:${op.byUserId}`, `◀ cancel ${value}`];
      if (op.op === "closeUser") return [`user:${op.userId}`, `◀ closeUser ${value}`];
      return [ENGINE, `◀ ${op.op} ${value}`];
    }
    case "deliver": {
      const event = entry.event as Record<string, unknown>;
      const text = entry.malformed
        ? `⚠ malformed: ${entry.malformed}`
        : `${event.replayed === true ? "↺ " : ""}${String(event.type)} ${String(event.runId)} #${String(event.seq)}`;
      return [`conn:${entry.connectionId}`, text];
    }
    case "runtime": {
      const userId = String(entry.context.userId);
      const runId = String(entry.context.runId);
      if (entry.call === "tool-invoked") return undefined;
      const what =
        entry.call === "wrong-result" ? `⚠ ${entry.detail ?? "wrong result"}` : entry.call;
      return [`user:${userId}`, `· agent ${runId} ${what}`];
    }
    case "stats":
      if (entry.probe) return undefined;
      return [
        ENGINE,
        `stats ${entry.stats.activeRuns} active ${entry.stats.queuedRuns} queued ${entry.stats.bufferedEvents} buffered`,
      ];
    case "unhandled":
      return [ENGINE, `⚠ ${entry.source}: ${entry.error.message}`];
    default:
      return undefined;
  }
}

function placeCall(op: Operation): [string, string] | undefined {
  switch (op.op) {
    case "attach":
      return [`conn:${op.connectionId}`, "attach"];
    case "detach":
      return [`conn:${op.connectionId}`, "detach"];
    case "execute":
      return [`user:${op.context.userId}`, `▶ execute ${op.context.runId} ${scriptText(op)}`];
    case "cancel":
      return [`user:${op.byUserId}`, `▶ cancel ${op.runId}`];
    case "closeUser":
      return [`user:${op.userId}`, "▶ closeUser"];
    case "stats":
      return undefined;
    case "shutdown":
      return [ENGINE, "▶ shutdown"];
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
