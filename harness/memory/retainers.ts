/**
 * Shortest retainer paths: a breadth-first walk from the snapshot's root over the references
 * that keep objects alive, the way Chrome DevTools computes "distance". Weak references are not
 * followed; a WeakMap value is reached only from its key (an ephemeron is alive through its key,
 * not through the table); shortcut edges count only from the root (they mark global objects).
 */
import type { HeapGraph } from "./heap-graph.ts";

/** One hop of a path: the edge followed, and the node it leads to. */
export interface PathStep {
  edgeType: string;
  edge: string | number;
  /** V8's node type: object, closure, array, hidden, string, ... */
  type: string;
  /** For objects the constructor's name; for closures the function's; for strings the text. */
  name: string;
  id: number;
  selfSize: number;
  /**
   * What the raw edge does not say: for a Map or Set slot, `entry "<key>"`, `key` or `member`;
   * for a paused async function (a Generator), the function's name.
   */
  detail?: string;
}

const EPHEMERON = /part of key \(.*? @(\d+)\) -> value \(/;
const NONE = -1;

export class ShortestPaths {
  readonly #graph: HeapGraph;
  /** The edge by which each node was first reached, or NONE. */
  readonly #via: Int32Array;
  readonly #from: Int32Array;

  constructor(graph: HeapGraph) {
    this.#graph = graph;
    const n = graph.nodeCount;
    this.#via = new Int32Array(n).fill(NONE);
    this.#from = new Int32Array(n).fill(NONE);
    const reached = new Uint8Array(n);
    const queue = new Uint32Array(n);
    let head = 0;
    let tail = 0;
    if (n === 0) return;
    reached[0] = 1;
    queue[tail++] = 0;
    while (head < tail) {
      const node = queue[head++] as number;
      for (let e = graph.firstEdge(node); e < graph.endEdge(node); e += 1) {
        const to = graph.edgeTo(e);
        if (reached[to] || !this.#follows(node, e)) continue;
        reached[to] = 1;
        this.#via[to] = e;
        this.#from[to] = node;
        queue[tail++] = to;
      }
    }
  }

  #follows(node: number, edge: number): boolean {
    const g = this.#graph;
    const type = g.edgeType(edge);
    if (type === "weak") return false;
    if (type === "shortcut") return node === 0;
    if (type === "internal") {
      const name = g.edgeName(edge);
      if (typeof name === "string" && name.includes("part of key")) {
        const key = EPHEMERON.exec(name)?.[1];
        return key !== undefined && Number(key) === g.nodeId(node);
      }
    }
    // DevTools' own exclusions: a native context's sloppy function map and descriptor arrays'
    // key slots tie everything to everything without retaining anything in particular.
    if (g.nodeType(node) === "hidden" && g.nodeName(node) === "system / NativeContext") {
      return g.edgeName(edge) !== "sloppy_function_map";
    }
    if (g.nodeType(node) === "array" && g.nodeName(node) === "(map descriptors)") {
      const index = Number(g.edgeName(edge));
      return !(index >= 2 && index % 3 === 1);
    }
    return true;
  }

  reachable(node: number): boolean {
    return node === 0 || this.#via[node] !== NONE;
  }

  /** The nodes from the root (exclusive) to `node` (inclusive), or undefined if unreachable. */
  pathTo(node: number, maxSteps = 10_000): PathStep[] | undefined {
    if (!this.reachable(node)) return undefined;
    const g = this.#graph;
    const steps: PathStep[] = [];
    let at = node;
    while (at !== 0 && steps.length < maxSteps) {
      const edge = this.#via[at] as number;
      const from = this.#from[at] as number;
      const step: PathStep = {
        edgeType: g.edgeType(edge),
        edge: g.edgeName(edge),
        type: g.nodeType(at),
        name: g.nodeName(at),
        id: g.nodeId(at),
        selfSize: g.selfSize(at),
      };
      const detail = detailOf(g, from, edge, at, this.parentOf(from));
      if (detail !== undefined) step.detail = detail;
      steps.push(step);
      at = from;
    }
    return steps.reverse();
  }

  /** The node a path step passed through before `node`, or undefined at the root. */
  parentOf(node: number): number | undefined {
    const from = this.#from[node];
    return from === undefined || from === NONE ? undefined : from;
  }
}

/**
 * V8 stores a Map as [count, deleted, B buckets, B bucket heads, then 2B entries of (key, value,
 * chain)] and a Set with entries of (key, chain) (OrderedHashTable). The table's size gives B, B
 * gives which slot is a key and which a value, and a value's key sits in the slot before it.
 */
function collectionSlot(g: HeapGraph, table: number, slot: number, kind: string): string {
  if (kind === "Set") return "member";
  const words = (g.selfSize(table) - 16) / 8;
  const buckets = (words - 3) / 7;
  if (!Number.isInteger(buckets) || buckets < 1) return "entry";
  const offset = slot - 3 - buckets;
  if (offset < 0) return "entry";
  if (offset % 3 === 0) return "key";
  const key = g.child(table, slot - 1);
  if (key === undefined) return "entry (number key)";
  const type = g.nodeType(key);
  if (type.includes("string")) return `entry ${JSON.stringify(stringText(g, key))}`;
  return `entry keyed by ${g.nodeName(key) || type} @${g.nodeId(key)}`;
}

function detailOf(
  g: HeapGraph,
  from: number,
  edge: number,
  to: number,
  owner: number | undefined,
): string | undefined {
  if (g.nodeName(to) === "Generator" && g.nodeType(to) === "object") {
    const fn = g.child(to, "function");
    return fn === undefined ? undefined : g.nodeName(fn);
  }
  if (owner === undefined || g.edgeType(edge) === "weak") return undefined;
  const kind = g.nodeName(owner);
  if ((kind !== "Map" && kind !== "Set") || g.child(owner, "table") !== from) return undefined;
  const slot = Number(g.edgeName(edge));
  return Number.isInteger(slot) ? collectionSlot(g, from, slot, kind) : undefined;
}

/** The text of a string node; a concatenated string is its parts ("first", "second") joined. */
export function stringText(g: HeapGraph, node: number, budget = 200): string {
  if (g.nodeType(node) !== "concatenated string") return g.nodeName(node).slice(0, budget);
  let text = "";
  for (const part of ["first", "second"]) {
    const child = g.child(node, part);
    if (child !== undefined && text.length < budget)
      text += stringText(g, child, budget - text.length);
  }
  return text;
}
