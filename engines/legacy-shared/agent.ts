// legacy-shared: the legacy models' common, correct plumbing, not part of any model's defects.
// This file: starting an agent so that every way it can fail arrives as one rejected promise.
// It imports only the contract; what a model does with the outcome is the model's own business.
import type { Agent, AgentRuntime, JsonValue } from "../../harness/contract/index.ts";

/** `agent.run(runtime)` as a promise; an agent that throws before returning one rejects it. */
export function startAgent(agent: Agent, runtime: AgentRuntime): Promise<JsonValue> {
  try {
    return Promise.resolve(agent.run(runtime));
  } catch (error) {
    return Promise.reject(error);
  }
}
