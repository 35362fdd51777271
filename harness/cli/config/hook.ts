/**
 * Wires the config file into the program: a global `--config <file>` option, and a hook that,
 * before a command that reads the config parses its own flags, loads the config (the named file
 * or `crosstalk.config.ts` in the current directory) and hands it to the command's options.
 */
import type { Command } from "commander";
import { CliError, EXIT } from "../exit-codes.ts";
import { applyConfig, readsConfig } from "./apply.ts";
import { CONFIG_FILES, ConfigError, resolveConfig } from "./load.ts";

export function useConfigFile(program: Command): void {
  program
    .option(
      "--config <file>",
      `config file (default: ${CONFIG_FILES[0]} in the current directory, if there is one)`,
    )
    .configureHelp({ showGlobalOptions: true })
    .hook("preSubcommand", async (thisCommand, subcommand) => {
      if (!readsConfig(subcommand.name())) return;
      // Help is for reading about the flags: a broken config must not hide it.
      if (thisCommand.args.some((arg) => arg === "--help" || arg === "-h")) return;
      const named = thisCommand.opts().config as string | undefined;
      try {
        const loaded = await resolveConfig(named);
        if (loaded) applyConfig(subcommand, loaded.config);
      } catch (error) {
        if (error instanceof ConfigError) throw new CliError(error.message, EXIT.usage);
        throw error;
      }
    });
}
