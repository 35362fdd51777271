/**
 * What the engine still holds that it must have let go (cleanup.run, cleanup.user and, after
 * shutdown, cleanup.shutdown): objects the harness handed over, followed by weak reference and
 * checked after forced garbage collection at a few checkpoints of a scenario. When something is
 * still reachable, more collection rounds confirm it before it is reported, and one heap snapshot
 * names who holds it (harness/memory).
 */
import { setTimeout as sleepReal } from "node:timers/promises";
import { clusterRetained } from "../memory/cluster.ts";
import { type Anchor, explainRetention } from "../memory/explain.ts";
import { collectGarbage } from "./gc.ts";
import type { RetainedObject, RetentionReport } from "./history.ts";
import type { TrackedObject } from "./recorder.ts";

/** What the runner knows about the objects' owners at a checkpoint. */
export interface RetentionRules {
  /** The run the object belongs to has ended and its execute has settled. */
  runSettled(object: TrackedObject): boolean;
  /** A closeUser of the object's user, issued after it was handed over, has returned. */
  userClosed(object: TrackedObject): boolean;
  /**
   * The harness's own agent or tool is still working for the object's run (a scripted sleep):
   * then the harness holds its runtime and results, and nothing of the run can be judged yet.
   */
  harnessBusy(object: TrackedObject): boolean;
}

export interface RetentionOptions {
  /** Objects the retainer paths start from when they pass through them (the engine). */
  anchors?: readonly Anchor[];
  /**
   * Heap snapshots allowed per scenario to name retainers; 0 turns paths off. By default 1,
   * unless the environment variable CROSSTALK_HEAP_SNAPSHOTS is "0".
   */
  maxSnapshots?: number;
  /** Keep the snapshot files in this directory (default: CROSSTALK_HEAP_SNAPSHOTS if a path). */
  keepSnapshotsIn?: string;
}

/**
 * CROSSTALK_HEAP_SNAPSHOTS: "0" takes no snapshot (retention is still found, without paths);
 * a directory keeps every snapshot taken there, to open in Chrome DevTools' Memory tab.
 */
function fromEnvironment(options: RetentionOptions): { budget: number; keepIn?: string } {
  const env = process.env.CROSSTALK_HEAP_SNAPSHOTS?.trim();
  const budget = options.maxSnapshots ?? (env === "0" ? 0 : 1);
  const keepIn = options.keepSnapshotsIn ?? (env && env !== "0" && env !== "1" ? env : undefined);
  return keepIn === undefined ? { budget } : { budget, keepIn };
}

type Phase = "scenario" | "shutdown";

/**
 * One collection a macrotask after the last touch clears every weak reference to plain
 * JavaScript objects; what still resolves is confirmed with more rounds, real timers in between
 * (an object freed by a native weak callback goes in a later collection), before it is reported.
 */
const CONFIRM_ROUNDS = 2;

export class RetentionMonitor {
  readonly #tracked: readonly TrackedObject[];
  readonly #rules: RetentionRules;
  readonly #options: RetentionOptions;
  /** Found retained, in order; an object may be found after run-end and again after shutdown. */
  readonly #found: { object: TrackedObject; retained: RetainedObject }[] = [];
  readonly #reported = new Set<string>();
  /** Objects confirmed retained once: later checks need not confirm them again. */
  readonly #confirmed = new Set<TrackedObject>();
  /** Objects the last check could not judge (harnessBusy). */
  readonly #deferred = new Set<TrackedObject>();
  #checks = 0;
  #snapshots = { count: 0, ms: 0, bytes: 0 };
  #unavailable = false;

  constructor(tracked: readonly TrackedObject[], rules: RetentionRules, options: RetentionOptions) {
    this.#tracked = tracked;
    this.#rules = rules;
    this.#options = options;
  }

