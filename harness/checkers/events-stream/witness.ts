/**
 * Small helpers the stream checkers share: the earliest finding and its verdict, and how runs,
 * events, ids and outcomes read in a witness; context and JSON comparisons.
 */
import { Buffer } from "node:buffer";
import {
  type ClauseId,
  contextProblem,
  REJECTION_CODES,
  type RejectionCode,
} from "../../contract/index.ts";
import { broken, held, notChecked, type Verdict } from "../verdict.ts";
import type { EventDelivery, RunView } from "../view.ts";
import type { Analysis, Emission } from "./analysis.ts";
import { jsonProblem } from "./request.ts";

/** One violation found: the entry that shows it, a one-line witness, the entries involved. */
export interface Finding {
  index: number;
  summary: string;
  entries: number[];
}

/** The earliest finding (by the entry that shows it): each clause reports its first violation. */
export function earliest(found: readonly (Finding | undefined)[]): Finding | undefined {
  let first: Finding | undefined;
  for (const f of found) if (f && (!first || f.index < first.index)) first = f;
  return first;
}

/** broken with the earliest finding; else held when exercised, else not-checked. */
export function verdictFrom(
  id: ClauseId,
  found: readonly (Finding | undefined)[],
  exercised: boolean,
  reason: string,
): Verdict {
  const first = earliest(found);
  if (first) return broken(id, first.summary, first.entries);
  return exercised ? held(id) : notChecked(id, reason);
}

export function isTerminal(emission: Emission): boolean {
  return emission.event.type === "agent_completed" || emission.event.type === "agent_error";
}

export function payloadOf(event: EventDelivery["event"]): Record<string, unknown> | undefined {
  const payload = event.payload;
  return typeof payload === "object" && payload !== null && !Array.isArray(payload)
    ? (payload as Record<string, unknown>)
    : undefined;
}

export function byteLength(value: unknown): number {
  try {
    const text = JSON.stringify(value);
    return text === undefined ? 0 : Buffer.byteLength(text, "utf8");
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

/** A value rendered for a witness: short, one line. */
export function show(value: unknown, max = 60): string {
  let text: string;
  if (typeof value === "string") text = JSON.stringify(value);
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** `agent_completed #5 of run r1`. */
export function describe(emission: Emission | EventDelivery): string {
  const event = emission.event;
  return `${event.type} #${String(event.seq)} of run ${String(event.runId)}`;
}

/** `agent_completed #5`, for a witness that has already named the run. */
export function short(emission: Emission | EventDelivery): string {
  return `${emission.event.type} #${String(emission.event.seq)}`;
}

/** Who got it: `user u1 on connection c1`. */
export function receiver(delivery: EventDelivery): string {
  return `user ${delivery.connectionUserId} on connection ${delivery.connectionId}`;
}

/** An id as a witness shows it: bare when it is a plain token, else quoted (and clipped). */
export function idText(value: unknown): string {
  return typeof value === "string" && /^[\w.:@-]{1,40}$/.test(value) ? value : show(value, 40);
}

export function runName(run: RunView): string {
  return `run ${idText(run.runId)} of user ${idText(run.userId)}`;
}

export function isRejectionCode(code: unknown): code is RejectionCode {
  return typeof code === "string" && (REJECTION_CODES as readonly string[]).includes(code);
}

/** The code of a resolved result's error, if any. */
export function resultErrorCode(run: RunView): unknown {
  const error = run.result?.error;
  return typeof error === "object" && error !== null
    ? (error as { code?: unknown }).code
    : undefined;
}

/** One line saying how an execute came back: `resolved completed`, `threw TypeError "x"`. */
export function outcomeOf(run: RunView): string {
  const ret = run.ret;
  if (!ret) return "never settled";
  if (ret.threw) return `threw ${ret.threw.name} ${show(ret.threw.message)}`;
  if (!run.result) return `resolved ${show(ret.value)}`;
  const code = resultErrorCode(run);
  return `resolved ${show(run.result.status)}${code !== undefined ? ` (${show(code)})` : ""}`;
}

/**
 * Why the context an execute was handed is invalid (ctx.valid), or undefined. Read from the
 * scenario's own operation when there is one, since the history's JSON copy hides metadata that
 * is not JSON (NaN becomes null).
 */
export function contextIssue(analysis: Analysis, run: RunView): string | undefined {
  const source = analysis.sourceOf(run.call);
  const context = (source?.op === "execute" ? source.context : run.context) as unknown;
  const problem = contextProblem(context);
  if (problem) return problem;
  const metadata = (context as { metadata?: unknown }).metadata;
  const notJson = jsonProblem(metadata, "metadata");
  return notJson ? `metadata is not JSON (${notJson})` : undefined;
}

export function hasValidContext(analysis: Analysis, run: RunView): boolean {
  return contextIssue(analysis, run) === undefined;
}

/** A context that differs in no id from another (so their runtimes cannot be told apart). */
export function sameIds(a: unknown, b: unknown): boolean {
  const x = (a ?? {}) as Record<string, unknown>;
  const y = (b ?? {}) as Record<string, unknown>;
  return (
    x.userId === y.userId &&
    x.threadId === y.threadId &&
    x.runId === y.runId &&
    x.requestId === y.requestId
  );
}

/** Deep equality of two JSON values, ignoring key order. */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const other = b as unknown[];
    return a.length === other.length && a.every((v, i) => sameJson(v, other[i]));
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  const keys = Object.keys(x);
  if (keys.length !== Object.keys(y).length) return false;
  return keys.every((k) => Object.hasOwn(y, k) && sameJson(x[k], y[k]));
}
