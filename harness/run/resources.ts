/** Real (non-virtual) resources an engine may leave behind: Node's own accounting, by type. */
import { createHook } from "node:async_hooks";

export type ResourceCounts = Map<string, number>;

/** Types the harness and its test runner create on their own; never the engine's doing. */
const AMBIENT = new Set(["TTYWrap", "PipeWrap", "FSReqCallback", "FSReqPromise", "Immediate"]);

export function activeResources(): ResourceCounts {
  const counts: ResourceCounts = new Map();
  for (const type of process.getActiveResourcesInfo()) {
    if (AMBIENT.has(type)) continue;
    counts.set(type, (counts.get(type) ?? 0) + 1);
  }
  return counts;
}

/** What `after` has more of than `before`, e.g. ["Timeout ×2", "TCPServerWrap"]. */
export function addedResources(before: ResourceCounts, after: ResourceCounts): string[] {
  const added: string[] = [];
  for (const [type, count] of after) {
    const extra = count - (before.get(type) ?? 0);
    if (extra > 0) added.push(extra === 1 ? type : `${type} ×${extra}`);
  }
  return added;
}

/** async_hooks resource types an engine may leave behind, as getActiveResourcesInfo names them. */
const WATCHED: Readonly<Record<string, string>> = {
  Timeout: "Timeout",
  TCPSERVERWRAP: "TCPServerWrap",
  TCPWRAP: "TCPSocketWrap",
};

/**
 * Resources created while the engine's own code runs synchronously (its factory, its methods,
 * its timer callbacks) and not yet destroyed. Comparing counts alone can miss one: a timer of
 * the test runner that ends meanwhile cancels it out.
 */
export class EngineResourceWatch {
  readonly #alive = new Map<number, string>();
  #depth = 0;
  readonly #hook = createHook({
    init: (asyncId, type) => {
      const name = WATCHED[type];
      if (this.#depth > 0 && name) this.#alive.set(asyncId, name);
    },
    destroy: (asyncId) => {
      this.#alive.delete(asyncId);
    },
  });

  constructor() {
    this.#hook.enable();
  }

  /** Runs engine code, attributing what it creates to the engine. */
  during<T>(work: () => T): T {
    this.#depth += 1;
    try {
      return work();
    } finally {
      this.#depth -= 1;
    }
  }

  stop(): ResourceCounts {
    this.#hook.disable();
    const counts: ResourceCounts = new Map();
    for (const type of this.#alive.values()) counts.set(type, (counts.get(type) ?? 0) + 1);
    return counts;
  }
}

/** Both views merged: for each type, the larger count of what was added. */
export function mergeAdded(added: string[], watched: ResourceCounts): string[] {
  const counts: ResourceCounts = new Map();
  for (const item of added) {
    const [type, times] = item.split(" ×");
    counts.set(type as string, Number(times ?? 1));
  }
  for (const [type, count] of watched) counts.set(type, Math.max(count, counts.get(type) ?? 0));
  return [...counts].map(([type, count]) => (count === 1 ? type : `${type} ×${count}`));
}
