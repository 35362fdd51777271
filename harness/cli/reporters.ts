/** `--reporter console,json,junit,html`, `--out <dir>` and `--bench`, shared by `run` and `report`. */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { InvalidArgumentError, Option } from "commander";
import { REPORTERS, type ReporterName } from "../../reports/write.ts";
import { CliError, EXIT } from "./exit-codes.ts";

export const DEFAULT_REPORTERS: readonly ReporterName[] = ["console", "json"];

/** Which reports a command writes and where: the options `run` and `report` share. */
export interface ReportOutputOptions {
  /** Reports to write: console to the command's output, the others under `out`. */
  reporters: readonly ReporterName[];
  out: string;
  /** bench.json for the HTML report (default: the one under `out`, if any). */
  bench?: string;
  baseline: string;
}
export const DEFAULT_OUT = "reports/out";

/** "console,html" → ["console", "html"]; an unknown name is bad usage (exit 2). */
export function parseReporters(value: string): ReporterName[] {
  const names = value
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name !== "");
  if (names.length === 0)
    throw new InvalidArgumentError(`name at least one of ${REPORTERS.join(", ")}`);
  const unknown = names.filter((name) => !(REPORTERS as readonly string[]).includes(name));
  if (unknown.length > 0) {
    throw new InvalidArgumentError(
      `unknown reporter${unknown.length > 1 ? "s" : ""} ${unknown.map((n) => `"${n}"`).join(", ")} (known: ${REPORTERS.join(", ")})`,
    );
  }
  return [...new Set(names)] as ReporterName[];
}

export function reporterOption(): Option {
  return new Option(
    "-r, --reporter <names>",
    `reports to write, comma-separated: ${REPORTERS.join(", ")} (console to stdout, the others as files under --out)`,
  )
    .argParser(parseReporters)
    .default([...DEFAULT_REPORTERS], DEFAULT_REPORTERS.join(","));
}

export function outOption(): Option {
  return new Option("-o, --out <dir>", "where report files are written").default(DEFAULT_OUT);
}

/** Colours in the console report only on a terminal, and not when NO_COLOR is set. */
export function consoleColors(): boolean {
  return process.stdout.isTTY === true && !process.env.NO_COLOR;
}

/** One line per report file written, relative to the current directory when inside it. */
export function listReportFiles(files: readonly string[], write: (text: string) => void): void {
  for (const file of files) {
    const relative = path.relative(process.cwd(), file);
    write(`report: ${relative.startsWith("..") ? path.resolve(file) : relative}\n`);
  }
}

export function benchOption(): Option {
  return new Option(
    "--bench <bench.json>",
    "benchmark results for the HTML report's charts (default: bench.json under --out, if there is one)",
  );
}

/**
 * The bench document the HTML report draws: the file named, else `bench.json` in the output
 * directory when `crosstalk bench` left one there, else none. A named file that cannot be read
 * is bad usage; its shape is the HTML report's to check (it shows what does not match).
 */
export async function readBench(named: string | undefined, out: string): Promise<unknown> {
  const file = named ?? path.join(out, "bench.json");
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if (named === undefined) return undefined;
    throw new CliError(
      `cannot read bench results ${file}: ${(error as Error).message}`,
      EXIT.usage,
    );
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CliError(`${file} is not JSON: ${(error as Error).message}`, EXIT.usage);
  }
}
