/**
 * Names a retainer path the way a developer reads their own code: constructor and field names,
 * Map entries by their key, closures by the variable they capture, paused async functions by
 * name, with V8's internal hops (element stores, hash tables, contexts, promise reactions)
 * folded into the source-level hop they implement.
 */
import type { PathStep } from "./retainers.ts";

export interface RetainerPath {
  /** E.g. `engine (LegacyEngine) → responseCache (Map) → entry "k" → output (Object)`. */
  text: string;
  /**
   * The same path with its instance details (indexes, keys, ids) left out: paths of one shape
   * are one finding, whatever run or user they belong to.
   */
  shape: string;
  /** The anchor the text starts at, when the path passes through one. */
  anchor?: string;
  /** Hops from the heap's root to the object: the full, unfolded path. */
  length: number;
  /** The unfolded hops, from the anchor (or the root) on. */
  steps: PathStep[];
}

interface Hop {
  /** How the hop is written, e.g. `responseCache`, `[3]`, `entry "k"`. */
  label: string;
  /** The same without instance details. */
  shape: string;
  /** What it leads to, e.g. `Map`, `async run()`. */
  word: string;
}

const MAX_LABEL = 48;

export function renderPath(
  steps: readonly PathStep[],
  anchors: ReadonlyMap<number, string>,
): RetainerPath {
  let start = -1;
  let anchor: string | undefined;
  steps.forEach((step, i) => {
    const label = anchors.get(step.id);
    if (label !== undefined) {
      start = i;
      anchor = label;
    }
  });
  const head = start >= 0 ? steps[start] : undefined;
  const hops = fold(steps, start + 1);
  if (anchor !== undefined && head) {
    hops.unshift({ label: anchor, shape: anchor, word: nodeWord(head) });
  }
  const path: RetainerPath = {
    text: hops.map((h) => (h.word ? `${h.label} (${h.word})` : h.label)).join(" → "),
    shape: hops.map((h) => (h.word ? `${h.shape} (${h.word})` : h.shape)).join(" → "),
    length: steps.length,
    steps: steps.slice(Math.max(0, start)),
  };
  if (anchor !== undefined) path.anchor = anchor;
  return path;
}

/** What a node is called in a path: its constructor, or what kind of thing it is. */
export function nodeWord(step: Pick<PathStep, "type" | "name" | "detail">): string {
  switch (step.type) {
    case "closure":
      return step.name ? `function ${step.name}` : "anonymous function";
    case "string":
    case "concatenated string":
    case "sliced string":
      return "string";
    case "object":
      if (step.name === "Generator") return `async ${step.detail || "function"}()`;
      return step.name.replace(/^system \/ /, "") || "object";
    default:
      return step.name.replace(/^system \/ /, "") || step.type;
  }
}

/** Folds V8's internal hops, from `from` on, into the source-level hops they implement. */
function fold(steps: readonly PathStep[], from: number): Hop[] {
  const hops: Hop[] = [];
  let i = from;
  while (i < steps.length) {
    const step = steps[i] as PathStep;
    const next = steps[i + 1];
    const prev = steps[i - 1];
    const folded = next ? foldPair(step, next, prev) : undefined;
    if (folded) {
      hops.push(folded);
      i += 2;
      continue;
    }
    hops.push(plainHop(step, prev));
    i += 1;
  }
  return hops;
}

/** Two raw hops that are one source-level hop, or undefined. */
function foldPair(step: PathStep, next: PathStep, prev: PathStep | undefined): Hop | undefined {
  const to = nodeWord(next);
  // obj → elements → [i]: an array's element.
  if (step.edge === "elements" && step.type === "array") {
    return { label: `[${String(next.edge)}]`, shape: "[]", word: to };
  }
  // Map/Set → table → slot: an entry, by its key.
  if (step.edge === "table" && prev && (prev.name === "Map" || prev.name === "Set")) {
    const label = next.detail ?? "entry";
    return { label: short(label), shape: label.replace(/^entry .*/, "entry"), word: to };
  }
  // paused async function → its saved registers → a local variable's value.
  if (prev?.name === "Generator" && prev.type === "object" && step.type === "array") {
    return { label: "local", shape: "local", word: to };
  }
  // promise → its reactions → handler: what runs when it settles.
  if (step.edge === "reactions_or_result" && step.name.endsWith("PromiseReaction")) {
    return { label: "then", shape: "then", word: to };
  }
  if (step.edge !== "context" || step.edgeType !== "internal") return undefined;
  // closure → its scope → variable.
  if (next.edgeType === "context") {
    const name = `scope.${String(next.edge)}`;
    return { label: name, shape: name, word: to };
  }
  // await continuation → its scope → the paused async function.
  if (next.edge === "extension" && next.name === "Generator") {
    return { label: "resumes", shape: "resumes", word: to };
  }
  // a promise's resolve function → its scope → the promise it settles.
  if (next.name === "Promise") return { label: "settles", shape: "settles", word: to };
  return { label: "scope", shape: "scope", word: to };
}

function plainHop(step: PathStep, prev: PathStep | undefined): Hop {
  // The heap's root categories: "(GC roots)", "(Global handles)", "(Stack roots)"...
  if (step.type === "synthetic") return { label: step.name, shape: step.name, word: "" };
  // The root's shortcut to a global object: the program's `globalThis`.
  if (step.edgeType === "shortcut") return { label: "globalThis", shape: "globalThis", word: "" };
  const word = nodeWord(step);
  const name = String(step.edge);
  if (prev?.type === "object" && prev.name === "Generator") {
    // A paused async function holds `this`, its locals and the promise it will settle.
    if (name === "receiver") return { label: "this", shape: "this", word };
    if (step.name === "Promise") return { label: "result", shape: "result", word };
    return { label: "local", shape: "local", word };
  }
  if (name.includes("part of key")) {
    return { label: "WeakMap value", shape: "WeakMap value", word };
  }
  switch (step.edgeType) {
    case "element":
    case "hidden":
      return { label: `[${name}]`, shape: "[]", word };
    case "context":
      return { label: `scope.${name}`, shape: `scope.${name}`, word };
    default: {
      const bare = name.replace(/^\d+ \/ /, "");
      return { label: short(bare), shape: /^\d+$/.test(bare) ? "[]" : short(bare), word };
    }
  }
}

function short(text: string): string {
  return text.length > MAX_LABEL ? `${text.slice(0, MAX_LABEL - 1)}…` : text;
}
