/**
 * The tool calls of one run: tool_executing, the call through the registry, tool_completed.
 * Calls may overlap; each is open from its tool_executing to its tool_completed. Once the run
 * has ended, a call that settles emits nothing (events.no-late) and new calls are refused.
 */
import type {
  JsonValue,
  PayloadByType,
  ToolInvocation,
  ToolRegistry,
} from "../../harness/contract/index.ts";
import { abortError, deferred, messageOf, nameOf, quietlyRejected, textOf } from "./faults.ts";
import { clip, toJson } from "./json.ts";

/** What the tool calls need of their run. */
export interface ToolPort {
  readonly runId: string;
  readonly tools: ToolRegistry;
  now(): number;
  active(): boolean;
  /** The invocation handed to a tool: the run's own frozen context and its abort signal. */
  invocation(toolCallId: string): ToolInvocation | undefined;
  emit<T extends "tool_executing" | "tool_completed">(type: T, payload: PayloadByType[T]): void;
  /** End the run with an engine fault. */
  fault(): void;
}

interface OpenCall {
  resolve(result: JsonValue): void;
  reject(error: Error): void;
}

type Settled = { ok: true; value: unknown } | { ok: false; error: unknown };

export class ToolCalls {
  private readonly open = new Map<string, OpenCall>();
  private count = 0;

  constructor(private readonly run: ToolPort) {}

  get openCount(): number {
    return this.open.size;
  }

  /** runtime.tool(): resolves with a copy of the result, rejects with the tool's message. */
  call(name: unknown, args: unknown): Promise<JsonValue> {
    if (!this.run.active()) return quietlyRejected(abortError("the run has ended"));
    let parameters: JsonValue;
    try {
      parameters = toJson(args);
    } catch {
      return quietlyRejected(new TypeError("the tool arguments are not JSON"));
    }
    const toolName = textOf(name);
    const toolCallId = `${this.run.runId}:tool-${++this.count}`;
    const call = deferred<JsonValue>();
    this.open.set(toolCallId, call);
    const startedAt = this.run.now();
    try {
      this.run.emit("tool_executing", { toolCallId, toolName, parameters });
    } catch {
      this.run.fault();
    }
    if (!this.run.active()) return call.promise; // ended meanwhile: abandon() rejected it
    this.invoke(toolName, parameters, toolCallId).then(
      (value) => this.settled(toolCallId, toolName, startedAt, { ok: true, value }),
      (error: unknown) => this.settled(toolCallId, toolName, startedAt, { ok: false, error }),
    );
    return call.promise;
  }

  /** The run ended: reject every open call (the agent may be awaiting one); emit nothing. */
  abandon(): void {
    const error = abortError("the run ended before the tool call completed");
    const open = [...this.open.values()];
    this.open.clear();
    for (const call of open) call.reject(error);
  }

  /** The tool's promise; a missing tool or a registry that throws becomes a rejection. */
  private invoke(toolName: string, parameters: JsonValue, toolCallId: string): Promise<unknown> {
    try {
      const tool = this.run.tools.get(toolName);
      const invocation = this.run.invocation(toolCallId);
      if (!tool || typeof tool.call !== "function" || !invocation) {
        return Promise.reject(new Error(`unknown tool "${clip(toolName)}"`));
      }
      return Promise.resolve(tool.call(parameters, invocation));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  private settled(id: string, toolName: string, startedAt: number, settled: Settled): void {
    const call = this.open.get(id);
    if (!call || !this.run.active()) return; // the run ended: nothing more (events.no-late)
    this.open.delete(id);
    try {
      const durationMs = Math.max(0, this.run.now() - startedAt);
      let result: JsonValue = null;
      let failure = settled.ok ? undefined : messageOf(settled.error, "the tool failed");
      if (settled.ok) {
        try {
          result = toJson(settled.value); // a copy: the engine keeps nothing of the tool's result
        } catch {
          failure = "the tool returned a value that is not JSON";
        }
      }
      if (failure === undefined) {
        const status = "success";
        this.run.emit("tool_completed", { toolCallId: id, toolName, status, result, durationMs });
        call.resolve(result);
        return;
      }
      // A tool that fails with a TimeoutError timed out; any other failure is an error.
      const status = !settled.ok && nameOf(settled.error) === "TimeoutError" ? "timeout" : "error";
      this.run.emit("tool_completed", {
        toolCallId: id,
        toolName,
        status,
        error: failure,
        durationMs,
      });
      call.reject(Object.assign(new Error(failure), { name: "ToolError" }));
    } catch {
      call.reject(abortError("the tool call could not be completed"));
      this.run.fault();
    }
  }
}
