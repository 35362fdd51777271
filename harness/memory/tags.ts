/**
 * Finding a given object in a heap snapshot without touching it. A snapshot names objects by
 * constructor and lists their fields, but a context copied by the engine looks exactly like the
 * one the harness handed over, and a frozen runtime cannot be given a marker property. So the
 * harness puts each object of interest as a key in a WeakMap whose value is a small tag object
 * of its own class: V8 records every WeakMap entry in the snapshot as an edge from the key to the
 * value ("part of key (...) -> value (...) pair in WeakMap"), so the tag leads to the key. The
 * engine sees nothing (no property, prototype or freeze state changes), and the WeakMap keeps
 * nothing alive.
 */
import type { HeapGraph } from "./heap-graph.ts";

/** The value side of a tag entry; found in the snapshot by its class name and label. */
class CrosstalkHeapTag {
  constructor(readonly label: string) {}
}

const TAG_CLASS = "CrosstalkHeapTag";
const LABEL_FIELD = "label";
const tags = new WeakMap<object, CrosstalkHeapTag>();
let batches = 0;

/**
 * Labels of one tagging batch, unique in the process: an object tagged by an earlier batch (still
 * alive, say, in a legacy engine's module-level state) is not mistaken for one of this batch.
 */
export class TagBatch {
  readonly prefix: string;
  readonly #labels = new Map<string, number>();

  constructor() {
    batches += 1;
    this.prefix = `crosstalk-heap-tag:${process.pid}:${batches}:`;
  }

  /** Tags `object` as item `index` of this batch (the caller's own numbering). */
  tag(object: object, index: number): void {
    const label = flat(`${this.prefix}${index}`);
    this.#labels.set(label, index);
    tags.set(object, new CrosstalkHeapTag(label));
  }

  /** Snapshot node of each tagged object still in the heap: caller's index → node. */
  find(graph: HeapGraph): Map<number, number> {
    const tagNodes = new Map<number, number>(); // tag node → caller's index
    for (let node = 0; node < graph.nodeCount; node += 1) {
      if (graph.nodeType(node) !== "object" || graph.nodeName(node) !== TAG_CLASS) continue;
      const label = graph.child(node, LABEL_FIELD);
      if (label === undefined) continue;
      const index = this.#labels.get(graph.nodeName(label));
      if (index !== undefined) tagNodes.set(node, index);
    }
    const found = new Map<number, number>();
    if (tagNodes.size === 0) return found;
    for (let node = 0; node < graph.nodeCount; node += 1) {
      for (let e = graph.firstEdge(node); e < graph.endEdge(node); e += 1) {
        const index = tagNodes.get(graph.edgeTo(e));
        if (index === undefined || graph.edgeType(e) !== "internal") continue;
        const name = graph.edgeName(e);
        // The table has the same edge; the key is the node whose id the edge name gives.
        if (typeof name === "string" && name.includes(`part of key (`)) {
          const key = /part of key \(.*? @(\d+)\) -> value \(/.exec(name)?.[1];
          if (key !== undefined && Number(key) === graph.nodeId(node)) found.set(index, node);
        }
      }
    }
    return found;
  }
}

/**
 * A flat (sequential) copy of a string: a string built by concatenation is recorded in the
 * snapshot as "(concatenated string)", not by its text.
 */
function flat(text: string): string {
  return JSON.parse(JSON.stringify(text)) as string;
}
