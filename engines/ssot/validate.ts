/**
 * Admission checks that need no engine state: the context (ctx.valid), the request
 * (errors.bad-request) and the limits. Each reads what it was handed once, never writes to it
 * (ctx.immutable), and returns either fresh copies for the run or a typed refusal.
 */
import {
  type Agent,
  type AgentRegistry,
  BadRequestError,
  type ContractError,
  contextProblem,
  DEFAULT_LIMITS,
  InvalidContextError,
  type JsonObject,
  type JsonValue,
  type Limits,
  type RunResult,
  type UserExecutionContext,
} from "../../harness/contract/index.ts";
import { clip, deepFreeze, jsonProblem, toJson, truncationMarker, utf8Length } from "./json.ts";

/** agent_started carries the input itself when it is this small, else a truncation marker. */
export const INPUT_SUMMARY_BYTES = 1024;

export interface AdmittedRequest {
  readonly agent: Agent;
  readonly agentName: string;
  /** The agent's own copy of the input. */
  readonly input: JsonValue;
  /** What agent_started shows of the input: at most INPUT_SUMMARY_BYTES serialised. */
  readonly inputSummary: JsonValue;
}

/** The runId to answer with, even for a context too broken to admit. */
export function runIdOf(context: unknown): string {
  try {
    const runId = (context as { runId?: unknown } | null)?.runId;
    return typeof runId === "string" ? runId : "";
  } catch {
    return "";
  }
}

/** A frozen deep copy of a valid context, or why it is not one. */
export function admitContext(raw: unknown): UserExecutionContext | ContractError {
  try {
    if (typeof raw !== "object" || raw === null) {
      return new InvalidContextError(contextProblem(raw) ?? "context is not an object");
    }
    // One read of each field: the checks and the copy must see the same values.
    const { userId, threadId, runId, requestId, connectionId, metadata } = raw as Record<
      string,
      unknown
    >;
    const fields = { userId, threadId, runId, requestId, connectionId, metadata };
    const problem = contextProblem(fields) ?? metadataProblem(metadata);
    if (problem) return new InvalidContextError(problem);
    const context: UserExecutionContext = {
      userId: userId as string,
      threadId: threadId as string,
      runId: runId as string,
      requestId: requestId as string,
      ...(connectionId === undefined ? {} : { connectionId: connectionId as string }),
      metadata: deepFreeze(toJson(metadata) as JsonObject),
    };
    return Object.freeze(context);
  } catch {
    return new InvalidContextError("context could not be read");
  }
}

function metadataProblem(metadata: unknown): string | undefined {
  const problem = jsonProblem(metadata);
  return problem ? `metadata is not JSON: it ${problem}` : undefined;
}

/** The agent and fresh copies of the input, or why the request is refused. */
export function admitRequest(
  raw: unknown,
  agents: AgentRegistry,
  maxInputBytes: number,
): AdmittedRequest | ContractError {
  try {
    if (typeof raw !== "object" || raw === null)
      return new BadRequestError("request is not an object");
    const { agentName, input } = raw as Record<string, unknown>;
    if (typeof agentName !== "string" || agentName === "") {
      return new BadRequestError("agentName is not a non-empty string");
    }
    const agent = lookUp(agents, agentName);
    if (!agent) return new BadRequestError(`unknown agent "${clip(agentName)}"`);
    const problem = jsonProblem(input);
    if (problem) return new BadRequestError(`input is not JSON: it ${problem}`);
    const text = JSON.stringify(input);
    const bytes = utf8Length(text);
    if (bytes > maxInputBytes) {
      return new BadRequestError(
        `input is ${bytes} bytes, more than the limit of ${maxInputBytes}`,
      );
    }
    const inputSummary =
      bytes <= INPUT_SUMMARY_BYTES
        ? (JSON.parse(text) as JsonValue)
        : truncationMarker(text, INPUT_SUMMARY_BYTES);
    return { agent, agentName, input: JSON.parse(text) as JsonValue, inputSummary };
  } catch {
    return new BadRequestError("request could not be read");
  }
}

function lookUp(agents: AgentRegistry, name: string): Agent | undefined {
  try {
    const agent = agents.get(name);
    return agent && typeof agent.run === "function" ? agent : undefined;
  } catch {
    return undefined; // a registry that throws knows no such agent
  }
}

/** The contract's defaults overlaid with what was given, checked once at create(). */
export function checkLimits(given: Partial<Limits> | undefined): Readonly<Limits> {
  const limits: Limits = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(DEFAULT_LIMITS) as (keyof Limits)[]) {
    const value = given?.[key] ?? DEFAULT_LIMITS[key];
    const least = key === "maxQueuedPerUser" || key === "bufferPerUser" ? 0 : 1;
    if (typeof value !== "number" || Number.isNaN(value) || value < least) {
      throw new RangeError(`limit ${key} must be a number >= ${least}, not ${String(value)}`);
    }
    limits[key] = value;
  }
  return Object.freeze(limits);
}

/** A refused request as execute() resolves it. */
export function refusal(runId: string, error: ContractError): RunResult {
  return { runId, status: "rejected", error: { code: error.code, message: error.message } };
}
