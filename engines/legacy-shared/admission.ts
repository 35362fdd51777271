// legacy-shared: the legacy models' common, correct plumbing, not part of any model's defects.
// This file: what a request must pass before it reaches an engine, and the refusal it gets if not.
// It imports only the contract; a model's defect never goes here (see /work/shared/LEGACY.md).
import {
  BadRequestError,
  type ContractError,
  contextProblem,
  type EngineDeps,
  ForbiddenError,
  InvalidContextError,
  type RunResult,
  type UserExecutionContext,
} from "../../harness/contract/index.ts";
import { byteLength, jsonProblem } from "./json.ts";

/** Who holds a connection: the user it is attached as, or undefined when it is not attached. */
export interface ConnectionOwners {
  ownerOf(connectionId: string): string | undefined;
}

/**
 * The typed refusal for a request, or undefined when it may go to the engine: valid context ids
 * and JSON metadata (ctx.valid), a connection of the context's own user (ctx.owner), a known
 * agent and a JSON input within maxInputBytes (errors.bad-request).
 */
export function admissionProblem(
  context: unknown,
  request: unknown,
  deps: Pick<EngineDeps, "agents" | "limits">,
  connections: ConnectionOwners,
): ContractError | undefined {
  const problem = contextProblem(context);
  if (problem) return new InvalidContextError(problem);
  const { userId, connectionId, metadata } = context as UserExecutionContext;
  const metadataProblem = jsonProblem(metadata);
  if (metadataProblem)
    return new InvalidContextError(`metadata is not JSON: it ${metadataProblem}`);
  if (connectionId !== undefined && connections.ownerOf(connectionId) !== userId) {
    return new ForbiddenError(`connection "${connectionId}" is not attached for user "${userId}"`);
  }
  if (typeof request !== "object" || request === null) {
    return new BadRequestError("request is not an object");
  }
  const { agentName, input } = request as { agentName?: unknown; input?: unknown };
  if (typeof agentName !== "string" || agentName === "") {
    return new BadRequestError("agentName is not a non-empty string");
  }
  if (!deps.agents.get(agentName)) return new BadRequestError(`unknown agent "${agentName}"`);
  const inputProblem = jsonProblem(input);
  if (inputProblem) return new BadRequestError(`input is not JSON: it ${inputProblem}`);
  const bytes = byteLength(JSON.stringify(input));
  const { maxInputBytes } = deps.limits;
  if (bytes > maxInputBytes) {
    return new BadRequestError(`input is ${bytes} bytes, more than ${maxInputBytes}`);
  }
  return undefined;
}

/** The result of a refused request: status rejected, the refusal's code and message. */
export function refused(context: unknown, error: { code: string; message: string }): RunResult {
  const runId = (context as { runId?: unknown } | null)?.runId;
  return {
    runId: typeof runId === "string" ? runId : "",
    status: "rejected",
    error: { code: error.code, message: error.message },
  };
}
