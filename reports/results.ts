/** The results document (`results.json`): what every later tool reads. */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
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
  await writeFile(file, `${JSON.stringify(document, null, 2)}\n`);
  return file;
}
