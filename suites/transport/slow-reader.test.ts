// A client that stops reading: the gateway must not buffer for it without bound. Past the bound
// on the socket's buffered bytes it closes that socket with 1013 and tells the engine it is gone;
// the same user's other tab and other users get everything, without waiting for the slow one.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import ssot from "../../engines/ssot/index.ts";
import { SimSocket } from "../../harness/transport/client.ts";
import { type Served, serveEngine } from "../../harness/transport/serve.ts";

const BOUND = 64 * 1024;
const RUNS = 10;
/** Big events, so that the kernel's socket buffers (a few MB on loopback) fill quickly. */
const STEPS = Array.from({ length: 16 }, (_, i) => ({ think: `${i} ${"x".repeat(60_000)}` }));
const EVENTS_PER_RUN = STEPS.length + 2;

function execute(socket: SimSocket, runId: string) {
  socket.send({
    type: "execute",
    requestId: `req-${runId}`,
    threadId: "thread",
    runId,
    agentName: "scripted",
    input: { steps: STEPS },
  });
}

/** Resolves once `socket` has received a result frame for every one of `runIds`. */
function results(socket: SimSocket, runIds: string[]): Promise<void> {
  const done = () =>
    runIds.every((runId) =>
      socket.frames.some(
        (f) => f.text.startsWith('{"type":"result"') && f.text.includes(`"runId":"${runId}"`),
      ),
    );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no results for ${runIds.join(", ")} on ${socket.name}`)),
      30_000,
    );
    const check = setInterval(() => {
      if (!done()) return;
      clearTimeout(timer);
      clearInterval(check);
      resolve();
    }, 5);
  });
}

describe("a client that stops reading", () => {
  let served: Served;
  const closes: { id: string; code: number; by: string }[] = [];

  beforeAll(async () => {
    served = await serveEngine(ssot, {
      limits: { perUserConcurrency: RUNS },
      maxBufferedBytes: BOUND,
      slowCloseGraceMs: 100,
      tap: { closed: (socket, code, _reason, by) => closes.push({ id: socket.id, code, by }) },
    });
  });
  afterAll(async () => {
    await served?.close();
  });

  it("is closed with 1013 past the bound; the user's other tab and other users are served", async () => {
    const slow = new SimSocket(served.url, { name: "u1-slow", token: served.token("u1") });
    const tab = new SimSocket(served.url, { name: "u1-tab", token: served.token("u1") });
    const other = new SimSocket(served.url, { name: "u2-tab", token: served.token("u2") });
    await Promise.all([slow.opened, tab.opened, other.opened]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    slow.pause();

    const mine = Array.from({ length: RUNS }, (_, i) => `u1-run-${i}`);
    for (const runId of mine) execute(tab, runId);
    execute(other, "u2-run");
    // Both finish while the slow tab is still paused: nobody waited for it.
    await Promise.all([results(tab, mine), results(other, ["u2-run"])]);
    expect(served.gateway.slowReaders).toHaveLength(1);
    const [closed] = served.gateway.slowReaders;
    expect(closed?.userId).toBe("u1");
    // Closed as soon as the bound was passed: by at most one event more than the bound.
    expect(closed?.buffered).toBeGreaterThan(BOUND);
    expect(closed?.buffered).toBeLessThanOrEqual(BOUND + 64 * 1024 + 1024);

    // Every event of every run reached the reading tab and the other user, in order.
    const events = (socket: SimSocket) =>
      socket.frames.map((f) => JSON.parse(f.text)).filter((f) => typeof f.seq === "number");
    for (const runId of mine) {
      const seqs = events(tab)
        .filter((e) => e.runId === runId)
        .map((e) => e.seq);
      expect(seqs).toEqual(Array.from({ length: EVENTS_PER_RUN }, (_, i) => i + 1));
    }
    expect(events(other).map((e) => e.seq)).toEqual(
      Array.from({ length: EVENTS_PER_RUN }, (_, i) => i + 1),
    );
    expect(events(tab).every((e) => e.userId === "u1")).toBe(true);

    // The slow socket is gone on the server: closed by the gateway with 1013.
    slow.resume();
    await slow.closed;
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(closes.find((c) => c.code === 1013)).toMatchObject({ code: 1013, by: "gateway" });
    // The engine was told: it keeps nothing for the socket that is gone.
    expect(served.engine.stats().perUser.u1?.bufferedEvents ?? 0).toBe(0);
    expect(tab.isOpen && other.isOpen).toBe(true);
    await Promise.all([tab.close(), other.close()]);
  });
});