  /** Forces collection and records what is due and still reachable. `at`: virtual ms. */
  async check(phase: Phase, at: number): Promise<void> {
    if (this.#unavailable) return;
    if (!(await collectGarbage(1))) {
      this.#unavailable = true;
      return;
    }
    this.#checks += 1;
    let suspects = this.#suspects(phase).filter((s) => !this.#reported.has(s.key));
    // Confirm what is newly suspected: whatever a job, a pending macrotask or an unfinished
    // marking still held is gone after a few more rounds with real timers in between.
    const unconfirmed = () => suspects.some((s) => !this.#confirmed.has(s.object));
    for (let round = 0; round < CONFIRM_ROUNDS && unconfirmed(); round += 1) {
      await sleepReal(1);
      await collectGarbage(1);
      suspects = suspects.filter((s) => s.object.ref.deref() !== undefined);
    }
    for (const suspect of suspects) {
      this.#reported.add(suspect.key);
      this.#confirmed.add(suspect.object);
      this.#found.push({ object: suspect.object, retained: { ...suspect.retained, at } });
    }
  }

  #suspects(phase: Phase) {
    const suspects: { key: string; object: TrackedObject; retained: RetainedObject }[] = [];
    this.#deferred.clear();
    this.#tracked.forEach((object, index) => {
      if (object.ref.deref() === undefined) return;
      const dues = this.#dues(object, phase);
      if (dues.length === 0) return;
      if (this.#rules.harnessBusy(object)) {
        this.#deferred.add(object);
        return;
      }
      const base: RetainedObject = { kind: object.kind, userId: object.userId, after: "run-end" };
      if (object.runId !== undefined) base.runId = object.runId;
      for (const after of dues) {
        suspects.push({ key: `${index}:${after}`, object, retained: { ...base, after } });
      }
    });
    return suspects;
  }

  #dues(object: TrackedObject, phase: Phase): RetainedObject["after"][] {
    const dues: RetainedObject["after"][] = [];
    // One object can break several clauses: its run ended, its user was closed, the engine stopped.
    if (
      object.kind !== "connection" &&
      object.runId !== undefined &&
      this.#rules.runSettled(object)
    )
      dues.push("run-end");
    if (this.#rules.userClosed(object)) dues.push("close-user");
    if (phase === "shutdown") dues.push("shutdown");
    return dues;
  }

  /**
   * Names who holds what was found and is still held, with one heap snapshot for all of it (they
   * are slow): called after the last check. An object found earlier and released since has no path.
   */
  async explain(): Promise<void> {
    const { budget, keepIn } = fromEnvironment(this.#options);
    if (this.#snapshots.count >= budget) return;
    const pending = this.#found.filter((f) => !f.retained.path && f.object.ref.deref());
    if (pending.length === 0) return;
    await collectGarbage(1);
    const objects = [...new Set(pending.map((f) => f.object))];
    const options = keepIn ? { keepSnapshotIn: keepIn } : {};
    const explanation = await explainRetention(
      objects.map((o) => o.ref),
      this.#options.anchors ?? [],
      options,
    );
    this.#snapshots.count += 1;
    this.#snapshots.ms += explanation.snapshotMs;
    this.#snapshots.bytes += explanation.snapshotBytes;
    for (const found of pending) {
      const path = explanation.paths[objects.indexOf(found.object)];
      if (!path) continue;
      found.retained.path = { text: path.text, shape: path.shape, length: path.length };
      if (path.anchor !== undefined) found.retained.path.anchor = path.anchor;
    }
  }

  report(): RetentionReport {
    if (this.#unavailable) {
      return {
        checked: false,
        reason: "garbage collection cannot be forced in this process",
        retained: [],
      };
    }
    const retained = this.#found.map((f) => f.retained);
    const report: RetentionReport = { checked: true, retained, checks: this.#checks };
    const clusters = clusterRetained(retained);
    if (clusters.length > 0) report.clusters = clusters;
    if (this.#snapshots.count > 0) report.snapshots = { ...this.#snapshots };
    if (this.#deferred.size > 0) report.deferred = this.#deferred.size;
    return report;
  }
}
