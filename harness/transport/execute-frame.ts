/**
 * The `execute` frame (PROTOCOL.md) that carries a scenario's execute operation. Both the
 * in-process wire runner (run/ws-issue.ts) and the remote checker (adapters/remote/driver.ts)
 * send it, and they must send the same frame for the same operation.
 */
import type { Operation } from "../run/scenario.ts";

/**
 * The frame for `operation`, sent on the socket named `carrier`. A connection the request names
 * other than its carrier travels as `wireId` gives it (the id the engine knows it by).
 */
export function executeFrame(
  operation: Extract<Operation, { op: "execute" }>,
  carrier: string,
  wireId: (named: string) => string,
): Record<string, unknown> {
  const { context, request } = operation;
  const frame: Record<string, unknown> = {
    type: "execute",
    requestId: context.requestId,
    threadId: context.threadId,
    runId: context.runId,
    agentName: request.agentName,
    input: request.input,
  };
  const named = context.connectionId;
  if (named !== undefined && named !== carrier) frame.connectionId = wireId(named);
  if (Object.keys(context.metadata ?? {}).length > 0) frame.metadata = context.metadata;
  return frame;
}
