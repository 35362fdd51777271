// `crosstalk bench --command`: an engine in another process, started, measured at its URL and
// stopped by the benchmark itself, as `crosstalk run --command` does for a check.
import { describe, expect, it } from "vitest";
import { EXIT } from "../../harness/cli/exit-codes.ts";
import { tinyBench } from "./tiny.ts";

const PYTHON_ENGINE = "/usr/bin/python3 engines/python-ssot/server.py";

describe("bench --command", () => {
  it("starts the Python engine, measures it at its URL against the reference, and stops it", async () => {
    const outcome = await tinyBench({ engines: [], commands: [PYTHON_ENGINE], iterations: 2 });
    expect(outcome.exitCode).toBe(EXIT.ok);
    const python = outcome.document.engines.find((e) => e.spec === PYTHON_ENGINE);
    expect(python?.source).toBe("command");
    expect(python?.failure).toBeUndefined();
    expect(python?.workloads.map((w) => [w.id, w.checked, w.brokenClauses])).toEqual([
      ["runs.url.1", true, []],
    ]);
    const runs = python?.figures.find((f) => f.id === "runs-per-second.url.1");
    expect(runs?.value).toBeGreaterThan(0);
    expect(runs?.ratioToReference).not.toBeNull();
  }, 60_000);

  it("reports an engine that exits before it listens as not measured, exit 3", async () => {
    const outcome = await tinyBench({
      engines: [],
      commands: ["echo 'no engine here' >&2; exit 4"],
    });
    expect(outcome.exitCode).toBe(EXIT.engine);
    const failed = outcome.document.engines[1];
    expect(failed?.failure).toMatch(/cannot benchmark .*exit code 4/);
    expect(failed?.failure).toContain("no engine here");
  }, 60_000);
});
