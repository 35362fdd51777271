/**
 * The command line's `--url`/`--secret` as a RemoteTarget, checked before anything is opened:
 * a malformed URL or a missing secret is bad usage (exit 2), not an engine failure.
 */

import type { RemoteTarget } from "./check.ts";
import { wsUrlProblem } from "./hello.ts";

export class RemoteUsageError extends Error {}

export function remoteTargetFrom(options: {
  url?: string;
  secret?: string;
}): RemoteTarget | undefined {
  if (options.url === undefined) {
    if (options.secret !== undefined && !process.env.CROSSTALK_SECRET) {
      throw new RemoteUsageError("--secret is for --url");
    }
    return undefined;
  }
  const problem = wsUrlProblem(options.url);
  if (problem) throw new RemoteUsageError(`--url: ${problem}`);
  if (!options.secret) {
    throw new RemoteUsageError(
      "--url needs --secret (or CROSSTALK_SECRET): the secret the engine verifies tokens with",
    );
  }
  return { url: options.url, secret: options.secret, name: options.url };
}
