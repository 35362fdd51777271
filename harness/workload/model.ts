/**
 * A workload is the generated, shrinkable description of a multi-user situation: who connects
 * when, who runs what, who cancels or closes what. It refers to users, runs and connections by
 * position, never by id, so that removing any part of it (which is what shrinking does) leaves
 * a workload that still makes sense; `compileWorkload` turns it into the runner's Scenario.
 * Everything in it is plain JSON.
 */
import type { Step } from "../world/script.ts";

/** Small limits make queues, timeouts and resume-buffer overflows happen after a few runs. */
export interface WorkloadLimits {
  perUserConcurrency?: number;
  globalConcurrency?: number;
  maxQueuedPerUser?: number;
  /** Always ≡ 5 (mod 10) while every other instant is a multiple of 10: see times.ts. */
  runTimeoutMs?: number;
  bufferPerUser?: number;
  maxInputBytes?: number;
  maxEventBytes?: number;
}

/** One browser tab of a user: attached at `attachAt`, detached at `detachAt` if given. */
export interface ConnectionPlan {
  attachAt: number;
  detachAt?: number;
}

/** How a run's ids are made; the shapes that real clients produce, and that legacy code mangles. */
export type RunIdStyle =
  /** `run-u1-3`. */
  | "plain"
  /** `thread_u1_run_3`: the backend's own shape, naming the run's thread. */
  | "threaded"
  /** `thread_<another user's thread>_run_3`: a string that names someone else's thread. */
  | "foreign-thread"
  /** The run id of this user's previous run (a client retry, or a duplicate). */
  | "reuse-own"
  /** The run id of another user's run (ids are made by clients). */
  | "reuse-foreign"
  /** The same, issued at the very instant of that run (two clients picking one id at once). */
  | "collide-foreign";

/** A context that must be refused: one id is a placeholder or empty. */
export type InvalidField = "userId" | "threadId" | "runId" | "requestId";

export interface CancelPlan {
  /** Virtual milliseconds after the run's execute. */
  after: number;
  /** `owner`, or the position of another user (modulo the number of users) who tries. */
  by: "owner" | number;
}

export interface RunPlan {
  at: number;
  /** The run's own steps (its input carries the user's canary), or a shared script's position. */
  script: { steps: Step[] } | { shared: number };
  /** The same request issued this many times at once (a burst from one client); 1 by default. */
  repeat?: number;
  ids?: RunIdStyle;
  /** Position in a pool of thread ids shared by all users (colliding thread ids). */
  sharedThread?: number;
  /**
   * The request id of this user's previous run (a pipeline of runs answering one request), or
   * of another user's run (request ids are made by clients, and clients pick alike).
   */
  request?: "previous" | "foreign";
  /** The context names a connection: this user's own (`own`) or another user's (`foreign`). */
  via?: "own" | "foreign";
  /** Position in METADATA_SHAPES. */
  metadata?: number;
  /** An agent that does not exist (errors.bad-request). */
  unknownAgent?: boolean;
  invalid?: InvalidField;
  cancel?: CancelPlan;
}

export interface UserPlan {
  connections: ConnectionPlan[];
  runs: RunPlan[];
  closeAt?: number;
}

/**
 * isolation.failure's probe: a control user runs `steps` alone at 0 ms, before anything else
 * happens; a subject user runs the same steps at `subjectAt`, amid the others' failures. A
 * correct engine gives both the same outcome after the same virtual duration.
 */
export interface ProbePlan {
  steps: Step[];
  subjectAt: number;
}

export interface Workload {
  limits: WorkloadLimits;
  users: UserPlan[];
  /** Scripts without a canary that any user may send: the same input from several users. */
  shared: Step[][];
  probe?: ProbePlan;
  /** Extra stats() calls, at these instants. */
  statsAt: number[];
  shutdownAt?: number;
  /** Force garbage collection after the runs to find what the engine retains (slower). */
  retention: boolean;
}

/** Context metadata shapes seen in the original backend's traffic. */
export const METADATA_SHAPES = [
  {},
  {
    current_request: "use search tool to query database for my invoices",
    cache_key: "invoices-summary",
  },
  { current_request: "what is the weather in Lisbon", client: { tab: 1, locale: "en-GB" } },
  { cache_key: "weather-lisbon" },
] as const;
