// A server that refuses, accepts and closes, answers garbage or never answers: each gets a
// failure that says which, within the deadline, never a hang.

import type { AddressInfo } from "node:net";
import { createServer, type Server } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocketServer } from "ws";
import { checkRemote } from "../../harness/adapters/remote/check.ts";

const DEADLINE_MS = 600;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function wsServer(onConnection: (ws: import("ws").WebSocket) => void): Promise<string> {
  const server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  server.on("connection", onConnection);
  cleanups.push(async () => {
    for (const client of server.clients) client.terminate();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function tcpServer(onSocket: (socket: import("node:net").Socket) => void): Promise<string> {
  const sockets = new Set<import("node:net").Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    onSocket(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function check(url: string) {
  const report = await checkRemote(
    { url, secret: "s3cret" },
    { connectTimeoutMs: DEADLINE_MS, scenarios: ["events-think-and-tools"] },
  );
  return { report };
}

describe("checkRemote against servers that cannot be checked", () => {
  it("a closed port: the connection is refused", async () => {
    const url = await tcpServer(() => {});
    cleanups.pop()?.();
    const { report } = await check(url);
    expect(report.failure).toMatch(/refused the connection \(ECONNREFUSED\)/);
    expect(report.clauses).toEqual([]);
  });

  it("a server that accepts and closes at once", async () => {
    const url = await wsServer((ws) => ws.close(1011, "not today"));
    const { report } = await check(url);
    expect(report.failure).toMatch(
      /closed the socket with 1011 "not today" before sending welcome/,
    );
  });

  it("a server that rejects the token with 4401 says to check the secret", async () => {
    const url = await wsServer((ws) => ws.once("message", () => ws.close(4401, "bad token")));
    const { report } = await check(url);
    expect(report.failure).toMatch(/4401.*is the secret the engine's\?/);
  });

  it("a server that answers garbage", async () => {
    const url = await wsServer((ws) => ws.once("message", () => ws.send("<html>hello</html>")));
    const { report } = await check(url);
    expect(report.failure).toMatch(/answered the auth frame with text that is not JSON/);
  });

  it("a server whose welcome breaks the protocol", async () => {
    const url = await wsServer((ws) =>
      ws.once("message", () =>
        ws.send(JSON.stringify({ type: "welcome", userId: "crosstalk-hello" })),
      ),
    );
    const { report } = await check(url);
    expect(report.failure).toMatch(/welcome frame the protocol does not allow: limits/);
  });

  it("a server that never answers the auth frame: failure at the deadline", async () => {
    const url = await wsServer(() => {});
    const { report } = await check(url);
    expect(report.failure).toMatch(new RegExp(`sent no welcome within ${DEADLINE_MS} ms`));
  });

  it("a TCP server that never completes the WebSocket handshake", async () => {
    const url = await tcpServer(() => {});
    const { report } = await check(url);
    expect(report.failure).toMatch(/did not complete a WebSocket handshake within/);
  });

  it("a server that speaks HTTP, not WebSocket", async () => {
    const url = await tcpServer((socket) =>
      socket.once("data", () => socket.end("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nhi")),
    );
    const { report } = await check(url);
    expect(report.failure).toMatch(
      /could not be reached as a WebSocket server: Unexpected server response: 200/,
    );
  });

  it("a server that welcomes but never runs anything: the warm-up run fails", async () => {
    const limits = {
      perUserConcurrency: 3,
      globalConcurrency: 64,
      maxQueuedPerUser: 100,
      runTimeoutMs: 1000,
      bufferPerUser: 1000,
      maxInputBytes: 1024,
      maxEventBytes: 1024,
    };
    const url = await wsServer((ws) =>
      ws.once("message", (data) => {
        const userId = String(JSON.parse(String(data)).token).split(".")[0];
        ws.send(JSON.stringify({ type: "welcome", userId, limits, capabilities: [] }));
      }),
    );
    const { report } = await check(url);
    expect(report.failure).toMatch(
      /gave no result within 600 ms \(a one-step run of the conformance agent `scripted`\)/,
    );
  });
});
