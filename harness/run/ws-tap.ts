/**
 * The gateway's tap: what the gateway hands the engine and writes, seen synchronously and in
 * order, recorded as the in-process runner would record it.
 * - A call is recorded when the engine is called, not when the client sent the frame; its return
 *   when the engine answered.
 * - An event gets its place in the history when the gateway writes it (the engine's order); its
 *   content is what the socket actually received, filled in when the frame arrives (ws-frames.ts).
 *   Results are filled in from result frames the same way.
 */
import type { Connection, ExecuteRequest, UserExecutionContext } from "../contract/index.ts";
import type {
  CallOutcome,
  EngineCall,
  GatewayTap,
  SentKind,
  SocketRef,
} from "../transport/gateway.ts";
import type { DeliveryEntry, ReturnEntry } from "./history.ts";
import { executeSettled, handOver } from "./ws-calls.ts";
import type { Slot } from "./ws-record.ts";
import type { WireState } from "./ws-state.ts";

export class WireTap implements GatewayTap {
  readonly #state: WireState;

  constructor(state: WireState) {
    this.#state = state;
  }

  frame(ref: SocketRef, frameNo: number): void {
    const state = this.#state;
    const sock = state.sockOf(ref);
    if (!sock) return;
    const op = sock.ops[frameNo];
    if (!op || op.callId !== undefined) return;
    state.o.clock.startLineage();
    op.callId = state.o.recorder.call(op.operation);
    if (op.operation.op === "execute") {
      const runId = op.operation.context.runId;
      state.runCalls.set(runId, [...(state.runCalls.get(runId) ?? []), op.callId]);
    }
  }

  handled(ref: SocketRef, frameNo: number): void {
    const sock = this.#state.sockOf(ref);
    if (sock) sock.handled = Math.max(sock.handled, frameNo + 1);
    this.#state.quiet.poke();
  }

  attach(ref: SocketRef, connection: Connection): void {
    const sock = this.#state.sockOf(ref);
    if (sock) sock.log.authenticated = true;
    this.#state.o.recorder.track("connection", connection, connection.userId);
  }

  execute(ref: SocketRef, frameNo: number, context: UserExecutionContext, request: ExecuteRequest) {
    const op = this.#state.sockOf(ref)?.ops[frameNo];
    if (op) handOver(this.#state, op, context, request);
  }

  detach(ref: SocketRef, why: string): void {
    const state = this.#state;
    const sock = state.sockOf(ref);
    if (!sock) return;
    sock.usable = false;
    // A detach the scenario asked for, or one the gateway made (a socket it had to close).
    const op = sock.detachOp ?? { operation: { op: "detach", connectionId: sock.name } };
    sock.detachOp = op;
    if (op.callId === undefined) {
      state.o.clock.startLineage();
      op.callId = state.o.recorder.call(op.operation);
      if (!why.startsWith("the client")) {
        state.log.direct.push({ entry: state.o.recorder.entries.length - 1, why });
      }
    }
  }

  outcome(ref: SocketRef, call: EngineCall, frameNo: number | undefined, outcome: CallOutcome) {
    const state = this.#state;
    const sock = state.sockOf(ref);
    if (!sock) return;
    const op = call === "detach" ? sock.detachOp : sock.ops[frameNo ?? 0];
    if (!op || op.callId === undefined) return;
    if (call === "attach" && !("threw" in outcome)) sock.usable = true;
    if (call === "execute") return executeSettled(state, op, outcome);
    state.settled.add(op.callId);
    if ("threw" in outcome) state.o.recorder.threw(op.callId, outcome.threw);
    else {
      state.o.recorder.returned(op.callId, outcome.value);
      op.returned = state.last() as ReturnEntry;
    }
    state.quiet.poke();
  }

  sent(ref: SocketRef, outNo: number, kind: SentKind, answers: number | undefined): void {
    const state = this.#state;
    const sock = state.sockOf(ref);
    if (!sock) return;
    const slot: Slot = { kind, writtenAt: performance.now() };
    if (answers !== undefined) slot.answers = answers;
    if (kind === "event") {
      const { recorder } = state.o;
      if (recorder.truncated || recorder.entries.length >= state.o.maxEntries) {
        recorder.deliver(sock.name, sock.user ?? "", null);
        state.log.lost.push({ connectionId: sock.name, why: "the history was full" });
        return;
      }
      slot.entry = recorder.append({
        kind: "deliver",
        connectionId: sock.name,
        connectionUserId: sock.user ?? "",
        event: null,
      }) as DeliveryEntry;
    } else if (answers !== undefined) {
      const op = sock.ops[answers];
      if (op?.returned) slot.entry = op.returned;
      else if (op && kind === "error" && op.callId !== undefined && !state.settled.has(op.callId)) {
        // The gateway refused the frame before the engine saw it: a typed refusal.
        state.settled.add(op.callId);
        state.o.recorder.returned(op.callId, null);
        slot.entry = state.last() as ReturnEntry;
        slot.op = op;
      }
    }
    sock.slots.set(outNo, slot);
  }

  unsendable(ref: SocketRef, event: unknown, problem: string): void {
    const state = this.#state;
    const sock = state.sockOf(ref);
    if (!sock) return;
    // What the in-process transport records for the same frame: a malformed delivery.
    state.o.recorder.deliver(sock.name, sock.user ?? "", event);
    state.log.lost.push({ connectionId: sock.name, why: `the engine sent ${problem}` });
  }

  closed(ref: SocketRef, code: number, reason: string, by: "client" | "gateway"): void {
    const state = this.#state;
    const sock = state.sockOf(ref);
    if (!sock) return;
    sock.usable = false;
    sock.gatewayClosed = true;
    sock.log.close = {
      code,
      reason,
      by,
      at: state.o.clock.now(),
      realMs: performance.now() - state.o.startedAt,
    };
    const attachOp = sock.ops[0];
    if (
      attachOp?.operation.op === "attach" &&
      attachOp.callId !== undefined &&
      !state.settled.has(attachOp.callId)
    ) {
      state.settled.add(attachOp.callId);
      state.o.recorder.threw(attachOp.callId, new Error(`the gateway closed the socket (${code})`));
    }
    state.quiet.poke();
  }
}
