/**
 * The one entry point for reports: renders a results document with each chosen reporter and
 * writes the files under `out` (results.json, junit.xml, report.html); the console report goes
 * to `write`. The command line (`run`, `report --merge`) calls only this.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { BaselineComparison } from "../harness/conformance/baseline.ts";
import { renderConsole } from "./console.ts";
import { renderHtml } from "./html/page.ts";
import { renderJUnit } from "./junit.ts";
import { unexpectedBreaks } from "./outcome.ts";
import { type ResultsDocument, writeResults } from "./results.ts";

export type ReporterName = "console" | "json" | "junit" | "html";
export const REPORTERS: readonly ReporterName[] = ["console", "json", "junit", "html"];

export interface WriteReportsOptions {
  reporters: readonly ReporterName[];
  /** Directory the files are written to (created if missing). */
  out: string;
  /** Colours in the console report (only on a terminal). */
  colors?: boolean;
  /** Where the console report goes; stdout by default. */
  write?: (text: string) => void;
  /** A bench.json document, if present: the HTML report draws its figures. */
  bench?: unknown;
}

export const REPORT_FILES = {
  json: "results.json",
  junit: "junit.xml",
  html: "report.html",
} as const;

/** Writes every chosen report; returns the files written, in reporter order. */
export async function writeReports(
  doc: ResultsDocument,
  options: WriteReportsOptions,
): Promise<string[]> {
  const unknown = options.reporters.filter((r) => !REPORTERS.includes(r));
  if (unknown.length > 0) {
    throw new Error(`unknown reporter: ${unknown.join(", ")} (known: ${REPORTERS.join(", ")})`);
  }
  const files: string[] = [];
  const needsDir = options.reporters.some((r) => r !== "console");
  if (needsDir) await mkdir(options.out, { recursive: true });
  for (const reporter of new Set(options.reporters)) {
    switch (reporter) {
      case "console": {
        const write = options.write ?? ((text: string) => process.stdout.write(text));
        write(renderConsole(doc.engines, comparisonsOf(doc), { colors: options.colors ?? false }));
        break;
      }
      case "json":
        files.push(await writeResults(doc, options.out));
        break;
      case "junit":
        files.push(await save(options.out, REPORT_FILES.junit, renderJUnit(doc.engines)));
        break;
      case "html":
        files.push(
          await save(options.out, REPORT_FILES.html, renderHtml(doc, { bench: options.bench })),
        );
        break;
    }
  }
  return files;
}

/** What disagrees with the baseline, as far as the document records it. */
export function comparisonsOf(doc: ResultsDocument): BaselineComparison[] {
  return doc.engines
    .filter((engine) => !engine.failure)
    .map((engine) => ({
      engine: engine.name,
      unexpected: unexpectedBreaks(engine).map((c) => c.id),
      stale: [...(engine.stale ?? [])],
      unconfirmed: [],
    }));
}

async function save(dir: string, name: string, text: string): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, text);
  return file;
}
