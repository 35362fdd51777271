// Every error a new user can meet on the command line, with the message they read and the exit
// code a script gets: 2 bad usage, 3 an engine that could not be loaded or started.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { crosstalkInProcess } from "./cli.ts";

const dir = mkdtempSync(path.join(tmpdir(), "crosstalk-errors-"));
const file = (name: string, text: string) => {
  const at = path.join(dir, name);
  writeFileSync(at, text);
  return at;
};
const badBaseline = file(
  "baseline.json",
  JSON.stringify({ engines: { ssot: { breaks: ["events.nonsense"] } } }),
);
const notResults = file("not-results.json", JSON.stringify({ version: 1, engines: [{}] }));
const badConfig = file("crosstalk.config.mjs", "export default { engines: [], out: 3 };\n");

interface Case {
  what: string;
  args: string[];
  code: number;
  /** Where the message is read: stderr for usage, stdout for the engine's row in the report. */
  stream: "stdout" | "stderr";
  message: string | RegExp;
}

const CASES: Case[] = [
  {
    what: "an unknown command",
    args: ["frobnicate"],
    code: 2,
    stream: "stderr",
    message: "unknown command 'frobnicate'",
  },
  {
    what: "an unknown flag",
    args: ["run", "--frobnicate"],
    code: 2,
    stream: "stderr",
    message: "error: unknown option '--frobnicate'",
  },
  {
    what: "a flag missing its value",
    args: ["run", "--out"],
    code: 2,
    stream: "stderr",
    message: "error: option '-o, --out <dir>' argument missing",
  },
  {
    what: "an unknown engine name",
    args: ["run", "--engine", "nope", "--reporter", "console"],
    code: 3,
    stream: "stdout",
    message: /unknown engine "nope": not a bundled engine \(ssot, .*legacy-global/,
  },
  {
    what: "an engine path that does not exist",
    args: ["run", "--engine", "./missing/engine.ts", "--reporter", "console"],
    code: 3,
    stream: "stdout",
    message: "engine module not found",
  },
  {
    what: "a module that exports no engine factory",
    args: ["run", "--engine", "suites/fixtures/bad-engines/no-factory.ts", "--reporter", "console"],
    code: 3,
    stream: "stdout",
    message: /exports no engine factory.*\(it exports: notAnEngine\)/,
  },
  {
    what: "an engine that fails to start (its factory throws)",
    args: [
      "run",
      "--engine",
      "suites/fixtures/bad-engines/factory-throws.ts",
      "--reporter",
      "console",
    ],
    code: 3,
    stream: "stdout",
    message: "engine failed: engine factory threw: database not configured",
  },
  {
    what: "an engine that fails to start, in explore",
    args: ["explore", "--engine", "suites/fixtures/bad-engines/factory-throws.ts", "--runs", "1"],
    code: 3,
    stream: "stderr",
    message: "database not configured",
  },
  {
    what: "an unknown scenario",
    args: ["run", "--engine", "ssot", "--scenario", "nope"],
    code: 2,
    stream: "stderr",
    message: 'unknown scenario "nope"',
  },
  {
    what: "an unknown reporter",
    args: ["run", "--reporter", "console,pdf"],
    code: 2,
    stream: "stderr",
    message:
      "option '-r, --reporter <names>' argument 'console,pdf' is invalid. unknown reporter \"pdf\" (known: console, json, junit, html)",
  },
  {
    what: "a --shard that is not i/n",
    args: ["run", "--shard", "2"],
    code: 2,
    stream: "stderr",
    message: "argument '2' is invalid. --shard takes i/n, such as 1/3 (got \"2\")",
  },
  {
    what: "a --shard beyond its count",
    args: ["run", "--shard", "4/3"],
    code: 2,
    stream: "stderr",
    message: "--shard 4/3: the shard must be between 1 and 3",
  },
  {
    what: "a scenario timeout that is not a positive number",
    args: ["run", "--scenario-timeout", "0"],
    code: 2,
    stream: "stderr",
    message: "--scenario-timeout takes a positive whole number",
  },
  {
    what: "bench results that cannot be read",
    args: ["run", "--engine", "ssot", "--reporter", "html", "--bench", "nope/bench.json"],
    code: 2,
    stream: "stderr",
    message: "crosstalk: cannot read bench results nope/bench.json: ENOENT",
  },
  {
    what: "--shard with an engine started by --command (checked whole)",
    args: ["run", "--shard", "1/2", "--command", "true"],
    code: 2,
    stream: "stderr",
    message: "error: option '--shard <i/n>' cannot be used with option '--command <cmd>'",
  },
  {
    what: "an unreadable baseline",
    args: ["run", "--engine", "ssot", "--baseline", "nope.json"],
    code: 2,
    stream: "stderr",
    message: "cannot read baseline nope.json",
  },
  {
    what: "a baseline naming an unknown clause",
    args: ["run", "--engine", "ssot", "--baseline", badBaseline],
    code: 2,
    stream: "stderr",
    message: "engine ssot lists unknown clause ids: events.nonsense",
  },
  {
    what: "a config file that does not exist",
    args: ["run", "--config", "nope.config.ts"],
    code: 2,
    stream: "stderr",
    message: "crosstalk: cannot read config nope.config.ts: no such file",
  },
  {
    what: "an invalid config, naming the file and the bad fields",
    args: ["run", "--config", badConfig],
    code: 2,
    stream: "stderr",
    message: `config ${badConfig}: field engines: Too small: expected array to have >=1 items; field out: Invalid input: expected string, received number`,
  },
  {
    what: "report without --merge",
    args: ["report"],
    code: 2,
    stream: "stderr",
    message: "error: required option '-m, --merge <results.json...>' not specified",
  },
  {
    what: "a results file to merge that does not exist",
    args: ["report", "--merge", "shard-1/results.json"],
    code: 2,
    stream: "stderr",
    message: "crosstalk: cannot read results file shard-1/results.json: no such file",
  },
  {
    what: "a file to merge that is not a results document",
    args: ["report", "--merge", notResults],
    code: 2,
    stream: "stderr",
    message: `${notResults} is not a crosstalk results document: field engines.0.name:`,
  },
];

describe("every error a new user can meet: its message and exit code", () => {
  for (const c of CASES) {
    it(`${c.what}: exit ${c.code}`, async () => {
      const result = await crosstalkInProcess(...c.args);
      expect(result.code, result.stdout + result.stderr).toBe(c.code);
      const text = result[c.stream];
      if (typeof c.message === "string") expect(text).toContain(c.message);
      else expect(text).toMatch(c.message);
    });
  }
});
