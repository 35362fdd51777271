/**
 * The record of one scenario run: every call and what it returned, every frame the engine sent
 * and to which connection, what agents saw, in order, with virtual time. Checkers read only this.
 * Everything in it is a copy: the history never keeps alive what the engine was handed.
 */
import type { EngineStats, JsonValue, Limits } from "../contract/index.ts";
import type { WireLog } from "../transport/wire-log.ts";
import type { Operation, Scenario } from "./scenario.ts";

export interface EntryBase {
  /** Position in the history: the logical instant. */
  index: number;
  /** Virtual milliseconds since the start of the scenario. */
  at: number;
}

export interface CallEntry extends EntryBase {
  kind: "call";
  callId: number;
  operation: Operation;
  /** Issued by the runner after the scenario's own operations (the closing shutdown). */
  epilogue?: boolean;
}

export interface ThrownError {
  name: string;
  message: string;
  code?: string;
}

export interface ReturnEntry extends EntryBase {
  kind: "return";
  callId: number;
  /** A copy of what the call returned (sync or resolved). */
  value?: JsonValue;
  /** What the call threw or rejected with. */
  threw?: ThrownError;
  /** For execute: which of the objects handed to the engine it changed (ctx.immutable). */
  mutated?: ("context" | "request")[];
}

export interface DeliveryEntry extends EntryBase {
  kind: "deliver";
  connectionId: string;
  /** The user the connection was authenticated as. */
  connectionUserId: string;
  /** A deep copy of what the engine passed to send(); may be anything if the engine is broken. */
  event: unknown;
  /** Why the frame could not be copied as JSON, if it could not. */
  malformed?: string;
}

export interface ObservedContext {
  userId: unknown;
  threadId: unknown;
  runId: unknown;
  requestId: unknown;
}

/** One call an agent or tool received through the engine's runtime. */
export interface RuntimeEntry extends EntryBase {
  kind: "runtime";
  /** Numbered per agent.run() invocation, so calls of one invocation can be compared. */
  invocation: number;
  /** `wrong-result`: a tool call returned to the agent what another call produced. */
  call: "start" | "think" | "tool-call" | "tool-invoked" | "wrong-result" | "end";
  /** The context the runtime (or the tool invocation) exposed at that moment. */
  context: ObservedContext;
  /** The canary of the input the agent received (start only). */
  inputCanary?: string | null;
  /** What went wrong, for `wrong-result`. */
  detail?: string;
}

export interface StatsEntry extends EntryBase {
  kind: "stats";
  stats: EngineStats;
  /** Taken by the runner at a quiet instant, rather than by a scenario operation. */
  probe: boolean;
}

export interface UnhandledEntry extends EntryBase {
  kind: "unhandled";
  error: ThrownError;
  /** Where it surfaced: a timer callback, an unhandled rejection, a listener. */
  source: string;
}

export type HistoryEntry =
  | CallEntry
  | ReturnEntry
  | DeliveryEntry
  | RuntimeEntry
  | StatsEntry
  | UnhandledEntry;

/** A harness-tracked object the engine still held after it should have let go. */
export interface RetainedObject {
  kind: "context" | "request" | "input" | "connection" | "runtime" | "tool-result";
  userId: string;
  runId?: string;
  /**
   * When it should have been gone: after its run settled, after closeUser of its user, or after
   * the engine's shutdown returned.
   */
  after: "run-end" | "close-user" | "shutdown";
  /** Virtual milliseconds of the check that found it still reachable. */
  at?: number;
  /** Who holds it: the shortest path from a GC root, from a heap snapshot. */
  path?: RetainerPathInfo;
}

/** A retainer path, named by constructor and field names (harness/memory/render.ts). */
export interface RetainerPathInfo {
  /** E.g. `engine (LegacyEngine) → responseCache (Map) → entry "k" → value (Object)`. */
  text: string;
  /** The path without instance details: the same shape for every run and user it holds. */
  shape: string;
  /** Where the text starts, when the path passes through a known object ("engine"). */
  anchor?: string;
  /** Hops from the heap's root, unfolded. */
  length: number;
}

/** Retained objects whose paths have one shape: a thousand leaked contexts are one finding. */
export interface RetentionCluster {
  after: RetainedObject["after"];
  shape: string;
  /** The path of the first object of the cluster. */
  example: string;
  count: number;
  kinds: RetainedObject["kind"][];
}

export interface RetentionReport {
  /** False when garbage collection could not be forced; then nothing is known. */
  checked: boolean;
  reason?: string;
  retained: RetainedObject[];
  /** Same-shape retainer paths with their counts, largest first (only when paths were found). */
  clusters?: RetentionCluster[];
  /** Forced-collection checks made (after runs ended, after closeUser, after shutdown). */
  checks?: number;
  /** Heap snapshots taken to find retainers, and what they cost. */
  snapshots?: { count: number; ms: number; bytes: number };
  /**
   * Objects not judged because the harness's own agent or tool was still working for their run
   * (a scripted sleep): the harness, not the engine, held them.
   */
  deferred?: number;
}

/** The engine as a whole misbehaved so that the scenario could not be completed normally. */
export interface EngineFailure {
  phase: "load" | "create" | "run" | "shutdown";
  message: string;
  /** The real-time deadline ended the scenario: a slow machine can do that, not only the engine. */
  deadline?: boolean;
}

export interface History {
  engine: string;
  scenario: Scenario;
  limits: Limits;
  canaries: Record<string, string>;
  entries: HistoryEntry[];
  retention: RetentionReport;
  /** Timers left in the virtual clock and real resources added, after shutdown. */
  leftovers: {
    virtualTimers: number;
    resources: string[];
    /** The added resources, named (what kind, and where it came from when Node tells). */
    named?: string[];
  };
  /** Set when the recorder stopped recording (for example a flood of events). */
  truncated?: string;
  failure?: EngineFailure;
  /** Over a real WebSocket (--transport ws): what each socket sent and actually received. */
  wire?: WireLog;
}
