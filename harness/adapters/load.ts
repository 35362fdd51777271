/**
 * Loads an engine by bundled name or by module path. A module may export an EngineModule
 * (default or `engine`), or a bare factory (default or `create`).
 */
import { access } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { BUNDLED_ENGINES } from "../../engines/index.ts";
import type { EngineFactory, EngineModule } from "../contract/index.ts";

export class EngineLoadError extends Error {
  override name = "EngineLoadError";
}

export function bundledEngineNames(): string[] {
  return Object.keys(BUNDLED_ENGINES);
}

export async function loadEngine(spec: string): Promise<EngineModule> {
  const bundled = BUNDLED_ENGINES[spec];
  if (bundled) return (await bundled()).default;
  if (!looksLikePath(spec)) {
    throw new EngineLoadError(
      `unknown engine "${spec}": not a bundled engine (${bundledEngineNames().join(", ")}) and not a path to a module`,
    );
  }
  const file = path.resolve(spec);
  try {
    await access(file);
  } catch {
    throw new EngineLoadError(`engine module not found: ${file}`);
  }
  let exports: Record<string, unknown>;
  try {
    exports = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    throw new EngineLoadError(
      `engine module ${spec} failed to load: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  return engineFromExports(exports, spec);
}

export function engineFromExports(exports: Record<string, unknown>, spec: string): EngineModule {
  const fallbackName = path.basename(spec).replace(/\.[cm]?[jt]s$/, "");
  for (const key of ["default", "engine"]) {
    const candidate = exports[key];
    if (isEngineModule(candidate)) return candidate;
  }
  for (const key of ["default", "create", "createEngine"]) {
    const candidate = exports[key];
    if (typeof candidate === "function") {
      return { name: fallbackName, create: candidate as EngineFactory };
    }
  }
  const names = Object.keys(exports);
  throw new EngineLoadError(
    `engine module ${spec} exports no engine factory: expected a default export or \`engine\` of the form {name, create(deps)}, or a factory function as default or \`create\` (it exports: ${names.length > 0 ? names.join(", ") : "nothing"})`,
  );
}

function isEngineModule(value: unknown): value is EngineModule {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as EngineModule).create === "function" &&
    typeof (value as EngineModule).name === "string"
  );
}

function looksLikePath(spec: string): boolean {
  return spec.includes("/") || spec.includes("\\") || /\.[cm]?[jt]s$/.test(spec);
}
