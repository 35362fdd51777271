/**
 * security.*: the WebSocket boundary, judged from the wire view of a history (History.wire):
 * what each socket sent, what it received, how it closed. In process there is no wire, and these
 * clauses are not checked.
 *
 * Detection rules:
 * - auth: a socket that never authenticated (no auth, a bad token, anything before auth) must
 *   receive nothing and be closed by the server with 4401 (unless its client cut it first), and
 *   no run it named may start or be delivered anywhere.
 * - impersonation: a frame naming another user than its socket's must be answered with an error
 *   or a rejected result; the run it names must not start nor be delivered, and the run a cancel
 *   names must not end cancelled.
 * - frames: a malformed frame on an authenticated socket must be answered, before that socket
 *   sends anything else, with an error frame, or the socket closed by the server with 1007 or
 *   1009; after it no socket of another user is closed by the server for a protocol error, no
 *   error escapes, and every execute issued afterwards still settles.
 */
import type { History, HistoryEntry } from "../run/history.ts";
import { MALFORMED_KINDS, type WireSent, type WireSocket } from "../transport/wire-log.ts";
import { broken, held, notChecked, type Verdict } from "./verdict.ts";

const IDS = ["security.auth", "security.impersonation", "security.frames"] as const;
const NO_WIRE = "checked over a real WebSocket only (--transport ws)";
/** Server closes that are not a reaction to a client's fault. */
const ORDERLY = new Set([1000, 1001, 1013]);

export function checkSecurity(history: History): Verdict[] {
  const wire = history.wire;
  if (!wire) return IDS.map((id) => notChecked(id, NO_WIRE));
  try {
    const facts = factsOf(history);
    return [
      auth(wire.sockets, facts),
      impersonation(wire.sockets, facts),
      frames(history, wire.sockets),
    ];
  } catch (error) {
    const reason = `the history could not be read: ${error instanceof Error ? error.message : String(error)}`;
    return IDS.map((id) => notChecked(id, reason));
  }
}

interface Facts {
  /** runIds whose agent started, and the first entry that shows it. */
  started: Map<string, number>;
  /** runIds delivered on any connection, and the first delivery. */
  delivered: Map<string, { index: number; connectionId: string }>;
  /** runIds that ended with agent_error cancelled. */
  cancelled: Map<string, number>;
  /** runIds the scenario itself executed, and cancelled: a probe naming them did not start them. */
  issued: Set<string>;
  cancelledByScenario: Set<string>;
}

function factsOf(history: History): Facts {
  const facts: Facts = {
    started: new Map(),
    delivered: new Map(),
    cancelled: new Map(),
    issued: new Set(),
    cancelledByScenario: new Set(),
  };
  for (const entry of history.entries as HistoryEntry[]) {
    if (entry.kind === "call" && entry.operation.op === "execute") {
      facts.issued.add(String(entry.operation.context.runId));
    } else if (entry.kind === "call" && entry.operation.op === "cancel") {
      facts.cancelledByScenario.add(String(entry.operation.runId));
    } else if (
      entry.kind === "runtime" &&
      entry.call === "start" &&
      typeof entry.context.runId === "string"
    ) {
      if (!facts.started.has(entry.context.runId))
        facts.started.set(entry.context.runId, entry.index);
    } else if (entry.kind === "deliver") {
      const event = entry.event as {
        runId?: unknown;
        type?: unknown;
        payload?: { reason?: unknown };
      };
      if (typeof event?.runId !== "string") continue;
      if (!facts.delivered.has(event.runId)) {
        facts.delivered.set(event.runId, { index: entry.index, connectionId: entry.connectionId });
      }
      if (event.type === "agent_error" && event.payload?.reason === "cancelled") {
        facts.cancelled.set(event.runId, entry.index);
      }
    }
  }
  return facts;
}

/**
 * What a probe frame made happen that it must not have: the run an execute names started or
 * was delivered, the run a cancel names ended cancelled. Runs the scenario itself executed or
 * cancelled are not the probe's doing.
 */
function ranAnyway(sent: WireSent, facts: Facts): string | undefined {
  const runId = sent.runId;
  if (runId === undefined) return undefined;
  if (sent.type === "cancel") {
    const at = facts.cancelled.get(runId);
    if (at === undefined || facts.cancelledByScenario.has(runId)) return undefined;
    return `run ${runId} was cancelled (entry ${at})`;
  }
  if (facts.issued.has(runId)) return undefined;
  const started = facts.started.get(runId);
  if (started !== undefined) return `its run ${runId} started (entry ${started})`;
  const delivered = facts.delivered.get(runId);
  if (delivered) return `an event of its run ${runId} reached connection ${delivered.connectionId}`;
  return undefined;
}

/** What the server sent a socket in answer to its frame `sent`. */
function answersTo(socket: WireSocket, sent: WireSent) {
  return socket.received.filter((r) => r.answers === sent.no);
}

