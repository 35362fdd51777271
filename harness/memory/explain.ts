/**
 * Who holds it: for objects known to be retained (their weak references still resolve after
 * forced garbage collection), one heap snapshot and the shortest retainer path to each, named by
 * constructor and field, starting at the nearest anchor (the engine instance, the clock) when
 * the path passes through one.
 */
import { setImmediate as nextMacrotask } from "node:timers/promises";
import { type RetainerPath, renderPath } from "./render.ts";
import { ShortestPaths } from "./retainers.ts";
import { takeHeapSnapshot } from "./snapshot.ts";
import { TagBatch } from "./tags.ts";

/** A harness object a path may start from, e.g. the engine instance under test. */
export interface Anchor {
  object: object;
  /** How a path names it, e.g. "engine". */
  label: string;
}

export interface Explanation {
  /** One per target, in order; undefined when the object was gone by the snapshot. */
  paths: (RetainerPath | undefined)[];
  snapshotMs: number;
  snapshotBytes: number;
  /** The kept snapshot file, when asked to keep it. */
  file?: string;
}

export interface ExplainOptions {
  /** A directory to keep the snapshot file in (for DevTools). */
  keepSnapshotIn?: string;
}

export async function explainRetention(
  targets: readonly WeakRef<object>[],
  anchors: readonly Anchor[],
  options: ExplainOptions = {},
): Promise<Explanation> {
  const batch = new TagBatch();
  tagAll(batch, targets, anchors);
  // deref() keeps its target alive until the end of the current job; a macrotask later the
  // snapshot sees only what the program itself holds.
  await nextMacrotask();
  const taken = takeHeapSnapshot(options.keepSnapshotIn);
  const found = batch.find(taken.graph);
  const shortest = new ShortestPaths(taken.graph);
  const anchorIds = new Map<number, string>();
  anchors.forEach((anchor, k) => {
    const node = found.get(targets.length + k);
    if (node !== undefined) anchorIds.set(taken.graph.nodeId(node), anchor.label);
  });
  const paths = targets.map((_, index) => {
    const node = found.get(index);
    if (node === undefined) return undefined;
    const steps = shortest.pathTo(node);
    return steps ? renderPath(steps, anchorIds) : undefined;
  });
  const explanation: Explanation = {
    paths,
    snapshotMs: Math.round(taken.ms),
    snapshotBytes: taken.bytes,
  };
  if (taken.file) explanation.file = taken.file;
  return explanation;
}

/** In its own frame, so that no strong reference to a target outlives it on the stack. */
function tagAll(batch: TagBatch, targets: readonly WeakRef<object>[], anchors: readonly Anchor[]) {
  targets.forEach((ref, index) => {
    const object = ref.deref();
    if (object !== undefined) batch.tag(object, index);
  });
  anchors.forEach((anchor, k) => {
    batch.tag(anchor.object, targets.length + k);
  });
}
