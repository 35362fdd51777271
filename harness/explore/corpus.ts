/**
 * The regression corpus: every witness exploration finds is saved as a JSON file, one folder per
 * engine, and replayed first on the next exploration of that engine, so a fixed bug stays fixed.
 * The default folder, reports/out/witnesses/, is local (git-ignored); pass --corpus to keep
 * witnesses in a folder under version control instead.
 */
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import type { WitnessSpec } from "./token.ts";
import { encodeToken, TokenError, validateSpec } from "./token.ts";
import type { WitnessSize } from "./trial.ts";

export const DEFAULT_CORPUS = "reports/out/witnesses";

/** A witness as saved: its spec, the token that carries it, and what a reader wants to see. */
export interface WitnessFile extends WitnessSpec {
  token: string;
  summary: string;
  size: WitnessSize;
  /** How exploration found it: the run (1-based) and seconds into exploring. */
  found?: { run: number; seconds: number };
}

/** A folder name for an engine: its name with anything but letters, digits, `.`, `-` as `_`. */
export function engineFolder(engineName: string): string {
  return engineName.replace(/[^\w.-]/g, "_") || "engine";
}

export function witnessFile(
  spec: WitnessSpec,
  extra: Pick<WitnessFile, "summary" | "size" | "found">,
): WitnessFile {
  return { ...spec, token: encodeToken(spec), ...extra };
}

/** Saves a witness; the same clause and digest overwrite the same file. Returns its path. */
export async function saveWitness(
  corpus: string,
  engineName: string,
  witness: WitnessFile,
): Promise<string> {
  const folder = path.join(corpus, engineFolder(engineName));
  await mkdir(folder, { recursive: true });
  const file = path.join(folder, `${witness.clause}-${witness.digest}.json`);
  await writeFile(file, `${JSON.stringify(witness, null, 2)}\n`);
  return file;
}

export interface CorpusEntry {
  file: string;
  witness: WitnessFile;
}

/** Every readable witness of an engine, in file-name order; unreadable files are reported. */
export async function loadCorpus(
  corpus: string,
  engineName: string,
  onBadFile: (file: string, problem: string) => void = () => {},
): Promise<CorpusEntry[]> {
  const folder = path.join(corpus, engineFolder(engineName));
  let names: string[];
  try {
    names = (await readdir(folder)).filter((name) => name.endsWith(".json")).sort();
  } catch {
    return [];
  }
  const entries: CorpusEntry[] = [];
  for (const name of names) {
    const file = path.join(folder, name);
    try {
      entries.push({ file, witness: await readWitnessFile(file) });
    } catch (error) {
      onBadFile(file, (error as Error).message);
    }
  }
  return entries;
}

export async function readWitnessFile(file: string): Promise<WitnessFile> {
  let data: unknown;
  try {
    data = JSON.parse(await readFile(file, "utf8"));
  } catch (error) {
    throw new TokenError(`cannot read witness ${file}: ${(error as Error).message}`);
  }
  const spec = validateSpec(data);
  return spec as WitnessFile;
}
