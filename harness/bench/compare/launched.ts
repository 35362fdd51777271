/**
 * Engines a benchmark starts itself (`--command`): each shell command is launched as `crosstalk
 * run --command` does (CROSSTALK_PORT and CROSSTALK_SECRET in its environment, its own process
 * group), measured at its URL like any engine given by URL, and stopped afterwards. One that
 * cannot start, or that ends on its own before it is stopped, is reported, never dropped.
 */
import type { BenchEngine } from "../../../reports/bench-schema.ts";
import type { LaunchedEngine } from "../../adapters/launch/engine.ts";
import { LaunchError } from "../../adapters/launch/engine.ts";
import { launchProcess } from "../../adapters/launch/process.ts";
import type { EngineEntry } from "./engines.ts";

export interface Launched {
  entries: EngineEntry[];
  /** Stops every engine started; marks those that had ended on their own. */
  stopAll(engines: BenchEngine[]): Promise<void>;
}

export async function launchForBench(commands: readonly string[]): Promise<Launched> {
  const entries: EngineEntry[] = [];
  const running: { command: string; engine: LaunchedEngine }[] = [];
  for (const command of commands) {
    const entry: EngineEntry = { spec: command, source: "command", reference: false };
    try {
      const engine = await launchProcess(command);
      running.push({ command, engine });
      entry.target = { url: engine.url, secret: engine.secret };
    } catch (error) {
      if (!(error instanceof LaunchError)) throw error;
      entry.failure = `cannot benchmark ${command}: ${error.message}`;
    }
    entries.push(entry);
  }
  return {
    entries,
    async stopAll(engines) {
      for (const { command, engine } of running) {
        const stopped = await engine.stop();
        const measured = engines.find((e) => e.spec === command);
        if (stopped.unexpectedExit && measured) {
          measured.failure = `the engine ended during the benchmark: ${stopped.unexpectedExit}`;
        }
      }
    },
  };
}