function auth(sockets: readonly WireSocket[], facts: Facts): Verdict {
  const id = "security.auth";
  let exercised = false;
  for (const socket of sockets) {
    if (socket.authenticated) continue;
    const cutByClient = socket.close?.by === "client";
    if (cutByClient && !socket.cutAtEnd && socket.sent.length === 0) continue;
    exercised = true;
    const name = `socket ${socket.name}${socket.user ? ` (claiming ${socket.user})` : ""}, never authenticated,`;
    if (socket.received.length > 0) {
      const first = socket.received[0];
      return broken(id, `${name} received a ${first?.type} frame`);
    }
    for (const sent of socket.sent) {
      const ran = ranAnyway(sent, facts);
      if (ran) return broken(id, `${name} sent ${sent.text ?? sent.kind} and ${ran}`);
    }
    if (!socket.close || socket.cutAtEnd)
      return broken(id, `${name} was never closed by the server`);
    if (!cutByClient && socket.close.code !== 4401) {
      return broken(
        id,
        `${name} was closed with ${socket.close.code} "${socket.close.reason}" instead of 4401`,
      );
    }
  }
  return exercised ? held(id) : notChecked(id, "no socket tried to act without authenticating");
}

function impersonation(sockets: readonly WireSocket[], facts: Facts): Verdict {
  const id = "security.impersonation";
  let exercised = false;
  for (const socket of sockets) {
    if (!socket.authenticated) continue;
    for (const sent of socket.sent) {
      if (sent.claims === undefined || sent.claims === socket.user) continue;
      exercised = true;
      const name = `a frame on ${socket.user}'s socket ${socket.name} naming user ${sent.claims} (${sent.text})`;
      const answers = answersTo(socket, sent);
      const refused = answers.some(
        (r) =>
          r.type === "error" ||
          (r.type === "result" &&
            (r.frame as { result?: { status?: unknown } } | undefined)?.result?.status ===
              "rejected"),
      );
      const closed = socket.close?.by === "gateway" && answers.length === 0;
      if (!refused && !closed) {
        return broken(
          id,
          `${name} was not refused: it got ${answers.map((r) => r.type).join(", ") || "no answer"}`,
        );
      }
      const ran = ranAnyway(sent, facts);
      if (ran) return broken(id, `${name} was carried out anyway: ${ran}`);
    }
  }
  return exercised ? held(id) : notChecked(id, "no frame named another user than its socket's");
}

function frames(history: History, sockets: readonly WireSocket[]): Verdict {
  const id = "security.frames";
  let firstProbeAt = Number.POSITIVE_INFINITY;
  let exercised = false;
  for (const socket of sockets) {
    if (!socket.authenticated) continue;
    for (const sent of socket.sent) {
      if (!sent.probe || !MALFORMED_KINDS.includes(sent.probe)) continue;
      exercised = true;
      firstProbeAt = Math.min(firstProbeAt, sent.at);
      const name = `${sent.probe} frame ${sent.text ?? ""} on ${socket.user}'s socket ${socket.name}`;
      const answers = answersTo(socket, sent);
      if (answers.some((r) => r.type === "error")) continue;
      const lastSent = socket.sent[socket.sent.length - 1] === sent;
      const closedForIt =
        lastSent &&
        socket.close?.by === "gateway" &&
        (socket.close.code === 1007 || socket.close.code === 1009);
      if (closedForIt) continue;
      const what = answers.length > 0 ? answers.map((r) => r.type).join(", ") : "nothing";
      const close = socket.close
        ? `; the socket closed with ${socket.close.code} by the ${socket.close.by}`
        : "";
      return broken(
        id,
        `the ${name} got ${what} instead of an error frame or a close with 1007/1009${close}`,
      );
    }
  }
  if (!exercised) return notChecked(id, "no malformed frame was sent on an authenticated socket");
  for (const socket of sockets) {
    const close = socket.close;
    if (close?.by !== "gateway" || close.at < firstProbeAt || ORDERLY.has(close.code)) continue;
    if (socket.sent.some((s) => s.probe !== undefined) || !socket.authenticated) continue;
    return broken(
      id,
      `after the malformed frames, socket ${socket.name} of ${socket.user}, which sent none, was closed by the server with ${close.code}`,
    );
  }
  const entries = history.entries as HistoryEntry[];
  const escaped = entries.find((e) => e.kind === "unhandled" && e.at >= firstProbeAt);
  if (escaped?.kind === "unhandled") {
    return broken(
      id,
      `after the malformed frames an error escaped (${escaped.source}): ${escaped.error.message}`,
      [escaped.index],
    );
  }
  const returned = new Set(entries.flatMap((e) => (e.kind === "return" ? [e.callId] : [])));
  const unsettled = entries.find(
    (e) =>
      e.kind === "call" &&
      e.operation.op === "execute" &&
      e.at >= firstProbeAt &&
      !returned.has(e.callId),
  );
  if (unsettled?.kind === "call" && unsettled.operation.op === "execute") {
    const context = unsettled.operation.context;
    return broken(
      id,
      `after the malformed frames, user ${context.userId}'s execute of run ${context.runId} never settled`,
      [unsettled.index],
    );
  }
  return held(id);
}
