/**
 * One remote engine serves every scenario of a check, and keeps what users leave behind (a
 * resume buffer, a run still going): in process each scenario gets a fresh engine. So each
 * scenario's users get names of their own, `u1` becoming `u1@3.k2f9`: the scenario's number and
 * a nonce of this check, so neither an earlier scenario nor an earlier check can reach them.
 * Only names the scenario lists as users are renamed: an invalid user id stays as it is.
 */
import type { JsonValue } from "../../contract/index.ts";
import type { Operation, TimedOperation } from "../../run/scenario.ts";
import type { TimedProbe, WireScenario } from "../../transport/wire-log.ts";

export function namespaceUsers(scenario: WireScenario, suffix: string): WireScenario {
  const users = new Set(scenario.users);
  const rename = <T>(user: T): T =>
    typeof user === "string" && users.has(user) ? (`${user}@${suffix}` as T) : user;
  const ops = scenario.ops.map((op): TimedOperation => ({ ...renameOp(op, rename), at: op.at }));
  const result: WireScenario = { ...scenario, users: scenario.users.map(rename), ops };
  if (scenario.probes) result.probes = scenario.probes.map((p) => renameProbe(p, rename));
  return result;
}

function renameOp(op: Operation, rename: <T>(user: T) => T): Operation {
  switch (op.op) {
    case "attach":
      return { ...op, userId: rename(op.userId) };
    case "execute":
      return { ...op, context: { ...op.context, userId: rename(op.context.userId) } };
    case "cancel":
      return { ...op, byUserId: rename(op.byUserId) };
    case "closeUser":
      return { ...op, userId: rename(op.userId) };
    default:
      return op;
  }
}

function renameProbe(probe: TimedProbe, rename: <T>(user: T) => T): TimedProbe {
  if (probe.probe === "connect") {
    return probe.token
      ? { ...probe, token: { ...probe.token, user: rename(probe.token.user) } }
      : probe;
  }
  if (probe.probe === "send" && "json" in probe.frame) {
    const json = probe.frame.json;
    if (json && typeof json === "object" && !Array.isArray(json) && "userId" in json) {
      return { ...probe, frame: { json: { ...json, userId: rename(json.userId) } } };
    }
  }
  return probe;
}

/**
 * In process the harness's tools return the calling user's canary with every result; a remote
 * engine's tools return what the step says. So a tool step of an input that carries its user's
 * canary returns it: as its result, or beside the result it names (`{value, canary}`). A tool
 * result that reaches another user then shows as a leak (isolation.canary), as in process.
 */
export function plantToolCanaries(scenario: WireScenario): WireScenario {
  const ops = scenario.ops.map((op): TimedOperation => {
    if (op.op !== "execute") return op;
    const input = op.request.input as { canary?: unknown; steps?: unknown } | null;
    if (typeof input?.canary !== "string" || !Array.isArray(input.steps)) return op;
    const canary = input.canary;
    const plant = (step: unknown): unknown => {
      if (typeof step !== "object" || step === null || Array.isArray(step)) return step;
      const s = step as Record<string, unknown>;
      if (Array.isArray(s.parallel)) return { ...s, parallel: s.parallel.map(plant) };
      if (typeof s.tool !== "string" || s.error !== undefined) return step;
      return { ...s, result: s.result === undefined ? canary : { value: s.result, canary } };
    };
    const steps = input.steps.map(plant);
    return { ...op, request: { ...op.request, input: { ...input, steps } as JsonValue } };
  });
  return { ...scenario, ops };
}
