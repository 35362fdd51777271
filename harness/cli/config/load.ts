/**
 * Finds and loads `crosstalk.config.ts`: the file named by `--config`, else the first of
 * CONFIG_FILES in the current directory, else none. It is imported through tsx (as the CLI
 * runs), validated with the zod schema, and its paths made relative to the current directory,
 * so a config elsewhere means what it says and replay commands stay short.
 */
import { access } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { z } from "zod";
import { type CrosstalkConfig, configSchema } from "./schema.ts";

export const CONFIG_FILES = [
  "crosstalk.config.ts",
  "crosstalk.config.mts",
  "crosstalk.config.js",
  "crosstalk.config.mjs",
] as const;

/** A config that cannot be used, with a message naming the file and what is wrong in it. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

export interface LoadedConfig {
  /** The file as the user would name it (relative to the current directory). */
  file: string;
  config: CrosstalkConfig;
}

/** The config in effect: the one named, or the one found in `cwd`, or none. */
export async function resolveConfig(
  named: string | undefined,
  cwd = process.cwd(),
): Promise<LoadedConfig | undefined> {
  if (named !== undefined) return loadConfig(named, cwd);
  for (const name of CONFIG_FILES) {
    const file = path.join(cwd, name);
    if (await exists(file)) return loadConfig(file, cwd);
  }
  return undefined;
}

export async function loadConfig(file: string, cwd = process.cwd()): Promise<LoadedConfig> {
  const absolute = path.resolve(cwd, file);
  const relative = path.relative(cwd, absolute);
  const shown = relative === "" || relative.startsWith("..") ? absolute : relative;
  if (!(await exists(absolute))) throw new ConfigError(`cannot read config ${shown}: no such file`);
  let exports: Record<string, unknown>;
  try {
    exports = await importModule(pathToFileURL(absolute).href);
  } catch (error) {
    throw new ConfigError(`config ${shown} failed to load: ${firstLine(error)}`);
  }
  if (!("default" in exports) || exports.default === undefined) {
    throw new ConfigError(
      `config ${shown} has no default export: write \`export default defineConfig({ … })\``,
    );
  }
  const parsed = configSchema.safeParse(exports.default);
  if (!parsed.success) {
    throw new ConfigError(`config ${shown}: ${parsed.error.issues.map(describeIssue).join("; ")}`);
  }
  return { file: shown, config: relativeTo(parsed.data, path.dirname(absolute), cwd) };
}

/**
 * The CLI always runs under tsx's loader (bin.js registers it with tsx's API; `npm start` and
 * `npx tsx` start it under tsx), so a plain import compiles a TypeScript config and shares the
 * modules already loaded: `import { defineConfig } from "crosstalk"` costs about 50 ms. (tsx's
 * `tsImport` would compile it in a scope of its own and load the harness afresh: about a second.)
 */
async function importModule(url: string): Promise<Record<string, unknown>> {
  return (await import(url)) as Record<string, unknown>;
}

/** "field budgets.explore.runs: Too small: expected number to be >0". */
function describeIssue(issue: z.core.$ZodIssue): string {
  const at = issue.path.map(String);
  if (issue.code === "unrecognized_keys") {
    return issue.keys
      .map((key) => `unknown field ${[...at, key].join(".")}${suggestion(key)}`)
      .join("; ");
  }
  return `field ${at.length > 0 ? at.join(".") : "(the exported value)"}: ${issue.message}`;
}

/** The likely intended field for a near miss ("reporter" → "reporters"). */
function suggestion(key: string): string {
  const fields = Object.keys(configSchema.shape);
  const near = fields.find((f) => f === `${key}s` || `${f}s` === key || f.toLowerCase() === key);
  return near ? ` (did you mean ${near}?)` : "";
}

/** Paths in the file are relative to the file; the commands take them relative to `cwd`. */
function relativeTo(config: CrosstalkConfig, dir: string, cwd: string): CrosstalkConfig {
  const local = (p: string) => {
    const relative = path.relative(cwd, path.resolve(dir, p));
    return relative.startsWith("..") || path.isAbsolute(relative) ? relative : `./${relative}`;
  };
  const resolved: CrosstalkConfig = { ...config };
  if (config.engines) resolved.engines = config.engines.map((e) => (isPath(e) ? local(e) : e));
  if (config.baseline) resolved.baseline = local(config.baseline);
  if (config.out) resolved.out = local(config.out);
  return resolved;
}

/** As the engine loader tells a module path from a bundled engine's name. */
function isPath(spec: string): boolean {
  return spec.includes("/") || spec.includes("\\") || /\.[cm]?[jt]s$/.test(spec);
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

/** The message's first line, and the next when the first only announces it (esbuild's "…:"). */
function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const lines = message.split("\n").filter((line) => line.trim() !== "");
  const [head = message, next] = lines;
  return head.endsWith(":") && next ? `${head} ${next.trim()}` : head;
}
