/**
 * fast-check arbitraries for multi-user workloads: 1 to 8 users, 0 to 3 connections each
 * attaching and detaching over time, runs of scripted agents (some sent in bursts, some with
 * inputs that coincide across users, some with ids that collide), cancels by owners and by
 * others, closeUser and shutdown in the middle of runs, and short timeouts. Rare shapes are rare
 * on purpose but never absent; everything optional shrinks away, every number toward 0.
 */
import fc from "fast-check";
import type {
  CancelPlan,
  ConnectionPlan,
  ProbePlan,
  RunPlan,
  UserPlan,
  Workload,
  WorkloadLimits,
} from "./model.ts";
import { METADATA_SHAPES } from "./model.ts";
import { scriptArbitrary } from "./steps.ts";
import { INSTANTS, SLEEPS, TIMEOUTS } from "./times.ts";

export interface WorkloadOptions {
  maxUsers?: number;
  maxConnections?: number;
  /** Run plans per user (a plan may be a burst of several runs). */
  maxRuns?: number;
}

const instant = fc.constantFrom(...INSTANTS);

/** A value about once in `oneIn` times, undefined otherwise; shrinks to undefined. */
function sometimes<T>(value: fc.Arbitrary<T>, oneIn: number): fc.Arbitrary<T | undefined> {
  return fc.oneof(
    { withCrossShrink: true },
    { arbitrary: fc.constant(undefined), weight: oneIn - 1 },
    { arbitrary: value, weight: 1 },
  );
}

/** One of the values with these weights; shrinks to the first. */
function weighted<T>(...choices: [T, number][]): fc.Arbitrary<T> {
  return fc.oneof(
    { withCrossShrink: true },
    ...choices.map(([value, weight]) => ({ arbitrary: fc.constant(value), weight })),
  );
}

const limitsArbitrary: fc.Arbitrary<WorkloadLimits> = fc
  .record({
    perUserConcurrency: sometimes(fc.integer({ min: 1, max: 4 }), 2),
    globalConcurrency: sometimes(fc.integer({ min: 1, max: 6 }), 4),
    maxQueuedPerUser: sometimes(fc.integer({ min: 1, max: 4 }), 5),
    runTimeoutMs: fc.constantFrom(...TIMEOUTS),
    bufferPerUser: sometimes(fc.integer({ min: 2, max: 10 }), 4),
    maxInputBytes: sometimes(fc.constant(2048), 10),
    maxEventBytes: sometimes(fc.constant(1024), 10),
  })
  .map(dropUndefined);

const connectionArbitrary: fc.Arbitrary<ConnectionPlan> = fc
  .record({ attachAt: instant, detachAt: sometimes(instant, 3) })
  .map(dropUndefined);

const cancelArbitrary: fc.Arbitrary<CancelPlan> = fc.record({
  after: fc.constantFrom(...SLEEPS),
  by: fc.oneof(
    { arbitrary: fc.constant<"owner">("owner"), weight: 3 },
    { arbitrary: fc.integer({ min: 0, max: 6 }), weight: 1 },
  ),
});

const runArbitrary: fc.Arbitrary<RunPlan> = fc
  .record({
    at: instant,
    script: fc.oneof(
      { withCrossShrink: true },
      { arbitrary: scriptArbitrary({ canary: true }).map((steps) => ({ steps })), weight: 3 },
      { arbitrary: fc.integer({ min: 0, max: 2 }).map((shared) => ({ shared })), weight: 1 },
    ),
    repeat: sometimes(fc.integer({ min: 2, max: 12 }), 8),
    ids: weighted<RunPlan["ids"]>(
      [undefined, 10],
      ["threaded", 5],
      ["foreign-thread", 2],
      ["reuse-own", 2],
      ["reuse-foreign", 2],
      ["collide-foreign", 2],
    ),
    sharedThread: sometimes(fc.integer({ min: 0, max: 2 }), 7),
    request: weighted<RunPlan["request"]>([undefined, 12], ["previous", 2], ["foreign", 1]),
    via: weighted<RunPlan["via"]>([undefined, 15], ["own", 4], ["foreign", 1]),
    metadata: sometimes(fc.integer({ min: 1, max: METADATA_SHAPES.length - 1 }), 3),
    unknownAgent: weighted<true | undefined>([undefined, 30], [true, 1]),
    invalid: weighted<RunPlan["invalid"]>(
      [undefined, 120],
      ["userId", 1],
      ["threadId", 1],
      ["runId", 1],
      ["requestId", 1],
    ),
    cancel: sometimes(cancelArbitrary, 5),
  })
  .map(dropUndefined);

function userArbitrary(options: Required<WorkloadOptions>): fc.Arbitrary<UserPlan> {
  return fc
    .record({
      connections: fc.array(connectionArbitrary, { maxLength: options.maxConnections }),
      runs: fc.array(runArbitrary, { maxLength: options.maxRuns }),
      closeAt: sometimes(instant, 7),
    })
    .map(dropUndefined);
}

const probeArbitrary: fc.Arbitrary<ProbePlan> = fc.record({
  steps: scriptArbitrary({ canary: true, safe: true }, 3),
  subjectAt: instant,
});

export function workloadArbitrary(options: WorkloadOptions = {}): fc.Arbitrary<Workload> {
  const bounds: Required<WorkloadOptions> = {
    maxUsers: options.maxUsers ?? 8,
    maxConnections: options.maxConnections ?? 3,
    maxRuns: options.maxRuns ?? 4,
  };
  return fc
    .record({
      limits: limitsArbitrary,
      users: fc.array(userArbitrary(bounds), { minLength: 1, maxLength: bounds.maxUsers }),
      shared: fc.array(scriptArbitrary({ canary: false }), { maxLength: 2 }),
      probe: sometimes(probeArbitrary, 3),
      statsAt: fc.array(instant, { maxLength: 2 }),
      shutdownAt: sometimes(instant, 10),
      // Forced garbage collection makes a trial ten times slower: one in eight checks it.
      retention: weighted([false, 7], [true, 1]),
    })
    .map(dropUndefined);
}

/** Optional fields are absent rather than undefined, so a workload is the JSON it prints as. */
function dropUndefined<T extends object>(record: T): T {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined)) as T;
}
