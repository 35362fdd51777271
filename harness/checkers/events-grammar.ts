/**
 * events.grammar, events.seq and events.payload: the shape of each run's stream and of each
 * event, judged on the emissions rebuilt by events-stream.ts.
 */
import { Buffer } from "node:buffer";
import { EVENT_TYPES } from "../contract/index.ts";
import {
  type Analysis,
  byteLength,
  describe,
  type Emission,
  earliest,
  type Finding,
  idText,
  isTerminal,
  payloadOf,
  type RunTrace,
  receiver,
  show,
} from "./events-stream.ts";
import { deliveryText } from "./json-text.ts";
import { broken, held, notChecked, type Verdict } from "./verdict.ts";
import type { EventDelivery } from "./view.ts";

/**
 * Events before the first one seen may have been lost only when the owner had no connection
 * between the execute call and that first delivery (a buffer that overflowed, or a resume that
 * did not replay: delivery.*'s business). Then the stream is judged as a suffix.
 */
function maybeSuffix(analysis: Analysis, trace: RunTrace): boolean {
  const first = trace.emissions[0];
  if (!first) return false;
  const { run } = trace;
  return !analysis.coveredThroughout(run.userId, run.call.index, first.first.index);
}

/** Names the run's owner when someone else received the event. */
function ownerNote(delivery: EventDelivery, trace: RunTrace): string {
  return delivery.connectionUserId === trace.run.userId
    ? ""
    : ` (a run of user ${idText(trace.run.userId)})`;
}

// ---------------------------------------------------------------------------------------------

export function checkGrammar(analysis: Analysis): Verdict {
  const id = "events.grammar";
  let exercised = false;
  const found: (Finding | undefined)[] = [];
  for (const delivery of analysis.view.malformed) {
    const frame = delivery.event as Record<string, unknown> | null;
    if (typeof frame === "object" && frame !== null && typeof frame.type !== "string") {
      found.push({
        index: delivery.index,
        summary: `user ${delivery.connectionUserId} received on connection ${delivery.connectionId} a frame with no event type (${show(frame)})`,
        entries: [delivery.index],
      });
      break;
    }
  }
  for (const trace of analysis.traces) {
    if (trace.emissions.length === 0) continue;
    exercised = true;
    const offline = (from: number, to: number) =>
      !analysis.coveredThroughout(trace.run.userId, from, to);
    found.push(grammarOf(trace, maybeSuffix(analysis, trace), offline));
  }
  const first = earliest(found);
  if (first) return broken(id, first.summary, first.entries);
  return exercised ? held(id) : notChecked(id, "no run's events were delivered");
}

