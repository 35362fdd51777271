/**
 * A scenario is plain data: users, and operations at virtual times. Being data, it can be
 * generated, shrunk, saved as a witness and replayed.
 */
import type { ExecuteRequest, JsonObject, Limits } from "../contract/index.ts";

export interface ScenarioContext {
  userId: string;
  threadId: string;
  runId: string;
  requestId: string;
  connectionId?: string;
  metadata: JsonObject;
}

export type Operation =
  | { op: "attach"; connectionId: string; userId: string }
  | { op: "detach"; connectionId: string }
  | { op: "execute"; context: ScenarioContext; request: ExecuteRequest }
  | { op: "cancel"; runId: string; byUserId: string }
  | { op: "closeUser"; userId: string }
  | { op: "stats" }
  | { op: "shutdown" };

/** An operation and the virtual millisecond it is issued at. Ties keep scenario order. */
export type TimedOperation = Operation & { at: number };

export interface Scenario {
  name: string;
  /** Overrides of the contract's default limits for this scenario. */
  limits?: Partial<Limits>;
  /** Every user that takes part; each gets a canary unless one is given. */
  users: string[];
  ops: TimedOperation[];
}
