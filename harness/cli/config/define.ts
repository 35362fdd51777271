/**
 * `defineConfig`, for `crosstalk.config.ts`: it returns its argument unchanged and exists for
 * its type, so an editor completes and checks the fields. The command line validates the file
 * again when it loads it (harness/cli/config/load.ts), for configs written in plain JavaScript.
 */
import type { CrosstalkConfig } from "./schema.ts";

export type { CrosstalkConfig };

export function defineConfig(config: CrosstalkConfig): CrosstalkConfig {
  return config;
}
