/**
 * Engine calls and how they settle, whoever made them (the gateway for a frame, the driver for
 * an operator's call): what the engine was handed, whether it mutated it, what it returned, and
 * from that, when each object the engine was handed must be gone (retention).
 */
import type { ExecuteRequest, UserExecutionContext } from "../contract/index.ts";
import type { CallOutcome } from "../transport/gateway.ts";
import type { ReturnEntry } from "./history.ts";
import type { TrackedObject } from "./recorder.ts";
import type { RetentionRules } from "./retention.ts";
import { isThenable } from "./ws-record.ts";
import type { WireOp, WireState } from "./ws-state.ts";

/** Records what an execute hands the engine, and its JSON then, to tell a mutation later. */
export function handOver(
  state: WireState,
  op: WireOp,
  context: UserExecutionContext,
  request: ExecuteRequest,
): void {
  const { recorder } = state.o;
  const { userId, runId } = context;
  const callId = op.callId;
  recorder.track("context", context, userId, runId, callId);
  recorder.track("request", request, userId, runId, callId);
  if (typeof request.input === "object" && request.input !== null) {
    recorder.track("input", request.input, userId, runId, callId);
  }
  if (op.operation.op === "execute" && callId !== undefined) {
    const calls = state.runCalls.get(runId) ?? [];
    if (!calls.includes(callId)) state.runCalls.set(runId, [...calls, callId]);
  }
  op.handed = { context, request, before: [JSON.stringify(context), JSON.stringify(request)] };
}

export function executeSettled(state: WireState, op: WireOp, outcome: CallOutcome): void {
  const callId = op.callId as number;
  const handed = op.handed;
  op.handed = undefined;
  state.settled.add(callId);
  state.settledCount += 1;
  if ("threw" in outcome) {
    state.o.recorder.threw(callId, outcome.threw);
    return;
  }
  const mutated: ("context" | "request")[] = [];
  if (handed && JSON.stringify(handed.context) !== handed.before[0]) mutated.push("context");
  if (handed && JSON.stringify(handed.request) !== handed.before[1]) mutated.push("request");
  state.o.recorder.returned(callId, outcome.value, mutated);
  op.returned = state.last() as ReturnEntry;
}

/** Records a call's outcome, now or when its promise settles; `counts`: retention may change. */
export function settleCall(
  state: WireState,
  callId: number,
  outcome: unknown,
  counts = false,
  then?: () => void,
): void {
  const finish = (result: CallOutcome) => {
    if (counts) state.settledCount += 1;
    state.settled.add(callId);
    if ("threw" in result) state.o.recorder.threw(callId, result.threw);
    else state.o.recorder.returned(callId, result.value);
    then?.();
  };
  if (isThenable(outcome)) {
    Promise.resolve(outcome).then(
      (value) => finish({ value }),
      (error: unknown) => finish({ threw: error }),
    );
  } else finish({ value: outcome });
}

export function done(state: WireState, callId: number, value: unknown): void {
  state.settled.add(callId);
  state.o.recorder.returned(callId, value);
}

/** When each tracked object must be gone, from what has settled. */
export function retentionRules(state: WireState): RetentionRules {
  const runSettled = (runId: string) => {
    const calls = state.runCalls.get(runId);
    return calls?.every((callId) => state.settled.has(callId)) === true;
  };
  return {
    runSettled: (object: TrackedObject) =>
      object.callId !== undefined
        ? state.settled.has(object.callId)
        : object.runId !== undefined && runSettled(object.runId),
    userClosed: (object: TrackedObject) => {
      const index = state.closedUsers.get(object.userId);
      const callId = state.closeCalls.get(object.userId);
      return (
        index !== undefined &&
        callId !== undefined &&
        object.since <= index &&
        state.settled.has(callId)
      );
    },
    harnessBusy: (object: TrackedObject) => state.o.recorder.isWorking(object.runId),
  };
}
