import { describe, expect, it } from "vitest";
import { resolveEngines } from "../../harness/bench/compare/engines.ts";
import { EXIT } from "../../harness/cli/exit-codes.ts";
import { main } from "../../harness/cli/main.ts";
import { tinyBench } from "./tiny.ts";

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
    const outcome = await tinyBench({ engines: ["./no-such-engine.ts"] });
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
