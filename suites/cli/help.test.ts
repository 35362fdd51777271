// Every command explains itself: `--help` exits 0 and shows examples of the command in use.
import { describe, expect, it } from "vitest";
import { bundledEngineNames } from "../../harness/adapters/load.ts";
import { buildProgram } from "../../harness/cli/main.ts";
import { scenariosFor } from "../../harness/conformance/catalogue.ts";
import { crosstalkInProcess } from "./cli.ts";

const commands = buildProgram().commands.map((command) => command.name());

describe("crosstalk --help", () => {
  it("lists every command, and the global --config", async () => {
    const { code, stdout } = await crosstalkInProcess("--help");
    expect(code).toBe(0);
    for (const name of ["run", "explore", "repro", "report", "bench", ...commands]) {
      expect(stdout).toMatch(new RegExp(`^  ${name}\\b`, "m"));
    }
    expect(stdout).toContain("--config <file>");
  });

  for (const name of commands) {
    it(`${name} --help: exit 0, with examples and exit codes`, async () => {
      const { code, stdout } = await crosstalkInProcess(name, "--help");
      expect(code).toBe(0);
      expect(stdout).toContain(`Usage: crosstalk ${name}`);
      expect(stdout).toContain("Examples:");
      expect(stdout).toContain(`$ crosstalk ${name} `);
      expect(stdout).toMatch(/Exit codes?:/);
      // The examples name engines and scenarios that exist.
      const examples = stdout.split("\n").filter((line) => line.includes("$ crosstalk"));
      const scenarios = scenariosFor("ws").map((s) => s.scenario.name);
      for (const line of examples) {
        for (const [, engine] of line.matchAll(/--engine (\S+)/g)) {
          if (!engine?.includes("/")) expect(bundledEngineNames(), line).toContain(engine);
        }
        for (const [, scenario] of line.matchAll(/--scenario (\S+)/g)) {
          expect(scenarios, line).toContain(scenario);
        }
      }
    });
  }
});
