/** Real (non-virtual) resources an engine may leave behind: Node's own accounting, by type. */
import { createHook, executionAsyncResource } from "node:async_hooks";
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

interface ProcessInternals {
  _getActiveHandles?: () => { _handle?: unknown }[];
}

/** The native handles of the servers and sockets still active. */
function activeNativeHandles(): Set<unknown> {
  const get = (process as unknown as ProcessInternals)._getActiveHandles;
  try {
    return new Set(typeof get === "function" ? get.call(process).map((h) => h._handle ?? h) : []);
  } catch {
    return new Set();
  }
}

/** A timer that fired (not repeating) or was cleared: Node marks it destroyed. */
function timerDone(resource: object): boolean {
  return (resource as { _destroyed?: boolean })._destroyed === true;
}

/**
 * Resources created by the engine's own code and still active when the watch stops. Engine code
 * is what runs inside `during` (its factory, its methods, its timer callbacks) and every callback
 * that code set up: a continuation after an `await` or in a `.then`, a real timer's, a DNS
 * lookup's or a socket's, followed from each to what it sets up in turn. Comparing counts alone
 * can miss one (a test runner's timer that ends meanwhile cancels it out) or invent one (over
 * WebSockets, the harness's own sockets and timers come and go too).
 *
 * No destroy hook: with one, Node registers a weak callback on every promise, which cost more
 * than anything else the watch does. Whether a resource is still active is asked at the end,
 * and the engine's resources are remembered weakly, by object.
 */
type Marked = Record<symbol, boolean | undefined>;

export class EngineResourceWatch {
  /**
   * Timers, servers and sockets the engine created, held weakly (a timer's callback may hold
   * what the retention checks expect gone); pruned of finished ones as it grows.
   */
  #created = new Map<WeakRef<object>, string>();
  #pruneAt = 1024;
  /**
   * Marks async resources (promises included) set up by engine code: their callbacks are engine
   * code. A property on the resource, as Node's executionAsyncResource docs suggest, not a
   * WeakSet: with a thousand users' promises in one the ephemeron table made the runner's cost
   * per run grow with the users.
   */
  readonly #engineCode = Symbol("engine code");
  #depth = 0;
  readonly #hook = createHook({
    init: (_asyncId, type, _trigger, resource) => {
      if (this.#depth === 0 && !(executionAsyncResource() as Marked)[this.#engineCode]) return;
      (resource as Marked)[this.#engineCode] = true;
      const name = WATCHED[type];
      if (name) this.#remember(resource, name);
    },
  });

  constructor() {
    this.#hook.enable();
  }

  #remember(resource: object, name: string): void {
    this.#created.set(new WeakRef(resource), name);
    if (this.#created.size < this.#pruneAt) return;
    for (const [ref, n] of this.#created) if (!this.#active(ref, n)) this.#created.delete(ref);
    this.#pruneAt = Math.max(1024, this.#created.size * 2);
  }

  /** Collected: gone. A timer: until it fired or was cleared. A server or socket: while listed. */
  #active(ref: WeakRef<object>, type: string, handles?: Set<unknown>): boolean {
    const resource = ref.deref();
    if (resource === undefined) return false;
    if (type === "Timeout") return !timerDone(resource);
    return handles ? handles.has(resource) : true;
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
    const handles = activeNativeHandles();
    const counts: ResourceCounts = new Map();
    for (const [ref, type] of this.#created) {
      if (this.#active(ref, type, handles)) counts.set(type, (counts.get(type) ?? 0) + 1);
    }
    this.#created = new Map();
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
