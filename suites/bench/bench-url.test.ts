import { afterAll, beforeAll, describe, expect, it } from "vitest";
import legacyGlobal from "../../engines/legacy-global/index.ts";
import ssot from "../../engines/ssot/index.ts";
import { type LiveServed, serveLive } from "../../harness/adapters/remote/serve-live.ts";
import { EXIT } from "../../harness/cli/exit-codes.ts";
import type { BenchDocument } from "../../reports/bench-schema.ts";
import { tinyBench } from "./tiny.ts";

const SECRET = "bench-url-secret";
const served: LiveServed[] = [];
let document: BenchDocument;
let exitCode: number;

beforeAll(async () => {
  const limits = { globalConcurrency: 20 };
  served.push(await serveLive(ssot, { secret: SECRET, limits }));
  served.push(await serveLive(legacyGlobal, { secret: SECRET, limits }));
  const outcome = await tinyBench({
    engines: served.map((s) => s.url),
    secret: SECRET,
    iterations: 2,
    users: [1, 10],
  });
  document = outcome.document;
  exitCode = outcome.exitCode;
}, 120_000);

afterAll(async () => {
  await Promise.all(served.map((s) => s.close()));
});

const engineAt = (url: string) => document.engines.find((e) => e.spec === url);

describe("bench with engines by URL", () => {
  it("measures runs/s, latency and a session at the URL, with margins and samples", () => {
    const remote = engineAt(served[0]?.url ?? "");
    const ids = remote?.figures.filter((f) => f.value !== null).map((f) => f.id);
    expect(ids).toEqual(
      expect.arrayContaining([
        "runs-per-second.url.1",
        "runs-per-second.url.10",
        "latency-p50.url.10",
        "latency-p99.url.10",
        "session-open-close.url",
      ]),
    );
    for (const figure of remote?.figures ?? []) expect(figure.samples).toBeGreaterThan(0);
  });

  it("measures the reference at a URL too, so every URL figure has a ratio", () => {
    const reference = document.engines.find((e) => e.reference);
    expect(reference?.figures.some((f) => f.id === "runs-per-second.url.10")).toBe(true);
    const remote = engineAt(served[0]?.url ?? "");
    for (const figure of remote?.figures ?? []) expect(figure.ratioToReference).not.toBeNull();
  });

  it("checks each workload first: the reference holds, a leaking legacy engine is marked", () => {
    expect(engineAt(served[0]?.url ?? "")?.workloads.every((w) => w.checked)).toBe(true);
    expect(engineAt(served[0]?.url ?? "")?.workloads.flatMap((w) => w.brokenClauses)).toEqual([]);
    const legacy = engineAt(served[1]?.url ?? "");
    expect(legacy?.workloads.some((w) => w.brokenClauses.length > 0)).toBe(true);
    expect(legacy?.figures.some((f) => f.marked)).toBe(true);
    expect(exitCode).toBe(EXIT.ok);
  });
});

describe("bench with an engine by URL that is not there", () => {
  it("reports it as not measured, exit 3, and keeps the secret out of bench.json", async () => {
    const outcome = await tinyBench({
      engines: ["ws://127.0.0.1:9"],
      secret: SECRET,
      command: "npx crosstalk bench --engine ws://127.0.0.1:9 --secret <secret>",
    });
    expect(outcome.exitCode).toBe(EXIT.engine);
    expect(outcome.document.engines[1]?.failure).toMatch(/cannot benchmark ws:\/\/127\.0\.0\.1:9/);
    expect(JSON.stringify(outcome.document)).not.toContain(SECRET);
  });
});
