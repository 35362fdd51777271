/** Real (non-virtual) resources an engine may leave behind: Node's own accounting, by type. */
import { createHook, executionAsyncId } from "node:async_hooks";
import type { Engine } from "../contract/index.ts";

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
 * Resources created by the engine's own code and not yet destroyed. Engine code is what runs
 * inside `during` (its factory, its methods, its timer callbacks) and every callback that code
 * set up: a continuation after an `await` or in a `.then`, a real timer's, a DNS lookup's or a
 * socket's, followed from each to what it sets up in turn. Comparing
 * counts alone can miss one (a test runner's timer that ends meanwhile cancels it out) or
 * invent one (over WebSockets, the harness's own sockets and timers come and go too).
 */
export class EngineResourceWatch {
  readonly #alive = new Map<number, string>();
  /** Async resources (promises included) set up by engine code: their callbacks are engine code. */
  readonly #engineContexts = new Set<number>();
  #depth = 0;
  readonly #hook = createHook({
    init: (asyncId, type) => {
      if (this.#depth === 0 && !this.#engineContexts.has(executionAsyncId())) return;
      this.#engineContexts.add(asyncId);
      const name = WATCHED[type];
      if (name) this.#alive.set(asyncId, name);
    },
    destroy: (asyncId) => {
      this.#alive.delete(asyncId);
      this.#engineContexts.delete(asyncId);
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

  /** The same engine, each of its methods run as engine code (for callers the harness does not own). */
  watched(engine: Engine): Engine {
    return {
      attach: (connection) => this.during(() => engine.attach(connection)),
      detach: (connectionId) => this.during(() => engine.detach(connectionId)),
      execute: (context, request) => this.during(() => engine.execute(context, request)),
      cancel: (runId, byUserId) => this.during(() => engine.cancel(runId, byUserId)),
      closeUser: (userId) => this.during(() => engine.closeUser(userId)),
      stats: () => this.during(() => engine.stats()),
      shutdown: () => this.during(() => engine.shutdown()),
    };
  }

  stop(): ResourceCounts {
    this.#hook.disable();
    this.#engineContexts.clear();
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
