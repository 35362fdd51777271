// crosstalk.config.ts: found in the current directory or named with --config, typed with
// defineConfig, validated field by field, and overridden by flags.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, expectTypeOf, it } from "vitest";
import type { z } from "zod";
import { loadConfig } from "../../harness/cli/config/load.ts";
import type { CrosstalkConfig, configSchema } from "../../harness/cli/config/schema.ts";
import { defineConfig } from "../../harness/index.ts";
import { crosstalk, crosstalkAt, crosstalkInProcess, root } from "./cli.ts";

const fixture = path.join(root, "suites/fixtures/config");

/** A config file in a fresh directory; `defineConfig` comes from the package's main entry. */
function writeConfig(body: string, name = "crosstalk.config.ts"): string {
  const dir = mkdtempSync(path.join(tmpdir(), "crosstalk-config-"));
  const file = path.join(dir, name);
  writeFileSync(
    file,
    `import { defineConfig } from ${JSON.stringify(path.join(root, "harness/index.ts"))};\nexport default defineConfig(${body});\n`,
  );
  return file;
}

function resultsIn(dir: string): { engines: { name: string }[] } {
  return JSON.parse(readFileSync(path.join(dir, "results.json"), "utf8"));
}

describe("crosstalk.config.ts", () => {
  it("defineConfig's type is exactly what the schema accepts", () => {
    expectTypeOf<z.infer<typeof configSchema>>().toEqualTypeOf<CrosstalkConfig>();
    expect(defineConfig({ engines: ["ssot"] })).toEqual({ engines: ["ssot"] });
  });

  it("the README's example is a valid config", async () => {
    const readme = readFileSync(path.join(root, "README.md"), "utf8");
    const example = /```ts\n\/\/ crosstalk\.config\.ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example, "the README shows a crosstalk.config.ts").toBeDefined();
    const dir = mkdtempSync(path.join(tmpdir(), "crosstalk-config-"));
    const file = path.join(dir, "crosstalk.config.ts");
    const entry = JSON.stringify(path.join(root, "harness/index.ts"));
    writeFileSync(file, (example as string).replace('from "crosstalk"', `from ${entry}`));
    const { config } = await loadConfig(file, dir);
    expect(config.engines).toEqual(["ssot", "./engines/my-engine.ts"]);
    expect(config.reporters).toEqual(["console", "junit", "html"]);
  });

  it("loads the example, its paths taken relative to the file", async () => {
    const { file, config } = await loadConfig(path.join(fixture, "crosstalk.config.ts"), root);
    expect(file).toBe("suites/fixtures/config/crosstalk.config.ts");
    expect(config).toEqual({
      engines: ["ssot", "./suites/fixtures/bad-engines/never-settles.ts"],
      transport: "memory",
      baseline: "./engines/baseline.json",
      seed: "7",
      budgets: {
        scenarios: ["events-think-and-tools"],
        explore: { runs: 20, strategy: "pct", seed: 3 },
      },
      reporters: ["console", "junit"],
      out: "./reports/out/config-example",
    });
  });

  it("is found in the current directory, imports defineConfig from crosstalk, drives the run", () => {
    // A child process: the config is imported as users' are, through tsx, from the package.
    const out = mkdtempSync(path.join(tmpdir(), "crosstalk-out-"));
    const { code, stdout } = crosstalkAt(
      fixture,
      "run",
      "--reporter",
      "console,json",
      "--out",
      out,
    );
    // The config's second engine never settles: an unexpected break, exit 1.
    expect(code).toBe(1);
    expect(resultsIn(out).engines.map((e) => e.name)).toEqual(["ssot", "never-settles"]);
    expect(stdout).toContain(
      "replay: npx crosstalk run --engine ../bad-engines/never-settles.ts --scenario events-think-and-tools",
    );
  });

  it("flags override it: --engine replaces its engines, --reporter its reporters", async () => {
    const out = mkdtempSync(path.join(tmpdir(), "crosstalk-out-"));
    const neverSettles = path.join(root, "suites/fixtures/bad-engines/never-settles.ts");
    const file = writeConfig(
      `{ engines: [${JSON.stringify(neverSettles)}], budgets: { scenarios: ["events-think-and-tools"] }, reporters: ["junit"], out: ${JSON.stringify(out)} }`,
    );
    const fromConfig = await crosstalkInProcess("run", "--config", file);
    expect(fromConfig.code, fromConfig.stderr).toBe(1);
    expect(readdirSync(out)).toEqual(["junit.xml"]);

    const overridden = await crosstalkInProcess(
      "run",
      "--config",
      file,
      "--engine",
      "ssot",
      "--reporter",
      "json",
    );
    expect(overridden.code, overridden.stderr).toBe(0);
    expect(resultsIn(out).engines.map((e) => e.name)).toEqual(["ssot"]);

    // report reads the same config: its reporters and its out.
    const merged = await crosstalkInProcess(
      ...["report", "--config", file, "--merge", path.join(out, "results.json")],
    );
    expect(merged.code, merged.stderr).toBe(0);
    expect(merged.stdout).toBe(`report: ${path.join(out, "junit.xml")}\n`);
  });

  it("its limits bound each scenario, like --max-history-entries", async () => {
    const file = writeConfig(
      `{ engines: ["ssot"], budgets: { scenarios: ["events-think-and-tools"] }, limits: { maxHistoryEntries: 5 }, reporters: ["console"] }`,
    );
    const { code, stdout } = await crosstalkInProcess("run", "--config", file);
    expect(code).toBe(1);
    expect(stdout).toContain("stopped recording after 5 history entries");
    // The flag overrides it: a bound high enough, and the reference is as expected again.
    const { code: again } = await crosstalkInProcess(
      "run",
      "--config",
      file,
      "--max-history-entries",
      "100000",
    );
    expect(again).toBe(0);
  });

  it("supplies explore's engine and budget", async () => {
    const file = writeConfig(
      `{ engines: ["ssot"], budgets: { explore: { runs: 3, strategy: "fifo", seed: 5 } } }`,
    );
    const { code, stdout, stderr } = await crosstalkInProcess(
      "explore",
      "--config",
      file,
      "--no-corpus",
      "--no-differential",
    );
    expect(code, stderr).toBe(0);
    expect(stdout).toContain("explored ssot with strategy fifo, seed 5: 3 scenarios");
  });
});

describe("a config that cannot be used is bad usage (exit 2), naming the file and the field", () => {
  const cases: [string, string, string | RegExp][] = [
    [
      "a misspelt field",
      `{ reporter: ["html"] } as never`,
      "unknown field reporter (did you mean reporters?)",
    ],
    ["a field of the wrong type", `{ engines: "ssot" } as never`, "field engines: Invalid input"],
    [
      "a budget out of range",
      `{ budgets: { explore: { runs: 0 } } }`,
      "field budgets.explore.runs: expected a number above 0",
    ],
    [
      "an unknown reporter",
      `{ reporters: ["pdf"] } as never`,
      /field reporters\.0: Invalid option/,
    ],
  ];
  for (const [what, body, message] of cases) {
    it(what, async () => {
      const file = writeConfig(body);
      const { code, stderr } = await crosstalkInProcess("run", "--config", file);
      expect(code).toBe(2);
      expect(stderr).toContain(`crosstalk: config ${file}: `);
      expect(stderr).toMatch(message);
    });
  }

  it("a config that throws while loading", async () => {
    const file = writeConfig(`(() => { throw new Error("DATABASE_URL is not set"); })()`);
    const { code, stderr } = await crosstalkInProcess("run", "--config", file);
    expect(code).toBe(2);
    expect(stderr).toContain(`failed to load: DATABASE_URL is not set`);
  });

  it("a config with a syntax error, with its line and column (as tsx reports it)", () => {
    const file = writeConfig(`{ engines: ["ssot" }`);
    const { code, stderr } = crosstalk("run", "--config", file);
    expect(code).toBe(2);
    expect(stderr).toMatch(
      /failed to load: Transform failed with 1 error: .*crosstalk\.config\.ts:2:\d+: ERROR: Expected "\]" but found "\}"/,
    );
  });

  it("a config with no default export", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "crosstalk-config-"));
    const file = path.join(dir, "crosstalk.config.mjs");
    writeFileSync(file, "export const config = {};\n");
    const { code, stderr } = await crosstalkInProcess("run", "--config", file);
    expect(code).toBe(2);
    expect(stderr).toContain("has no default export: write `export default defineConfig({ … })`");
  });

  it("--help still works beside a broken config", async () => {
    const file = writeConfig(`{ nonsense: 1 } as never`);
    const { code, stdout } = await crosstalkInProcess("run", "--config", file, "--help");
    expect(code).toBe(0);
    expect(stdout).toContain("Examples:");
  });
});
