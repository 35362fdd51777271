/**
 * The analysis: each run's emissions, fan-out copies and replays folded into one, built once
 * per history, with the scenario operation behind each call.
 */
import type { CallEntry, History } from "../../run/history.ts";
import type { Operation } from "../../run/scenario.ts";
import { deliveryText } from "../json-text.ts";
import { type EventDelivery, type HistoryView, type RunView, viewOf } from "../view.ts";

export interface Emission {
  /** The first delivery of this event, on whichever connection. */
  first: EventDelivery;
  event: EventDelivery["event"];
  /** The event as JSON, without `replayed`: two deliveries with one key are one emission. */
  key: string;
  deliveries: EventDelivery[];
}

export interface RunTrace {
  run: RunView;
  /** What execute resolved to, when it resolved to an object with a string status. */
  status: string | undefined;
  rejected: boolean;
  /** The execute resolved or rejected (its promise settled). */
  settled: boolean;
  /** Event deliveries attributed to this execute, in history order. */
  deliveries: EventDelivery[];
  /** The emissions, in the order they were first seen. */
  emissions: Emission[];
  /** The owner had a connection attached from the execute call until it settled. */
  visible: boolean;
}

export interface Analysis {
  view: HistoryView;
  history: History;
  traces: RunTrace[];
  /** Event deliveries whose runId belongs to no execute issued before them. */
  orphans: EventDelivery[];
  /** The scenario operation behind a call (the call entry holds a JSON copy of it). */
  sourceOf(call: CallEntry): Operation | undefined;
  /** Some connection of the user was attached at every index from `from` to `to`. */
  coveredThroughout(userId: string, from: number, to: number): boolean;
  /** The history stopped early, so absences prove nothing. */
  cut: boolean;
}

const cache = new WeakMap<History, Analysis>();

export function analyse(history: History): Analysis {
  const cached = cache.get(history);
  if (cached) return cached;
  const analysis = build(history);
  cache.set(history, analysis);
  return analysis;
}

function build(history: History): Analysis {
  const view = viewOf(history);
  const traces: RunTrace[] = [];
  for (const run of view.runs) {
    const status = typeof run.result?.status === "string" ? run.result.status : undefined;
    const trace: RunTrace = {
      run,
      status,
      rejected: status === "rejected",
      settled: run.ret !== undefined,
      deliveries: [],
      emissions: [],
      visible: false,
    };
    traces.push(trace);
  }

  // A delivery belongs to the latest execute of its runId issued before it that was not
  // refused, preferring one whose thread and user the envelope names (two accepted executes
  // of one runId are a ctx.unique-run defect, and their events must not be mixed up); only
  // when every such execute was refused does it belong to the latest refused one.
  const byRunId = new Map<unknown, RunTrace[]>();
  for (const trace of traces) {
    const list = byRunId.get(trace.run.runId) ?? [];
    list.push(trace);
    byRunId.set(trace.run.runId, list);
  }
  const orphans: EventDelivery[] = [];
  for (const delivery of view.events) {
    let accepted: RunTrace | undefined;
    let matching: RunTrace | undefined;
    let refused: RunTrace | undefined;
    const ts = delivery.event.ts;
    for (const trace of byRunId.get(delivery.event.runId) ?? []) {
      if (trace.run.call.index >= delivery.index) break;
      if (trace.rejected) refused = trace;
      // Issued after the event was emitted (a replayed event of an earlier run of this runId).
      else if (typeof ts === "number" && trace.run.call.at > ts && (matching ?? accepted)) continue;
      else {
        accepted = trace;
        const context = trace.run.context as unknown as Record<string, unknown>;
        if (
          context.threadId === delivery.event.threadId &&
          context.userId === delivery.event.userId
        ) {
          matching = trace;
        }
      }
    }
    const owner = matching ?? accepted ?? refused;
    if (owner) owner.deliveries.push(delivery);
    else orphans.push(delivery);
  }
  for (const trace of traces) trace.emissions = foldEmissions(trace.deliveries);

  const intervals = new Map<string, [number, number][]>();
  for (const connection of view.connections) {
    const list = intervals.get(connection.userId) ?? [];
    list.push([connection.attachIndex, connection.detachIndex ?? Number.POSITIVE_INFINITY]);
    intervals.set(connection.userId, list);
  }
  const coveredThroughout = (userId: string, from: number, to: number) => {
    const list = intervals.get(userId) ?? [];
    let point = from;
    while (point <= to) {
      let reach = -1;
      for (const [a, d] of list) if (a < point && point < d && d > reach) reach = d;
      if (reach < 0) return false;
      point = reach;
    }
    return true;
  };
  for (const trace of traces) {
    const { run } = trace;
    trace.visible =
      run.ret !== undefined &&
      typeof run.userId === "string" &&
      coveredThroughout(run.userId, run.call.index, run.ret.index);
  }

  const sources = mapSources(history);
  return {
    view,
    history,
    traces,
    orphans,
    sourceOf: (call) => sources.get(call.callId),
    coveredThroughout,
    cut: history.failure !== undefined || history.truncated !== undefined,
  };
}

/** Folds fan-out copies and replays of one event into one emission. */
function foldEmissions(deliveries: EventDelivery[]): Emission[] {
  const emissions: Emission[] = [];
  const byKey = new Map<string, Emission[]>();
  for (const delivery of deliveries) {
    const key = deliveryText(delivery);
    const same = byKey.get(key) ?? [];
    let match: Emission | undefined;
    if (delivery.event.replayed === true) {
      match = same[0];
    } else {
      // The newest emission with this content that this connection has not had yet.
      for (let i = same.length - 1; i >= 0; i -= 1) {
        const candidate = same[i] as Emission;
        if (!candidate.deliveries.some((d) => d.connectionId === delivery.connectionId)) {
          match = candidate;
          break;
        }
      }
    }
    if (match) {
      match.deliveries.push(delivery);
      continue;
    }
    const emission: Emission = {
      first: delivery,
      event: delivery.event,
      key,
      deliveries: [delivery],
    };
    emissions.push(emission);
    same.push(emission);
    byKey.set(key, same);
  }
  return emissions;
}

/**
 * The runner issues the scenario's operations sorted by time (ties in scenario order), one call
 * each, then possibly an epilogue shutdown: the n-th non-epilogue call is the n-th sorted op.
 */
function mapSources(history: History): Map<number, Operation> {
  const sources = new Map<number, Operation>();
  const ops = Array.isArray(history.scenario?.ops)
    ? [...history.scenario.ops].sort((a, b) => a.at - b.at)
    : [];
  let next = 0;
  for (const entry of history.entries) {
    if (entry.kind !== "call" || entry.epilogue) continue;
    const op = ops[next];
    next += 1;
    if (op && op.op === entry.operation.op) sources.set(entry.callId, op);
  }
  return sources;
}