function grammarOf(
  trace: RunTrace,
  suffix: boolean,
  offline: (from: number, to: number) => boolean,
): Finding | undefined {
  const open = new Map<string, Emission>();
  let started: Emission | undefined;
  let terminal: Emission | undefined;
  let seen = 0;
  let previous: Emission | undefined;
  let lastSeq: number | undefined;
  /** Events were lost in a gap before this point: tool calls opened or closed there are unknown. */
  let lost = false;
  const fail = (at: Emission, why: string, also: Emission[] = []): Finding => ({
    index: at.first.index,
    summary: `${receiver(at.first)} received ${describe(at)} ${why}${ownerNote(at.first, trace)}`,
    entries: [...also.map((e) => e.first.index), at.first.index],
  });
  for (const emission of trace.emissions) {
    const type = emission.event.type;
    seen += 1;
    // A resume buffer keeps only the newest bufferPerUser events, so events emitted while the
    // owner had no connection may be lost in the middle of a run whose start was seen
    // (delivery.resume judges that). After such a gap in seq, the calls opened or closed in it
    // are unknown.
    const seq = emission.event.seq;
    if (typeof seq === "number") {
      const gap = lastSeq !== undefined && seq > lastSeq + 1;
      if (gap && previous && offline(previous.first.index, emission.first.index)) {
        open.clear();
        lost = true;
      }
      lastSeq = seq;
    }
    previous = emission;
    if (!(EVENT_TYPES as readonly string[]).includes(type)) {
      return fail(emission, "which is not an event type of the contract");
    }
    if (terminal) {
      return fail(emission, `after the run's terminal ${describe(terminal)}`, [terminal]);
    }
    if (type === "agent_started") {
      if (started) return fail(emission, `although the run had already started`, [started]);
      if (seen > 1 && !suffix) {
        return fail(emission, `after other events of the run`, [trace.emissions[0] as Emission]);
      }
      started = emission;
      continue;
    }
    if (!started && !suffix) {
      return fail(emission, `before any agent_started of the run`);
    }
    const payload = payloadOf(emission.event);
    if (type === "tool_executing") {
      const callId = payload?.toolCallId;
      if (typeof callId === "string") {
        const already = open.get(callId);
        if (already) {
          return fail(emission, `opening tool call ${show(callId)} which is already open`, [
            already,
          ]);
        }
        open.set(callId, emission);
      }
    } else if (type === "tool_completed") {
      const callId = payload?.toolCallId;
      const opened = typeof callId === "string" ? open.get(callId) : undefined;
      if (!opened) {
        // A suffix may have lost the tool_executing of a call that was open when it began.
        if (!(suffix && !started) && !lost) {
          return fail(
            emission,
            `closing tool call ${show(callId)}, which no open tool_executing of the run opened`,
          );
        }
      } else open.delete(callId as string);
    } else if (isTerminal(emission)) {
      terminal = emission;
      if (type === "agent_completed" && open.size > 0) {
        const [callId, opened] = open.entries().next().value as [string, Emission];
        return fail(
          emission,
          `while tool call ${show(callId)} (${describe(opened)}) was still open`,
          [opened],
        );
      }
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------

export function checkSeq(analysis: Analysis): Verdict {
  const id = "events.seq";
  let exercised = false;
  const found: (Finding | undefined)[] = [];
  for (const delivery of analysis.view.malformed) {
    const frame = delivery.event as Record<string, unknown> | null;
    if (typeof frame === "object" && frame !== null && typeof frame.type === "string") {
      found.push({
        index: delivery.index,
        summary: `user ${delivery.connectionUserId} received a ${frame.type} on connection ${delivery.connectionId} whose runId is ${show(frame.runId)}, not the id of a run`,
        entries: [delivery.index],
      });
      break;
    }
  }
  const orphan = analysis.orphans[0];
  if (orphan) {
    found.push({
      index: orphan.index,
      summary: `${receiver(orphan)} received ${describe(orphan)}, but no execute used the runId ${idText(orphan.event.runId)} before it`,
      entries: [orphan.index],
    });
  }
  for (const trace of analysis.traces) {
    if (trace.emissions.length === 0) continue;
    exercised = true;
    found.push(seqOf(analysis, trace));
  }
  const first = earliest(found);
  if (first) return broken(id, first.summary, first.entries);
  return exercised ? held(id) : notChecked(id, "no run's events were delivered");
}

function seqOf(analysis: Analysis, trace: RunTrace): Finding | undefined {
  const { run } = trace;
  const own: [string, unknown][] = [
    ["threadId", run.context.threadId],
    ["userId", run.context.userId],
    ["agentName", run.request?.agentName],
  ];
  let previous: Emission | undefined;
  const problems: Finding[] = [];
  for (const emission of trace.emissions) {
    const at = emission.first;
    const event = emission.event;
    const say = (why: string, also: Emission[] = []): Finding => ({
      index: at.index,
      summary: `${receiver(at)} received ${describe(emission)} ${why}${ownerNote(at, trace)}`,
      entries: [...also.map((e) => e.first.index), at.index],
    });
    for (const [field, value] of own) {
      const got = (event as Record<string, unknown>)[field];
      if (got !== value) {
        problems.push(say(`whose envelope ${field} is ${show(got)}, not the run's ${show(value)}`));
        break;
      }
    }
    const seq = event.seq;
    if (typeof seq !== "number" || !Number.isInteger(seq)) {
      problems.push(say(`whose seq ${show(seq)} is not an integer`));
    } else if (event.type === "agent_started" && seq !== 1) {
      problems.push(say(`with seq ${seq} instead of 1`));
    } else if (previous && typeof previous.event.seq === "number") {
      const before = previous.event.seq;
      const live = analysis.coveredThroughout(run.userId, previous.first.index, at.index);
      if (seq <= before) {
        problems.push(say(`after ${describe(previous)}: seq does not grow`, [previous]));
      } else if (live && seq !== before + 1) {
        problems.push(
          say(`right after ${describe(previous)}: seq jumps by ${seq - before}`, [previous]),
        );
      }
    } else if (!previous && !maybeSuffix(analysis, trace) && seq !== 1) {
      problems.push(say(`as the run's first event, with seq ${seq} instead of 1`));
    }
    if (problems.length > 0) break;
    previous = emission;
  }
  return problems[0];
}

// ---------------------------------------------------------------------------------------------

const REASONS = ["error", "timeout", "cancelled"];
const TOOL_STATUSES = ["success", "error", "timeout"];
/** agent_started's input summary is bounded by the contract. */
const INPUT_SUMMARY_BYTES = 1024;

/** What is wrong with one event's payload, or undefined. */
const present = (v: unknown) => v !== undefined;

/** Undefined when the payload's `field` passes `ok`; otherwise what is wrong with it. */
function need(
  payload: Record<string, unknown>,
  field: string,
  ok: (v: unknown) => boolean,
  what: string,
): string | undefined {
  return ok(payload[field]) ? undefined : `has ${field} ${show(payload[field])}, not ${what}`;
}
const str = (v: unknown) => typeof v === "string";

/**
 * Whether the whole frame is over `bytes`: only then can a part of it be, so only then is the
 * part worth serialising and measuring. A UTF-16 unit is at most 3 UTF-8 bytes, which spares
 * most frames even the byte count.
 */
function frameOver(delivery: EventDelivery, bytes: number): boolean {
  const text = deliveryText(delivery);
  return text.length * 3 > bytes && Buffer.byteLength(text) > bytes;
}

export function payloadProblem(delivery: EventDelivery, maxEventBytes: number): string | undefined {
  const { event } = delivery;
  const payload = payloadOf(event);
  if (!payload) return `has a payload that is not an object (${show(event.payload)})`;
  let problem: string | undefined;
  switch (event.type) {
    case "agent_started":
      problem = need(payload, "input", present, "an input summary");
      if (!problem && frameOver(delivery, INPUT_SUMMARY_BYTES)) {
        const bytes = byteLength(payload.input);
        if (bytes > INPUT_SUMMARY_BYTES) {
          problem = `has an input summary of ${bytes} bytes (at most ${INPUT_SUMMARY_BYTES})`;
        }
      }
      break;
    case "agent_thinking":
      problem =
        need(payload, "reasoning", str, "a string") ??
        need(
          payload,
          "step",
          (v) => Number.isInteger(v) && (v as number) >= 1,
          "a step number from 1",
        );
      break;
    case "tool_executing":
      problem =
        need(payload, "toolCallId", str, "a string") ??
        need(payload, "toolName", str, "a string") ??
        need(payload, "parameters", present, "the call's parameters");
      break;
    case "tool_completed":
      problem =
        need(payload, "toolCallId", str, "a string") ??
        need(payload, "toolName", str, "a string") ??
        need(
          payload,
          "status",
          (v) => TOOL_STATUSES.includes(v as string),
          "success, error or timeout",
        ) ??
        need(payload, "durationMs", (v) => typeof v === "number" && v >= 0, "a duration in ms");
      if (!problem && payload.result === undefined && payload.error === undefined) {
        problem = "has neither a result nor an error";
      }
      if (!problem && payload.status === "success" && payload.result === undefined) {
        problem = "has status success but no result";
      }
      break;
    case "agent_completed":
      problem =
        need(payload, "status", (v) => v === "completed", '"completed"') ??
        need(payload, "result", present, "the run's result");
      break;
    case "agent_error":
      problem =
        need(
          payload,
          "reason",
          (v) => REASONS.includes(v as string),
          "error, timeout or cancelled",
        ) ?? need(payload, "message", str, "a string");
      break;
    default:
      return undefined; // an unknown type is events.grammar's
  }
  if (problem) return problem;
  if (!frameOver(delivery, maxEventBytes)) return undefined;
  const bytes = byteLength(payload);
  if (bytes > maxEventBytes)
    return `has a payload of ${bytes} bytes (maxEventBytes ${maxEventBytes})`;
  return undefined;
}

export function checkPayload(analysis: Analysis): Verdict {
  const id = "events.payload";
  const maxEventBytes = analysis.history.limits?.maxEventBytes ?? Number.POSITIVE_INFINITY;
  const events = new Set<unknown>(analysis.view.events);
  for (const delivery of analysis.view.deliveries) {
    if (delivery.malformed) {
      return broken(
        id,
        `user ${delivery.connectionUserId} received on connection ${delivery.connectionId} a frame that is not a JSON event (${firstLine(delivery.malformed)})`,
        [delivery.index],
      );
    }
    if (!events.has(delivery)) continue;
    const problem = payloadProblem(delivery as EventDelivery, maxEventBytes);
    if (problem) {
      return broken(
        id,
        `${receiver(delivery as EventDelivery)} received ${describe(delivery as EventDelivery)} which ${problem}`,
        [delivery.index],
      );
    }
  }
  return analysis.view.events.length > 0 ? held(id) : notChecked(id, "no event was delivered");
}

function firstLine(text: string): string {
  const line = text.split("\n", 1)[0] ?? "";
  return line.length > 120 ? `${line.slice(0, 119)}…` : line;
}
