// The reference engine served over the wire and checked from frames alone: every clause the
// wire can show holds, every other is not-checked with a reason. A legacy engine served the
// same way is caught, and so are engines that lie in stats, never time out, or never answer.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadEngine } from "../../harness/adapters/load.ts";
import { checkRemote } from "../../harness/adapters/remote/check.ts";
import { NOT_FROM_THE_WIRE } from "../../harness/adapters/remote/judge.ts";
import { type LiveServed, serveLive } from "../../harness/adapters/remote/serve-live.ts";
import type { ClauseResult, EngineReport } from "../../harness/conformance/check-engine.ts";
import type { EngineModule } from "../../harness/contract/index.ts";
import { mutant } from "../fixtures/mutant.ts";
import { QUICK_COVER } from "../launch/quick-cover.ts";
import { expectWireClausesHeld } from "../launch/wire-verdicts.ts";

const LIMITS = { runTimeoutMs: 1000 };

async function served(module: EngineModule): Promise<LiveServed> {
  return serveLive(module, { limits: LIMITS, authTimeoutMs: 300 });
}

function byId(report: EngineReport): Map<string, ClauseResult> {
  return new Map(report.clauses.map((c) => [c.id, c]));
}

describe("the reference engine, served and checked over the wire", () => {
  let server: LiveServed;
  let report: EngineReport;
  beforeAll(async () => {
    server = await served(await loadEngine("ssot"));
    report = await checkRemote(
      { url: server.url, secret: server.secret },
      { scenarios: QUICK_COVER.scenarios, seed: 7 },
    );
  }, 90_000);
  afterAll(() => server?.close());

  it("breaks no clause and holds every clause the quick scenarios exercise over the wire", () => {
    expectWireClausesHeld(report, QUICK_COVER);
  });

  it("reports what the wire cannot show as not-checked, with the reason, never held", () => {
    const clauses = byId(report);
    for (const [id, reason] of Object.entries(NOT_FROM_THE_WIRE)) {
      expect(clauses.get(id as ClauseResult["id"])).toEqual({ id, verdict: "not-checked", reason });
    }
  });
});

describe("engines that break the contract, served and checked over the wire", () => {
  it("a legacy engine that routes one user's run to another is caught", async () => {
    const server = await served(await loadEngine("request-scoped"));
    try {
      const report = await checkRemote(
        { url: server.url, secret: server.secret },
        { scenarios: ["delivery-colliding-thread-ids"] },
      );
      const clauses = byId(report);
      expect(clauses.get("isolation.canary")?.verdict).toBe("broken");
      expect(clauses.get("delivery.owner-only")?.verdict).toBe("broken");
      expect(clauses.get("delivery.owner-only")?.witness?.replay).toMatch(
        /^npx crosstalk run --url ws:\/\/127\.0\.0\.1:\d+ --secret <secret> --scenario delivery-colliding-thread-ids$/,
      );
    } finally {
      await server.close();
    }
  }, 60_000);

  it("an engine whose stats frames miscount is caught by cleanup.stats", async () => {
    const lying = mutant("lying-stats", (engine) => ({
      stats: () => {
        const stats = engine.stats();
        for (const user of Object.values(stats.perUser)) user.queuedRuns += 1;
        return stats;
      },
    }));
    const server = await served(lying);
    try {
      const report = await checkRemote(
        { url: server.url, secret: server.secret },
        { scenarios: ["events-think-and-tools"] },
      );
      expect(byId(report).get("cleanup.stats")?.witness?.summary).toMatch(
        /said queuedRuns 1, but the socket had seen 0/,
      );
    } finally {
      await server.close();
    }
  }, 60_000);

  it("an engine with no timeout is caught by time.timeout", async () => {
    const server = await served(await loadEngine("base-executor"));
    try {
      const report = await checkRemote(
        { url: server.url, secret: server.secret },
        { scenarios: ["events-timeouts"], graceMs: 500 },
      );
      expect(byId(report).get("time.timeout")?.verdict).toBe("broken");
    } finally {
      await server.close();
    }
  }, 60_000);

  it("an engine that never answers an execute is caught by concurrency.no-deadlock", async () => {
    let executes = 0;
    const silent = mutant("never-answers", (engine) => ({
      // The warm-up run is answered; the scenario's are not.
      execute: (context, request) =>
        ++executes === 1 ? engine.execute(context, request) : new Promise(() => {}),
    }));
    const server = await served(silent);
    try {
      const report = await checkRemote(
        { url: server.url, secret: server.secret },
        { scenarios: ["cancel-finished-or-unknown"], graceMs: 300 },
      );
      expect(byId(report).get("concurrency.no-deadlock")?.witness?.summary).toMatch(
        /the execute of run r1 \(user u1@1\.[0-9a-f]+\) got no answer on its still-open socket/,
      );
    } finally {
      await server.close();
    }
  }, 60_000);
});
