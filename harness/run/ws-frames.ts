/**
 * The clients' side of the bookkeeping: each frame a socket receives fills the history entry its
 * write reserved (ws-tap.ts) and goes into the wire log, with its latency; a close is logged as
 * the client saw it. At the end, deliveries whose frame never arrived are dropped from the
 * history (the socket never received them).
 */
import type { JsonValue } from "../contract/index.ts";
import type { CloseInfo, ReceivedFrame } from "../transport/client.ts";
import { serverFrameType } from "../transport/protocol.ts";
import type { WireLog, WireReceived } from "../transport/wire-log.ts";
import type { HistoryEntry } from "./history.ts";
import { compact, fill } from "./ws-record.ts";
import type { Sock, WireState } from "./ws-state.ts";

export function arrived(state: WireState, sock: Sock, frame: ReceivedFrame): void {
  const received: WireReceived = {
    no: frame.no,
    type: frame.binary ? "binary" : "event",
    afterSent: sock.sim.sentFrames,
    realMs: frame.at - state.o.startedAt,
  };
  let parsed: unknown = frame.text;
  try {
    parsed = JSON.parse(frame.text);
  } catch {
    // Kept as text: a delivery of something that is not JSON.
  }
  const type = serverFrameType(parsed);
  if (type) received.type = type;
  // What JSON.parse made is plain JSON already, and nobody else holds it: no copy needed.
  if (type && type !== "result") received.frame = parsed as JsonValue;
  const slot = sock.slots.get(frame.no);
  if (slot) {
    sock.slots.delete(frame.no);
    received.latencyMs = frame.at - slot.writtenAt;
    if (slot.answers !== undefined) received.answers = slot.answers;
    if (slot.entry) {
      received.entry = slot.entry.index;
      fill(slot, parsed);
    }
  }
  sock.log.received.push(received);
  if (slot && sock.slots.size === 0) state.quiet.poke();
}

export function clientClosed(state: WireState, sock: Sock, info: CloseInfo): void {
  sock.closed = true;
  sock.usable = false;
  if (!sock.log.close) {
    sock.log.close = {
      code: info.code,
      reason: info.reason,
      by: info.byClient ? "client" : "gateway",
      at: state.o.clock.now(),
      realMs: info.at - state.o.startedAt,
    };
  }
  state.quiet.poke();
}

/**
 * The wire log, once the run is over. Deliveries whose frame never arrived are dropped from the
 * history (the socket never received them), and the entries renumbered.
 */
export function finish(state: WireState): WireLog {
  const lost = new Set<HistoryEntry>();
  for (const sock of state.socks) {
    for (const slot of sock.slots.values()) {
      if (slot.entry?.kind === "deliver") {
        lost.add(slot.entry);
        state.log.lost.push({
          connectionId: sock.name,
          why: "its socket closed before it arrived",
        });
      } else if (slot.entry && slot.op) lost.add(slot.entry);
    }
    sock.slots.clear();
  }
  if (lost.size > 0) compact(state.o.recorder, state.closedUsers, lost, state.log);
  return state.log;
}
