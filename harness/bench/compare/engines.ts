/**
 * Which engines a benchmark runs: the reference always (every ratio is against it, measured in
 * the same run), then bundled names, module paths, and URLs of engines served elsewhere.
 */
import { BUNDLED_ENGINES, REFERENCE_ENGINE } from "../../../engines/index.ts";
import type { BenchEngine } from "../../../reports/bench-schema.ts";
import { EngineLoadError, loadEngine } from "../../adapters/load.ts";
import type { EngineModule } from "../../contract/index.ts";
import type { UrlTarget } from "./url.ts";

export interface EngineEntry {
  spec: string;
  source: BenchEngine["source"];
  reference: boolean;
  module?: EngineModule;
  /** An engine served elsewhere, reached over the wire protocol. */
  target?: UrlTarget;
  failure?: string;
}

const URL_SPEC = /^(wss?|https?):\/\//i;

export function isUrlSpec(spec: string): boolean {
  return URL_SPEC.test(spec);
}

/**
 * Engines by URL are driven over the wire protocol and need the secret their tokens are signed
 * with; the command line checks both before anything runs.
 */
export async function resolveEngines(
  specs: readonly string[],
  secret?: string,
): Promise<EngineEntry[]> {
  const ordered = [REFERENCE_ENGINE, ...specs.filter((spec) => spec !== REFERENCE_ENGINE)];
  const unique = [...new Set(ordered)];
  const entries: EngineEntry[] = [];
  for (const spec of unique) {
    const source: EngineEntry["source"] = isUrlSpec(spec)
      ? "url"
      : spec in BUNDLED_ENGINES
        ? "bundled"
        : "path";
    const entry: EngineEntry = { spec, source, reference: spec === REFERENCE_ENGINE };
    if (source === "url") {
      if (secret) entry.target = { url: spec, secret };
      else entry.failure = `cannot benchmark ${spec}: an engine by URL needs --secret`;
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
