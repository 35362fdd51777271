/**
 * Cheap counts to follow memory across many sessions without a snapshot: heap bytes in use and
 * the number of live JavaScript objects after forced collection (`v8.queryObjects`, Node 20.13
 * and later), and per-class counts and sizes from a snapshot when one was taken anyway.
 */
import v8 from "node:v8";
import type { HeapGraph } from "./heap-graph.ts";

type QueryObjects = (ctor: (...args: never[]) => unknown, options: { format: "count" }) => number;

/**
 * Live objects that inherit from Object.prototype (nearly every JavaScript object: plain objects,
 * arrays, functions, Maps, class instances), counted by V8 after a garbage collection. Undefined
 * where this Node has no v8.queryObjects. Its one-time "experimental" warning is not printed.
 */
export function liveObjectCount(): number | undefined {
  const query = (v8 as unknown as { queryObjects?: QueryObjects }).queryObjects;
  if (typeof query !== "function") return undefined;
  const emit = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const text = typeof warning === "string" ? warning : warning.message;
    if (text.includes("queryObjects")) return;
    (emit as (...args: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    return query(Object as unknown as (...args: never[]) => unknown, { format: "count" });
  } finally {
    process.emitWarning = emit;
  }
}

export function heapUsedBytes(): number {
  return v8.getHeapStatistics().used_heap_size;
}

export interface ClassCount {
  /** Constructor name (`Object`, `Map`, `Semaphore`) or `function <name>` for closures. */
  name: string;
  count: number;
  bytes: number;
}

/** JavaScript objects and closures in a snapshot, by constructor: V8's internals are left out. */
export function classCounts(graph: HeapGraph): Map<string, ClassCount> {
  const counts = new Map<string, ClassCount>();
  for (let node = 0; node < graph.nodeCount; node += 1) {
    const name = classOf(graph, node);
    if (name === undefined) continue;
    const entry = counts.get(name) ?? { name, count: 0, bytes: 0 };
    entry.count += 1;
    entry.bytes += graph.selfSize(node);
    counts.set(name, entry);
  }
  return counts;
}

export function classOf(graph: HeapGraph, node: number): string | undefined {
  const type = graph.nodeType(node);
  const name = graph.nodeName(node);
  if (type === "closure") return name ? `function ${name}` : "anonymous function";
  if (type !== "object" || name.startsWith("system /") || name.startsWith("(")) return undefined;
  return name || "Object";
}

/** Classes with more instances in `after` than in `before`, most grown first. */
export function classGrowth(
  before: ReadonlyMap<string, ClassCount>,
  after: ReadonlyMap<string, ClassCount>,
  top = 10,
): ClassCount[] {
  const grown: ClassCount[] = [];
  for (const [name, now] of after) {
    const then = before.get(name) ?? { count: 0, bytes: 0 };
    if (now.count > then.count) {
      grown.push({ name, count: now.count - then.count, bytes: now.bytes - then.bytes });
    }
  }
  return grown.sort((a, b) => b.count - a.count || b.bytes - a.bytes).slice(0, top);
}
