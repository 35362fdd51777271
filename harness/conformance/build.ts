/**
 * A small builder for hand-written scenarios, so a contract scenario reads like the situation it
 * sets up: who connects, who runs what, and when.
 */
import type { JsonObject, JsonValue, Limits } from "../contract/index.ts";
import type { Scenario, ScenarioContext, TimedOperation } from "../run/scenario.ts";
import { CANARY_SLOT } from "../world/canary.ts";
import { SCRIPTED_AGENT, type Step } from "../world/script.ts";

export interface RunSpec {
  user: string;
  run: string;
  /** Scripted steps; the input becomes `{canary, steps}` unless `input` is given. */
  steps?: Step[];
  /** Plant the user's canary in the input (default true). */
  canary?: boolean;
  /** A raw input instead of the scripted one. */
  input?: JsonValue;
  agent?: string;
  thread?: string;
  request?: string;
  connection?: string;
  metadata?: JsonObject;
  /** Override any context field, e.g. an invalid id. */
  context?: Partial<ScenarioContext>;
}

export class ScenarioBuilder {
  readonly #scenario: Scenario;
  #at = 0;

  constructor(name: string) {
    this.#scenario = { name, users: [], ops: [] };
  }

  users(...ids: string[]): this {
    for (const id of ids) if (!this.#scenario.users.includes(id)) this.#scenario.users.push(id);
    return this;
  }

  limits(limits: Partial<Limits>): this {
    this.#scenario.limits = { ...this.#scenario.limits, ...limits };
    return this;
  }

  /** Operations added after this are issued at virtual millisecond `ms`. */
  at(ms: number): this {
    this.#at = ms;
    return this;
  }

  attach(connectionId: string, userId: string): this {
    this.users(userId);
    return this.#op({ op: "attach", connectionId, userId });
  }

  detach(connectionId: string): this {
    return this.#op({ op: "detach", connectionId });
  }

  execute(spec: RunSpec): this {
    this.users(spec.user);
    const context: ScenarioContext = {
      userId: spec.user,
      threadId: spec.thread ?? `thread-${spec.user}`,
      runId: spec.run,
      requestId: spec.request ?? `req-${spec.run}`,
      metadata: spec.metadata ?? {},
      ...(spec.connection ? { connectionId: spec.connection } : {}),
      ...spec.context,
    };
    const input: JsonValue =
      spec.input !== undefined
        ? spec.input
        : {
            ...(spec.canary === false ? {} : { canary: CANARY_SLOT }),
            steps: (spec.steps ?? []) as unknown as JsonValue[],
          };
    return this.#op({
      op: "execute",
      context,
      request: { agentName: spec.agent ?? SCRIPTED_AGENT, input },
    });
  }

  cancel(runId: string, byUserId: string): this {
    return this.#op({ op: "cancel", runId, byUserId });
  }

  closeUser(userId: string): this {
    return this.#op({ op: "closeUser", userId });
  }

  stats(): this {
    return this.#op({ op: "stats" });
  }

  shutdown(): this {
    return this.#op({ op: "shutdown" });
  }

  build(): Scenario {
    return structuredClone(this.#scenario);
  }

  #op(
    operation: TimedOperation extends infer T
      ? T extends TimedOperation
        ? Omit<T, "at">
        : never
      : never,
  ): this {
    this.#scenario.ops.push({ ...operation, at: this.#at } as TimedOperation);
    return this;
  }
}

export function scenario(name: string): ScenarioBuilder {
  return new ScenarioBuilder(name);
}
