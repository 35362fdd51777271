/**
 * What exploration runs against: the engine under test (loaded by bundled name or path), the
 * reference engine for differential checking, and what the baseline expects it to break.
 */
import path from "node:path";
import { BUNDLED_ENGINES, REFERENCE_ENGINE } from "../../engines/index.ts";
import { loadEngine } from "../adapters/load.ts";
import { type Baseline, readBaseline } from "../conformance/baseline.ts";
import type { Transport } from "../conformance/catalogue.ts";
import type { EngineModule } from "../contract/index.ts";
import type { FindingKey, Target } from "./trial.ts";

export const DEFAULT_BASELINE = "engines/baseline.json";

export interface TargetOptions {
  /** Expected breaks; undefined reads engines/baseline.json, `false` expects none. */
  baseline?: Baseline | false;
  /** Compare with the reference engine when no clause broke (default true). */
  differential?: boolean;
  /** In process (default) or over real WebSockets. */
  transport?: Transport;
}

/**
 * How a token names an engine: bundled names as they are, paths relative to the working
 * directory with forward slashes, so a token made on one machine replays on another.
 */
export function engineSpecOf(spec: string): string {
  if (Object.hasOwn(BUNDLED_ENGINES, spec)) return spec;
  const relative = path.isAbsolute(spec) ? path.relative(process.cwd(), spec) : spec;
  const posix = relative.split(path.sep).join("/");
  return posix.startsWith(".") || posix.startsWith("/") ? posix : `./${posix}`;
}

export async function referenceEngine(): Promise<EngineModule> {
  const load = BUNDLED_ENGINES[REFERENCE_ENGINE];
  if (!load) throw new Error(`the reference engine ${REFERENCE_ENGINE} is not bundled`);
  return (await load()).default;
}

/** Loads the engine (throws EngineLoadError) and reads its expected breaks. */
export async function makeTarget(spec: string, options: TargetOptions = {}): Promise<Target> {
  const module = await loadEngine(spec);
  const baseline =
    options.baseline === undefined ? await readBaseline(DEFAULT_BASELINE) : options.baseline;
  const expected = new Set<FindingKey>(baseline ? (baseline[module.name] ?? []) : []);
  return {
    module,
    spec: engineSpecOf(spec),
    reference: await referenceEngine(),
    expected,
    differential: options.differential ?? true,
    ...(options.transport === "ws" ? { transport: options.transport } : {}),
  };
}
