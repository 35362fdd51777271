/**
 * The scripted tool: behaves as its arguments say (latency, result or error) and returns the
 * result together with the calling user's canary, so any tool result that reaches another user
 * is visible as a leak.
 */
import type { JsonValue, Tool, ToolInvocation, ToolRegistry } from "../contract/index.ts";
import type { VirtualClock } from "./clock.ts";
import type { WorldObserver } from "./observer.ts";

/** What the scripted agent passes to a tool: the step's args plus its scripted behaviour. */
export interface ToolScript {
  args: JsonValue;
  delayMs?: number;
  result?: JsonValue;
  error?: string;
  ignoreAbort?: boolean;
  /** The invocation number of the calling agent, to tie tool calls to their agent run. */
  invocation?: number;
}

export function readToolScript(args: JsonValue): ToolScript {
  if (typeof args === "object" && args !== null && !Array.isArray(args)) {
    return args as unknown as ToolScript;
  }
  return { args };
}

export class ScriptedTool implements Tool {
  constructor(
    readonly name: string,
    private readonly clock: VirtualClock,
    private readonly canaries: ReadonlyMap<string, string>,
    private readonly observer: WorldObserver,
  ) {}

  async call(args: JsonValue, invocation: ToolInvocation): Promise<JsonValue> {
    const script = readToolScript(args);
    const context = invocation.context as unknown as Record<string, unknown> | undefined;
    this.observer.runtimeCall(script.invocation ?? -1, "tool-invoked", context);
    const signal = script.ignoreAbort ? undefined : invocation.signal;
    const runId = stringOr(context?.runId);
    this.observer.working?.(runId, 1);
    try {
      await this.clock.sleep(script.delayMs ?? 0, signal);
    } finally {
      this.observer.working?.(runId, -1);
    }
    if (script.error !== undefined) throw new Error(script.error);
    const userId = typeof context?.userId === "string" ? context.userId : "";
    const result = {
      tool: this.name,
      value: script.result ?? null,
      canary: this.canaries.get(userId) ?? null,
    };
    this.observer.track("tool-result", result, userId, stringOr(context?.runId));
    return result;
  }
}

/** Every tool name resolves to a scripted tool, except names starting with `missing`. */
export class ScriptedToolRegistry implements ToolRegistry {
  readonly #tools = new Map<string, ScriptedTool>();
  constructor(
    private readonly clock: VirtualClock,
    private readonly canaries: ReadonlyMap<string, string>,
    private readonly observer: WorldObserver,
  ) {}

  get(name: string): Tool | undefined {
    if (name.startsWith("missing")) return undefined;
    let tool = this.#tools.get(name);
    if (!tool) {
      tool = new ScriptedTool(name, this.clock, this.canaries, this.observer);
      this.#tools.set(name, tool);
    }
    return tool;
  }
}

function stringOr(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}
