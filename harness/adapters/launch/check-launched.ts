/**
 * Launch, check over the wire, stop: what `crosstalk run --command/--image` and the launch suites
 * do. The outcome says how the launch went, so the caller can tell an engine that broke clauses
 * from one that could not be started, crashed while being checked, or (a container) could not
 * be started for want of a container runtime.
 */
import type { EngineReport } from "../../conformance/check-engine.ts";
import { checkRemote, type RemoteCheckOptions } from "../remote/check.ts";
import { type ContainerLaunchOptions, launchContainer } from "./container.ts";
import { NoContainerRuntime } from "./container-runtime.ts";
import { LaunchError, type LaunchedEngine } from "./engine.ts";
import { launchProcess, type ProcessLaunchOptions } from "./process.ts";

export type LaunchSpec =
  | { command: string; options?: ProcessLaunchOptions }
  | { image: string; options?: ContainerLaunchOptions };

export interface LaunchedCheck {
  /**
   * checked: the engine ran throughout; failed: it could not be started; crashed: it ended on
   * its own while being checked; skipped: no container runtime (the report says why).
   */
  launch: "checked" | "failed" | "crashed" | "skipped";
  report: EngineReport;
  /** The engine's URL while it ran (for logs). */
  url?: string;
}

export function launchName(spec: LaunchSpec): string {
  return "command" in spec ? spec.command : spec.image;
}

export async function checkLaunched(
  spec: LaunchSpec,
  options: RemoteCheckOptions & { onLaunched?: (engine: LaunchedEngine) => void } = {},
): Promise<LaunchedCheck> {
  const name = launchName(spec);
  const empty = (failure: string): EngineReport => ({ name, failure, clauses: [], scenarios: [] });
  let engine: LaunchedEngine;
  try {
    engine =
      "command" in spec
        ? await launchProcess(spec.command, spec.options)
        : await launchContainer(spec.image, spec.options);
  } catch (error) {
    if (error instanceof NoContainerRuntime) {
      return { launch: "skipped", report: empty(`skipped: ${error.message}`) };
    }
    if (error instanceof LaunchError) return { launch: "failed", report: empty(error.message) };
    throw error;
  }
  options.onLaunched?.(engine);
  const { onLaunched: _, ...checkOptions } = options;
  let report: EngineReport;
  try {
    report = await checkRemote({ url: engine.url, secret: engine.secret, name }, checkOptions);
  } catch (error) {
    await engine.stop();
    throw error;
  }
  const stopped = await engine.stop();
  if (stopped.unexpectedExit) {
    // The verdicts after the crash describe a dead engine: the crash is the news.
    const said = report.failure ? `\n(the checker saw: ${report.failure})` : "";
    return {
      launch: "crashed",
      report: { ...report, failure: `${stopped.unexpectedExit}${said}` },
      url: engine.url,
    };
  }
  return { launch: "checked", report, url: engine.url };
}
