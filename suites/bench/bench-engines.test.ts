/** Engines a benchmark cannot measure are reported as such, with exit code 3, never skipped. */
import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { resolveEngines } from "../../harness/bench/compare/engines.ts";
import { benchCommand } from "../../harness/cli/commands/bench.ts";
import { EXIT } from "../../harness/cli/exit-codes.ts";
import { main } from "../../harness/cli/main.ts";

describe("bench engines", () => {
  it("always puts the reference first, once", async () => {
    const entries = await resolveEngines(["legacy-global", "ssot"]);
    expect(entries.map((e) => [e.spec, e.reference])).toEqual([
      ["ssot", true],
      ["legacy-global", false],
    ]);
  });

  it("reports a missing module, and a URL engine without a secret, as not measured", async () => {
    const [, missing, remote] = await resolveEngines(["./no-such-engine.ts", "ws://127.0.0.1:9"]);
    expect(missing?.source).toBe("path");
    expect(missing?.failure).toMatch(/engine module not found/);
    expect(remote?.source).toBe("url");
    expect(remote?.failure).toMatch(/cannot benchmark ws:\/\/127\.0\.0\.1:9: .*needs --secret/);
    const [, withSecret] = await resolveEngines(["ws://127.0.0.1:9"], "s3cret");
    expect(withSecret?.target).toEqual({ url: "ws://127.0.0.1:9", secret: "s3cret" });
  });

  it("exits 3 when an engine could not be loaded, and still measures the others", async () => {
    const out = await mkdtemp(path.join(os.tmpdir(), "crosstalk-bench-"));
    const outcome = await benchCommand(
      {
        engines: ["./no-such-engine.ts"],
        timeMs: 1,
        iterations: 1,
        users: [1],
        ws: false,
        warmup: false,
        out,
        command: "test",
      },
      () => {},
      () => {},
    );
    expect(outcome.exitCode).toBe(EXIT.engine);
    const [reference, missing] = outcome.document.engines;
    expect(reference?.figures.length).toBeGreaterThan(0);
    expect(missing?.failure).toMatch(/engine module not found/);
    expect(missing?.figures).toEqual([]);
  });

  it("exits 2 on a bad budget flag", async () => {
    const stderr = process.stderr.write;
    process.stderr.write = () => true;
    try {
      expect(await main(["bench", "--users", "0"])).toBe(EXIT.usage);
      expect(await main(["bench", "--time", "soon"])).toBe(EXIT.usage);
      expect(await main(["bench", "--engine", "ws://127.0.0.1:9"])).toBe(EXIT.usage);
      expect(await main(["bench", "--engine", "http://127.0.0.1:9", "--secret", "s"])).toBe(
        EXIT.usage,
      );
    } finally {
      process.stderr.write = stderr;
    }
  });
});
