/**
 * Probes: a hostile or broken client's moves (the security scenarios). A socket that connects
 * with a forged token or none, frames of garbage, of the wrong shape, oversize, binary or not
 * UTF-8, and a socket dropped in the middle of a frame. Each is logged as it was sent.
 */
import { probeToken } from "../transport/token.ts";
import type { Probe, WireSent } from "../transport/wire-log.ts";
import { open } from "./ws-issue.ts";
import { cut } from "./ws-record.ts";
import type { WireState } from "./ws-state.ts";

export function probe(state: WireState, probe: Probe): void {
  if (probe.probe === "connect") {
    if (!probe.token) {
      open(state, probe.socket, undefined, {});
      return;
    }
    const sock = open(state, probe.socket, probe.token.user, {
      token: probeToken(state.o.secret, probe.token),
    });
    const auth = sock.log.sent[0] as WireSent;
    auth.kind = "probe";
    auth.probe = "bad-token";
    auth.text = `<auth with a token ${probe.token.forge}>`;
    return;
  }
  const sock = state.must(probe.socket);
  if (probe.probe === "drop") {
    sock.sim.dropMidFrame();
    return;
  }
  const frame = probe.frame;
  const named = "json" in frame ? (frame.json as Record<string, unknown> | null) : null;
  const sent: WireSent = {
    no: sock.frames,
    at: state.o.clock.now(),
    kind: "probe",
    probe: sock.log.authenticated || sock.usable ? probe.kind : "before-auth",
  };
  if (named && typeof named === "object" && !Array.isArray(named)) {
    if (typeof named.type === "string") sent.type = named.type;
    if (typeof named.runId === "string") sent.runId = named.runId;
    if (typeof named.userId === "string") sent.claims = named.userId;
  }
  sock.frames += 1;
  if ("json" in frame) {
    sent.text = cut(JSON.stringify(frame.json));
    sock.sim.send(JSON.stringify(frame.json));
  } else if ("text" in frame) {
    sent.text = cut(frame.text);
    sock.sim.send(frame.text);
  } else if ("binary" in frame) {
    sent.text = `<binary, ${frame.binary} bytes>`;
    sock.sim.sendBinary(new Uint8Array(frame.binary).fill(0x7b));
  } else if ("oversize" in frame) {
    sent.text = `<text, ${frame.oversize} bytes>`;
    const shell = '{"type":"stats","pad":""}';
    sock.sim.send(
      `{"type":"stats","pad":"${"x".repeat(Math.max(0, frame.oversize - shell.length))}"}`,
    );
  } else {
    sent.text = "<text, not UTF-8>";
    sock.sim.sendInvalidUtf8();
  }
  sock.log.sent.push(sent);
}
