/** What a user asked for, and who asked. The engine must never mutate these (ctx.immutable). */

export type JsonValue =
  | null
  | boolean
  | number
  | string
  | JsonValue[]
  | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export interface UserExecutionContext {
  readonly userId: string;
  readonly threadId: string;
  readonly runId: string;
  readonly requestId: string;
  /** The connection the request came from, when it came from one (ctx.owner). */
  readonly connectionId?: string;
  readonly metadata: JsonObject;
}

export interface ExecuteRequest {
  readonly agentName: string;
  readonly input: JsonValue;
}

export type RunStatus = "completed" | "error" | "timeout" | "cancelled" | "rejected";

export interface RunError {
  /** A stable machine-readable code, e.g. INVALID_CONTEXT or the agent's failure reason. */
  readonly code: string;
  readonly message: string;
}

export interface RunResult {
  readonly runId: string;
  readonly status: RunStatus;
  readonly output?: JsonValue;
  readonly error?: RunError;
}
