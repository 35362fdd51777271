/**
 * The bytes of a security scenario's probes, as a hostile or broken client sends them: forged
 * tokens (probeToken, in transport/token.ts), and frames that are not JSON, binary, oversize or not UTF-8.
 */

import { cut } from "../../run/ws-record.ts";
import type { SimSocket } from "../../transport/client.ts";
import type { ProbeFrame } from "../../transport/wire-log.ts";

/** How a probe frame is described in the wire log, and how it is sent. */
export function probeBytes(frame: ProbeFrame): { text: string; send: (sim: SimSocket) => void } {
  if ("json" in frame) {
    const text = JSON.stringify(frame.json);
    return { text: cut(text), send: (sim) => sim.send(text) };
  }
  if ("text" in frame) return { text: cut(frame.text), send: (sim) => sim.send(frame.text) };
  if ("binary" in frame) {
    return {
      text: `<binary, ${frame.binary} bytes>`,
      send: (sim) => sim.sendBinary(new Uint8Array(frame.binary).fill(0x7b)),
    };
  }
  if ("oversize" in frame) {
    const shell = '{"type":"stats","pad":""}';
    const pad = "x".repeat(Math.max(0, frame.oversize - shell.length));
    return {
      text: `<text, ${frame.oversize} bytes>`,
      send: (sim) => sim.send(`{"type":"stats","pad":"${pad}"}`),
    };
  }
  return { text: "<text, not UTF-8>", send: (sim) => sim.sendInvalidUtf8() };
}
