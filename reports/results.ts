/** The results document (`results.json`): what every later tool reads. */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import stringify from "json-stringify-pretty-compact";
import type { EngineReport } from "../harness/conformance/check-engine.ts";

export const RESULTS_VERSION = 1;

export interface ResultsDocument {
  version: number;
  engines: EngineReport[];
}

export function resultsDocument(engines: EngineReport[]): ResultsDocument {
  return { version: RESULTS_VERSION, engines };
}

export async function writeResults(document: ResultsDocument, outDir: string): Promise<string> {
  await mkdir(outDir, { recursive: true });
  const file = path.join(outDir, "results.json");
  // Short objects on one line (a timeline mark, a scenario), so a witness stays readable.
  await writeFile(file, `${stringify(document, { maxLength: 120 })}\n`);
  return file;
}
