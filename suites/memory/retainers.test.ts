// Retainer paths from a real heap snapshot: each shape of holder (field, Map entry, Set member,
// array element, closure variable, private field, WeakMap value, paused async function) is named
// the way the code names it, and paths of one shape cluster into one finding with a count.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Explanation, explainRetention } from "../../harness/memory/explain.ts";

class LeakyEngine {
  readonly responseCache = new Map<string, { output: object }>();
  readonly seen = new Set<object>();
  readonly callbacks: (() => object)[] = [];
  readonly history: object[] = [];
  readonly byKey = new WeakMap<object, object>();
  readonly keys: object[] = [];
  #runs = new Map<string, object>();
  pending: Promise<void> | undefined;

  keep(kind: string, target: object, id: string): void {
    switch (kind) {
      case "cache":
        this.responseCache.set(`planner:${id}`, { output: target });
        return;
      case "set":
        this.seen.add(target);
        return;
      case "closure":
        this.callbacks.push(function onDeath() {
          return target;
        });
        return;
      case "array":
        this.history.push({ id }, target);
        return;
      case "private":
        this.#runs.set(id, target);
        return;
      case "weakmap": {
        const key = { id };
        this.keys.push(key);
        this.byKey.set(key, target);
        return;
      }
      case "async":
        this.pending = this.#waitWith(target);
        return;
    }
  }

  async #waitWith(target: object): Promise<void> {
    const held = target;
    await new Promise<void>((resolve) => this.callbacks.push(() => ({ resolve })));
    void held;
  }
}

const engines: LeakyEngine[] = [];
const GLOBAL = "__crosstalkRetainersTest";
afterAll(() => {
  engines.length = 0;
  delete (globalThis as Record<string, unknown>)[GLOBAL];
});

/** Objects made and handed to a new engine in a frame of their own: only the engine holds them. */
function handOver(kinds: readonly string[], each = 1): { refs: WeakRef<object>[]; engine: object } {
  const engine = new LeakyEngine();
  engines.push(engine);
  const refs: WeakRef<object>[] = [];
  for (const kind of kinds) {
    for (let i = 0; i < each; i += 1) {
      const target = { userId: "u2", runId: `r${i}`, kind };
      engine.keep(kind, target, `${kind}-${i}`);
      refs.push(new WeakRef(target));
    }
  }
  return { refs, engine };
}

const KINDS = ["cache", "set", "closure", "array", "private", "weakmap", "async"];
let explanation: Explanation;

// One snapshot for the whole file (they take seconds in a test worker): an anchored engine
// holding one object of each kind, then three more of two kinds, an engine that is no anchor,
// and an object that was collected.
beforeAll(async () => {
  const anchored = handOver(KINDS);
  const more = handOver(["cache", "array"], 3);
  const unanchored = handOver(["set"]);
  // Held from a global too: the shortest path to it then starts at the global object, not at
  // an anchored engine (whose class scope reaches this module's variables, `engines` included).
  (globalThis as Record<string, unknown>)[GLOBAL] = unanchored.engine;
  const gone = new WeakRef({ collected: true });
  explanation = await explainRetention(
    [...anchored.refs, ...more.refs, ...unanchored.refs, gone],
    [
      { object: anchored.engine, label: "engine" },
      { object: more.engine, label: "engine" },
    ],
  );
});

describe("retainer paths", () => {
  it("names each holder by constructor and field, from the anchor", () => {
    const paths = explanation.paths.slice(0, KINDS.length);
    expect(paths.map((p) => p?.text)).toEqual([
      'engine (LeakyEngine) → responseCache (Map) → entry "planner:cache-0" (Object) → output (Object)',
      "engine (LeakyEngine) → seen (Set) → member (Object)",
      "engine (LeakyEngine) → callbacks (Array) → [0] (function onDeath) → scope.target (Object)",
      "engine (LeakyEngine) → history (Array) → [1] (Object)",
      'engine (LeakyEngine) → #runs (Map) → entry "private-0" (Object)',
      "engine (LeakyEngine) → keys (Array) → [0] (Object) → WeakMap value (Object)",
      expect.stringMatching(
        /^engine \(LeakyEngine\) → callbacks \(Array\) → \[1\] \(anonymous function\) → .*resumes \(async #waitWith\(\)\) → local \(Object\)$/,
      ),
    ]);
    expect(paths.every((p) => p?.anchor === "engine")).toBe(true);
    expect(explanation.snapshotMs).toBeGreaterThan(0);
  });

  it("gives every object of one holder the same shape, whatever its key or index", () => {
    const paths = explanation.paths.slice(KINDS.length, KINDS.length + 6);
    expect([...new Set(paths.map((p) => p?.shape))]).toEqual([
      "engine (LeakyEngine) → responseCache (Map) → entry (Object) → output (Object)",
      "engine (LeakyEngine) → history (Array) → [] (Object)",
    ]);
    expect(paths.slice(0, 3).map((p) => p?.text)).toEqual(
      [0, 1, 2].map(
        (i) =>
          `engine (LeakyEngine) → responseCache (Map) → entry "planner:cache-${i}" (Object) → output (Object)`,
      ),
    );
  });

  it("starts at the heap's root when no anchor is on the path, and has none for a collected object", () => {
    const [unanchored, gone] = explanation.paths.slice(KINDS.length + 6);
    expect(unanchored?.anchor).toBeUndefined();
    expect(unanchored?.text).toBe(
      `globalThis → ${GLOBAL} (LeakyEngine) → seen (Set) → member (Object)`,
    );
    expect(gone).toBeUndefined();
  });
});
