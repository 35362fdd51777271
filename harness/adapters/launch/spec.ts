/** The command line's launch options (`--command`, `--image`, `--mount`) as a LaunchSpec. */
import path from "node:path";
import type { LaunchSpec } from "./check-launched.ts";
import type { ReadOnlyMount } from "./container.ts";

/** `host-path:container-path` (the host path relative to the current directory). */
export function parseMount(value: string): ReadOnlyMount {
  const colon = value.lastIndexOf(":");
  const source = value.slice(0, colon);
  const target = value.slice(colon + 1);
  if (colon <= 0 || !target.startsWith("/")) {
    throw new Error(`a mount is host-path:/container/path (read-only), got "${value}"`);
  }
  return { source: path.resolve(source), target };
}

export function launchSpecFrom(options: {
  command?: string;
  image?: string;
  mount?: ReadOnlyMount[];
}): LaunchSpec | undefined {
  if (options.command !== undefined) return { command: options.command };
  if (options.image !== undefined) {
    return { image: options.image, options: { mounts: options.mount ?? [] } };
  }
  return undefined;
}
