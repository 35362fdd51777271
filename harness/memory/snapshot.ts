/**
 * Takes a heap snapshot of this process and reads it. V8 collects garbage before it walks the
 * heap, so what the snapshot shows is what is reachable. Slow (hundreds of milliseconds on a small
 * heap, seconds on a large one): callers take one only when something is already known retained.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import v8 from "node:v8";
import { HeapGraph } from "./heap-graph.ts";

export interface TakenSnapshot {
  graph: HeapGraph;
  /** Real milliseconds spent writing and reading it. */
  ms: number;
  /** Size of the snapshot file. */
  bytes: number;
  /** Where it was kept, when a directory to keep it in was given. */
  file?: string;
}

let counter = 0;

/**
 * `keepIn`: a directory to leave the `.heapsnapshot` file in (it opens in Chrome DevTools'
 * Memory tab); otherwise it is written to a temporary directory and removed once read.
 */
export function takeHeapSnapshot(keepIn?: string): TakenSnapshot {
  const started = performance.now();
  const dir = keepIn ?? mkdtempSync(path.join(tmpdir(), "crosstalk-heap-"));
  counter += 1;
  const file = path.join(dir, `crosstalk-${process.pid}-${Date.now()}-${counter}.heapsnapshot`);
  try {
    v8.writeHeapSnapshot(file);
    const text = readFileSync(file, "utf8");
    const graph = new HeapGraph(JSON.parse(text));
    const taken: TakenSnapshot = {
      graph,
      ms: performance.now() - started,
      bytes: Buffer.byteLength(text),
    };
    if (keepIn) taken.file = file;
    return taken;
  } finally {
    if (!keepIn) rmSync(dir, { recursive: true, force: true });
  }
}
