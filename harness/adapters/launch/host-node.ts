/**
 * The host's Node, as read-only mounts for a container whose image has no Node of its own: the
 * `node` binary and the shared libraries `ldd` says it loads (each mounted at the path the loader
 * looks for, from the file the host's symbolic links lead to).
 */
import { execFileSync } from "node:child_process";
import { realpathSync } from "node:fs";
import type { ReadOnlyMount } from "./container.ts";

export function hostNodeMounts(node = process.execPath): ReadOnlyMount[] {
  const listing = execFileSync("ldd", [node], { encoding: "utf8" });
  const paths = new Set<string>([node]);
  // "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x…)" and "/lib64/ld-linux-x86-64.so.2 (0x…)"
  for (const match of listing.matchAll(/(?:=>\s*)?(\/\S+)\s+\(0x/g)) {
    paths.add(match[1] as string);
  }
  return [...paths].map((target) => ({ source: realpathSync(target), target }));
}
