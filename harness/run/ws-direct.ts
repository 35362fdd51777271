/**
 * Operations no socket can carry, made by the harness directly, as an operator would: closeUser,
 * stats, shutdown, and executes, cancels and detaches that no open socket or no frame can carry
 * (a user with no tab, a request JSON cannot hold). The wire log lists the client-side ones.
 */
import type { UserExecutionContext } from "../contract/index.ts";
import type { Operation } from "./scenario.ts";
import { done, executeSettled, handOver, settleCall } from "./ws-calls.ts";
import type { ExecuteOp, WireOp, WireState } from "./ws-state.ts";

export async function direct(
  state: WireState,
  operation: Operation,
  why: string,
  epilogue = false,
): Promise<void> {
  const { engine, recorder, clock } = state.o;
  clock.startLineage();
  const callId = recorder.call(operation, epilogue);
  const entry = recorder.entries.length - 1;
  if (operation.op === "execute" || operation.op === "cancel" || operation.op === "detach") {
    state.log.direct.push({ entry, why });
  }
  try {
    switch (operation.op) {
      case "attach":
        throw new Error("attach always goes over a socket");
      case "detach":
        engine.detach(operation.connectionId);
        return done(state, callId, undefined);
      case "execute":
        return directExecute(state, callId, operation);
      case "cancel":
        return settleCall(state, callId, engine.cancel(operation.runId, operation.byUserId));
      case "closeUser": {
        const user = operation.userId;
        state.closedUsers.set(user, entry);
        state.closeCalls.set(user, callId);
        for (const sock of state.socks) if (sock.user === user) sock.usable = false;
        return settleCall(state, callId, engine.closeUser(user), true, () =>
          state.gateway.endSession(user),
        );
      }
      case "stats": {
        const stats = engine.stats();
        recorder.stats(stats, false);
        return done(state, callId, stats);
      }
      case "shutdown":
        state.shutdownCalls.push(callId);
        for (const sock of state.socks) sock.usable = false;
        return settleCall(state, callId, engine.shutdown(), false, () => state.gateway.endAll());
    }
  } catch (error) {
    state.settled.add(callId);
    recorder.threw(callId, error);
  }
}

function directExecute(state: WireState, callId: number, operation: ExecuteOp): void {
  const context = structuredClone(operation.context) as UserExecutionContext;
  const request = structuredClone(operation.request);
  const op: WireOp = { operation, callId };
  handOver(state, op, context, request);
  Promise.resolve(state.o.engine.execute(context, request)).then(
    (value) => executeSettled(state, op, { value }),
    (error: unknown) => executeSettled(state, op, { threw: error }),
  );
}
