/**
 * `npm run bench:ws`: the checked throughput of crosstalk over real WebSockets, against a plain
 * `ws` server on the same machine in the same run.
 *
 * 1. crosstalk: USERS simulated users (one socket each, in this process) send RUNS runs each to
 *    the reference engine behind the gateway (ws runner, pipelined). Reported: events delivered
 *    per second while streaming (first event written to last received, as the baseline counts),
 *    events delivered and checked (every clause) per second (streaming plus checking), and
 *    emit-to-receive latency (the gateway's write to the client's receipt) p50 and p99.
 * 2. baseline: a plain ws server pushes the same number of frames of the same size to the same
 *    number of clients, as fast as they take them. Reported: frames per second and latency.
 * Each in-process socket pair costs two open files: USERS must stay under half the limit.
 */

import type { AddressInfo } from "node:net";
import os from "node:os";
import { WebSocket, WebSocketServer } from "ws";
import ssot from "../../engines/ssot/index.ts";
import { checkHistory } from "../checkers/index.ts";
import { runScenarioWs } from "../run/ws-runner.ts";
import { loadScenario } from "../transport/load.ts";

const USERS = Number(process.env.BENCH_USERS ?? 5000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

async function crosstalk() {
  const started = performance.now();
  const history = await runScenarioWs(ssot, loadScenario(USERS, RUNS), {
    pipeline: true,
    realDeadlineMs: 600_000,
    maxEntries: 10_000_000,
  });
  const ran = performance.now();
  if (history.failure) throw new Error(`the run failed: ${history.failure.message}`);
  const verdicts = checkHistory(history);
  const checked = performance.now();
  const broken = verdicts.filter((v) => v.verdict === "broken");
  if (broken.length > 0)
    throw new Error(`the reference broke ${broken.map((v) => v.id).join(", ")}`);
  const deliveries = history.entries.filter((e) => e.kind === "deliver");
  const bytes = deliveries.reduce((sum, e) => sum + JSON.stringify(e.event).length, 0);
  const latencies: number[] = [];
  let first = Number.POSITIVE_INFINITY;
  let last = 0;
  for (const socket of history.wire?.sockets ?? []) {
    for (const frame of socket.received) {
      if (frame.type !== "event") continue;
      if (frame.latencyMs !== undefined) latencies.push(frame.latencyMs);
      first = Math.min(first, frame.realMs - (frame.latencyMs ?? 0));
      last = Math.max(last, frame.realMs);
    }
  }
  latencies.sort((a, b) => a - b);
  return {
    events: deliveries.length,
    frameBytes: Math.round(bytes / Math.max(1, deliveries.length)),
    totalMs: ran - started,
    /** From the first event written to the last received: the streaming, without set-up. */
    runMs: last - first,
    checkMs: checked - ran,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

/** A plain ws server pushing `perClient` frames of `bytes` to each of `clients` clients. */
async function plainWs(clients: number, perClient: number, bytes: number) {
  const server = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false });
  await new Promise((resolve) => server.once("listening", resolve));
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const serverSockets: WebSocket[] = [];
  server.on("connection", (socket) => serverSockets.push(socket));
  const latencies: number[] = [];
  let received = 0;
  const total = clients * perClient;
  let done: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    done = resolve;
  });
  const sockets: WebSocket[] = [];
  for (let i = 0; i < clients; i += 1) {
    const socket = new WebSocket(url, { perMessageDeflate: false });
    socket.on("message", (data) => {
      const text = data.toString();
      const sentAt = Number(text.slice(8, text.indexOf(",")));
      latencies.push(performance.now() - sentAt);
      if (++received === total) done();
    });
    sockets.push(socket);
    await new Promise((resolve) => socket.once("open", resolve));
  }
  while (serverSockets.length < clients) await new Promise((resolve) => setImmediate(resolve));
  const pad = "x".repeat(Math.max(0, bytes - 40));
  const started = performance.now();
  // The same shape of work as the engine's: rounds of one frame to every client.
  for (let round = 0; round < perClient; round += 1) {
    for (const socket of serverSockets) socket.send(`{"sent":${performance.now()},"pad":"${pad}"}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
  await finished;
  const ms = performance.now() - started;
  for (const socket of sockets) socket.terminate();
  await new Promise((resolve) => server.close(resolve));
  latencies.sort((a, b) => a - b);
  return { frames: total, ms, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

async function main() {
  const cpu = os.cpus()[0]?.model ?? "cpu";
  console.log(
    `crosstalk ws benchmark — ${cpu}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")}`,
  );
  console.log(`${USERS} users × ${RUNS} runs, one socket each, everything in this process\n`);
  const ours = await crosstalk();
  const perClient = Math.round(ours.events / USERS);
  const plain = await plainWs(USERS, perClient, ours.frameBytes);
  const perSecond = (n: number, ms: number) => Math.round((n / ms) * 1000);
  const checkedRate = perSecond(ours.events, ours.runMs + ours.checkMs);
  const plainRate = perSecond(plain.frames, plain.ms);
  console.table([
    {
      what: "crosstalk: delivered (engine → gateway → socket → history)",
      frames: ours.events,
      "bytes/frame": ours.frameBytes,
      seconds: (ours.runMs / 1000).toFixed(2),
      "frames/s": perSecond(ours.events, ours.runMs),
      "p50 ms": ours.p50.toFixed(2),
      "p99 ms": ours.p99.toFixed(2),
    },
    {
      what: "crosstalk: delivered and checked (every clause)",
      frames: ours.events,
      "bytes/frame": ours.frameBytes,
      seconds: ((ours.runMs + ours.checkMs) / 1000).toFixed(2),
      "frames/s": checkedRate,
      "p50 ms": "",
      "p99 ms": "",
    },
    {
      what: "baseline: plain ws server pushing the same frames",
      frames: plain.frames,
      "bytes/frame": ours.frameBytes,
      seconds: (plain.ms / 1000).toFixed(2),
      "frames/s": plainRate,
      "p50 ms": plain.p50.toFixed(2),
      "p99 ms": plain.p99.toFixed(2),
    },
  ]);
  console.log(
    `checked throughput / plain baseline: ${(checkedRate / plainRate).toFixed(2)} (aim: at least 0.5)`,
  );
  console.log(
    `crosstalk times: streaming ${(ours.runMs / 1000).toFixed(2)} s (first event written to last received), checking ${(ours.checkMs / 1000).toFixed(2)} s; the whole run with ${USERS} sockets opened, authenticated and closed took ${(ours.totalMs / 1000).toFixed(2)} s`,
  );
}

await main();
