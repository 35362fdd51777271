/**
 * Which engines a benchmark runs: the reference always (every ratio is against it, measured in
 * the same run), then bundled names, module paths, and URLs of engines served elsewhere.
 */
import { access } from "node:fs/promises";
import { BUNDLED_ENGINES, REFERENCE_ENGINE } from "../../../engines/index.ts";
import type { BenchEngine } from "../../../reports/bench-schema.ts";
import { EngineLoadError, loadEngine } from "../../adapters/load.ts";
import type { EngineModule } from "../../contract/index.ts";

export interface EngineEntry {
  spec: string;
  source: BenchEngine["source"];
  reference: boolean;
  module?: EngineModule;
  failure?: string;
}

const URL_SPEC = /^(wss?|https?):\/\//i;

/** Where engines given by URL will be adapted from, once that adapter exists. */
export const REMOTE_ADAPTER = new URL("../../adapters/remote/check.ts", import.meta.url);

export async function remoteAdapterPresent(): Promise<boolean> {
  try {
    await access(REMOTE_ADAPTER);
    return true;
  } catch {
    return false;
  }
}

export async function resolveEngines(specs: readonly string[]): Promise<EngineEntry[]> {
  const ordered = [REFERENCE_ENGINE, ...specs.filter((spec) => spec !== REFERENCE_ENGINE)];
  const unique = [...new Set(ordered)];
  const entries: EngineEntry[] = [];
  for (const spec of unique) {
    const source: EngineEntry["source"] = URL_SPEC.test(spec)
      ? "url"
      : spec in BUNDLED_ENGINES
        ? "bundled"
        : "path";
    const entry: EngineEntry = { spec, source, reference: spec === REFERENCE_ENGINE };
    if (source === "url") {
      entry.failure = (await remoteAdapterPresent())
        ? `cannot benchmark ${spec}: harness/adapters/remote checks an engine by URL for conformance, but drives no load; benchmarking by URL is not built yet`
        : `cannot benchmark ${spec}: engines by URL need harness/adapters/remote, which this checkout does not have yet`;
    } else {
      try {
        entry.module = await loadEngine(spec);
      } catch (error) {
        if (!(error instanceof EngineLoadError)) throw error;
        entry.failure = error.message;
      }
    }
    entries.push(entry);
  }
  return entries;
}
