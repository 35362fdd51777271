/**
 * What an engine left behind after shutdown, named: which timer or interval (its callback and
 * period), which server or socket (its address), which process listener. The cheap count by type
 * (process.getActiveResourcesInfo) says whether anything was left; only then are the resources
 * themselves looked up, and only those created after the scenario started are named.
 */
import { AsyncResource } from "node:async_hooks";
import { Session } from "node:inspector";

/** What existed before the scenario, to tell the engine's resources from everyone else's. */
export interface ResourceMark {
  handles: WeakSet<object>;
  listeners: Map<string | symbol, Set<unknown>>;
  /** Node's async ids grow: a timer created later has a larger one. */
  asyncId: number;
}

interface ProcessInternals {
  _getActiveHandles?: () => object[];
}

function activeHandles(): object[] {
  const get = (process as unknown as ProcessInternals)._getActiveHandles;
  try {
    return typeof get === "function" ? get.call(process) : [];
  } catch {
    return [];
  }
}

function processListeners(): Map<string | symbol, Set<unknown>> {
  const map = new Map<string | symbol, Set<unknown>>();
  for (const name of process.eventNames()) map.set(name, new Set(process.rawListeners(name)));
  return map;
}

export function resourceMark(): ResourceMark {
  return {
    handles: new WeakSet(activeHandles()),
    listeners: processListeners(),
    asyncId: new AsyncResource("crosstalk-mark").asyncId(),
  };
}

/**
 * Named resources created since `mark` and still active, e.g. `setInterval(heartbeat, every
 * 1000 ms)`. `added`: the types Node's count says were added (timers are looked up only then).
 */
export async function nameLeftovers(
  mark: ResourceMark,
  added: readonly string[],
): Promise<string[]> {
  const named: string[] = [];
  for (const handle of activeHandles()) {
    if (!mark.handles.has(handle)) named.push(describeHandle(handle));
  }
  for (const [event, listeners] of processListeners()) {
    const before = mark.listeners.get(event);
    for (const listener of listeners) {
      if (before?.has(listener)) continue;
      named.push(`process.on(${JSON.stringify(String(event))}, ${functionName(listener)})`);
    }
  }
  if (added.some((type) => type.startsWith("Timeout"))) {
    named.push(...(await liveTimers(mark.asyncId)));
  }
  return named;
}

function describeHandle(handle: object): string {
  const kind = handle.constructor?.name ?? "handle";
  const h = handle as {
    address?: () => unknown;
    remoteAddress?: string;
    remotePort?: number;
    localPort?: number;
    pid?: number;
  };
  try {
    if (kind === "Server" && typeof h.address === "function") {
      const address = h.address() as { address?: string; port?: number } | string | null;
      if (typeof address === "string") return `server listening on ${address}`;
      if (address) return `server listening on ${address.address ?? ""}:${address.port ?? ""}`;
      return "server (not listening)";
    }
    if (kind === "Socket") {
      if (h.remoteAddress) return `socket to ${h.remoteAddress}:${h.remotePort ?? ""}`;
      if (h.localPort) return `socket on port ${h.localPort}`;
      return "socket";
    }
    if (typeof h.pid === "number") return `${kind} (pid ${h.pid})`;
  } catch {
    // A handle that cannot describe itself is still named by its kind.
  }
  return kind;
}

function functionName(fn: unknown): string {
  if (typeof fn !== "function") return String(fn);
  return fn.name ? `${fn.name}()` : `anonymous ${sourceOf(fn)}`;
}

function sourceOf(fn: unknown): string {
  const text = Function.prototype.toString.call(fn).replace(/\s+/g, " ");
  return text.length > 60 ? `${text.slice(0, 59)}…` : text;
}

interface TimerInfo {
  asyncId: number;
  destroyed: boolean;
  repeat: number | null;
  ms: number;
  name: string;
  source: string;
}

/**
 * Node's Timeout objects created after `mark` and not yet fired or cleared. Node keeps them in
 * lists the program cannot see, so they are found the way DevTools finds objects: the inspector
 * lists every instance of Timeout's prototype (a garbage collection and a heap walk, about a
 * hundred milliseconds), and describes each in place.
 */
async function liveTimers(mark: number): Promise<string[]> {
  const session = new Session();
  try {
    session.connect();
  } catch {
    return []; // a Node built without the inspector: the count by type is all there is
  }
  const post = <T>(method: string, params: object): Promise<T> =>
    new Promise((resolve, reject) =>
      session.post(method, params, (error, result) =>
        error ? reject(error) : resolve(result as T),
      ),
    );
  const group = "crosstalk-leftovers";
  try {
    const proto = await post<{ result: { objectId?: string } }>("Runtime.evaluate", {
      expression:
        "(() => { const t = setTimeout(() => {}, 0); clearTimeout(t); return Object.getPrototypeOf(t); })()",
      objectGroup: group,
    });
    if (!proto.result.objectId) return [];
    const found = await post<{ objects: { objectId?: string } }>("Runtime.queryObjects", {
      prototypeObjectId: proto.result.objectId,
      objectGroup: group,
    });
    if (!found.objects.objectId) return [];
    const described = await post<{ result: { value?: TimerInfo[] } }>("Runtime.callFunctionOn", {
      objectId: found.objects.objectId,
      returnByValue: true,
      functionDeclaration: DESCRIBE_TIMERS,
    });
    return (described.result.value ?? [])
      .filter((t) => !t.destroyed && t.asyncId > mark)
      .sort((a, b) => a.asyncId - b.asyncId)
      .map((t) => {
        const callback = t.name ? t.name : `anonymous ${t.source}`;
        return typeof t.repeat === "number"
          ? `setInterval(${callback}, every ${t.repeat} ms)`
          : `setTimeout(${callback}, ${t.ms} ms)`;
      });
  } catch {
    return [];
  } finally {
    session.post("Runtime.releaseObjectGroup", { objectGroup: group });
    session.disconnect();
  }
}

/** Runs in the inspected realm (this process) on the array of Timeout objects. */
const DESCRIBE_TIMERS = `function () {
  return this.map((t) => {
    const id = Object.getOwnPropertySymbols(t).find((s) => String(s) === "Symbol(asyncId)");
    const fn = t._onTimeout;
    const text = typeof fn === "function" ? Function.prototype.toString.call(fn).replace(/\\s+/g, " ") : "";
    return {
      asyncId: id ? Number(t[id]) : -1,
      destroyed: t._destroyed === true,
      repeat: typeof t._repeat === "number" ? t._repeat : null,
      ms: Number(t._idleTimeout),
      name: typeof fn === "function" ? fn.name : "",
      source: text.length > 60 ? text.slice(0, 59) + "…" : text,
    };
  });
}`;
