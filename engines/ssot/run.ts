/**
 * One run: its own frozen context copy, event sequence, runtime, timeout and abort signal.
 * It ends exactly once (terminate); from then on its runtime is inert (events.no-late) and it
 * holds nothing it was handed (cleanup.run).
 */
import type {
  Agent,
  AgentErrorReason,
  AgentRuntime,
  Clock,
  EventType,
  JsonValue,
  Limits,
  PayloadByType,
  RunResult,
  TimerHandle,
  ToolRegistry,
  UserExecutionContext,
} from "../../harness/contract/index.ts";
import { encodeEvent, payloadOf, type RunIdentity } from "./events.ts";
import { abortError, messageOf, textOf } from "./faults.ts";
import { toJson } from "./json.ts";
import { ToolCalls } from "./tools.ts";
import type { UserState } from "./users.ts";

export type Outcome =
  | { readonly status: "completed"; readonly result: JsonValue }
  | { readonly status: AgentErrorReason; readonly message: string };

/** What a run needs from its engine. */
export interface RunHost {
  readonly clock: Clock;
  readonly tools: ToolRegistry;
  readonly limits: Readonly<Limits>;
  deliver(user: UserState, text: string): void;
  /** End the run: the engine gives back its slot, then calls terminate(). */
  end(run: Run, outcome: Outcome): void;
}

/** What admission checked and copied for the run. */
export interface RunSpec {
  readonly context: UserExecutionContext;
  readonly agent: Agent;
  readonly agentName: string;
  readonly input: JsonValue;
  readonly inputSummary: JsonValue;
}

const ENGINE_FAULT: Outcome = { status: "error", message: "internal engine fault" };

export class Run implements RunIdentity {
  readonly runId: string;
  readonly threadId: string;
  readonly userId: string;
  readonly agentName: string;
  /** What execute() resolves to; settles exactly once. */
  readonly result: Promise<RunResult>;
  state: "queued" | "active" | "done" = "queued";
  private seq = 0;
  private steps = 0;
  private readonly tools: ToolCalls;
  // Everything below is let go of when the run ends.
  private spec: RunSpec | undefined;
  private context: UserExecutionContext | undefined;
  private controller: AbortController | undefined;
  private timer: TimerHandle | undefined;
  private settle: ((result: RunResult) => void) | undefined;

  constructor(
    readonly user: UserState,
    spec: RunSpec,
    private readonly host: RunHost,
  ) {
    this.runId = spec.context.runId;
    this.threadId = spec.context.threadId;
    this.userId = spec.context.userId;
    this.agentName = spec.agentName;
    this.spec = spec;
    this.tools = new ToolCalls({
      runId: this.runId,
      tools: host.tools,
      now: () => host.clock.now(),
      active: () => this.state === "active",
      invocation: (toolCallId) => {
        const { context, controller } = this;
        return context && controller
          ? Object.freeze({ context, signal: controller.signal, toolCallId })
          : undefined;
      },
      emit: (type, payload) => {
        this.emit(type, payload);
      },
      fault: () => this.end(ENGINE_FAULT),
    });
    this.result = new Promise((resolve) => {
      this.settle = resolve;
    });
  }

  /** agent_started, the timeout, then the agent. The engine has already counted the slot. */
  start(): void {
    const spec = this.spec;
    if (this.state !== "queued" || !spec) throw new Error("a run can start only once");
    this.state = "active";
    this.spec = undefined;
    this.context = spec.context;
    const controller = new AbortController();
    this.controller = controller;
    const { clock, limits } = this.host;
    // Armed before anything is emitted, so that an end during agent_started's delivery clears it.
    const timeout: Outcome = {
      status: "timeout",
      message: `the run exceeded its time limit of ${limits.runTimeoutMs} ms`,
    };
    this.timer = clock.setTimeout(() => this.end(timeout), limits.runTimeoutMs);
    this.emit("agent_started", { input: spec.inputSummary });
    if (this.state !== "active") return; // a send() callback ended it already
    const runtime: AgentRuntime = Object.freeze({
      context: spec.context,
      input: spec.input,
      signal: controller.signal,
      think: (text: string) => this.think(text),
      tool: (name: string, args: JsonValue) => this.tools.call(name, args),
    });
    let returned: Promise<unknown>;
    try {
      returned = Promise.resolve(spec.agent.run(runtime));
    } catch (error) {
      returned = Promise.reject(error);
    }
    // Both handlers never throw, and they ignore a settlement after the end (timeout, cancel).
    returned.then(
      (value) => this.agentReturned(value),
      (error: unknown) =>
        this.end({ status: "error", message: messageOf(error, "the agent failed") }),
    );
  }

  /** Emit the terminal, then abort, settle and let go. Called once, after the slot was released. */
  terminate(outcome: Outcome): void {
    if (this.state !== "active") return;
    this.state = "done";
    const { controller, settle, timer } = this;
    this.context = undefined;
    this.controller = undefined;
    this.settle = undefined;
    this.timer = undefined;
    try {
      if (timer !== undefined) this.host.clock.clearTimeout(timer);
    } catch {
      // The timer's callback finds the run done and does nothing.
    }
    let result: RunResult;
    try {
      result = this.emitTerminal(outcome);
    } catch {
      result = resultOf(this.runId, outcome);
    }
    try {
      if (outcome.status !== "completed")
        controller?.abort(abortError(`the run ended: ${outcome.status}`));
    } catch {
      // An abort listener of the agent threw; the run is over regardless.
    }
    this.tools.abandon();
    settle?.(result);
  }

  /** End a run that never started: no events (cancel.owner), only its result. */
  drop(message: string): void {
    if (this.state !== "queued") return;
    this.state = "done";
    this.spec = undefined;
    const settle = this.settle;
    this.settle = undefined;
    settle?.({ runId: this.runId, status: "cancelled", error: { code: "cancelled", message } });
  }

  private emitTerminal(outcome: Outcome): RunResult {
    if (outcome.status === "completed") {
      const text = this.emit("agent_completed", { status: "completed", result: outcome.result });
      // The output is what the event carries (possibly truncated), so the two always agree.
      return { runId: this.runId, status: "completed", output: payloadOf(text).result ?? null };
    }
    let message = outcome.message;
    if (this.seq > 0) {
      const text = this.emit("agent_error", { reason: outcome.status, message });
      message = String(payloadOf(text).message);
    }
    return { runId: this.runId, status: outcome.status, error: { code: outcome.status, message } };
  }

  private think(text: unknown): Promise<void> {
    if (this.state === "active") {
      try {
        this.emit("agent_thinking", { reasoning: textOf(text), step: ++this.steps });
      } catch {
        this.end(ENGINE_FAULT);
      }
    }
    return Promise.resolve();
  }

  private agentReturned(value: unknown): void {
    if (this.state !== "active") return;
    if (this.tools.openCount > 0) {
      // agent_completed must leave no open tool call, and the engine may not invent completions.
      this.end({
        status: "error",
        message: `agent returned with ${this.tools.openCount} tool call(s) still open`,
      });
      return;
    }
    let result: JsonValue;
    try {
      result = toJson(value);
    } catch {
      this.end({ status: "error", message: "the agent returned a value that is not JSON" });
      return;
    }
    this.end({ status: "completed", result });
  }

  private emit<T extends EventType>(type: T, payload: PayloadByType[T]): string {
    const { clock, limits } = this.host;
    const text = encodeEvent(this, type, this.seq + 1, clock.now(), payload, limits.maxEventBytes);
    this.seq++;
    this.host.deliver(this.user, text);
    return text;
  }

  private end(outcome: Outcome): void {
    try {
      this.host.end(this, outcome);
    } catch {
      // The engine contains its own faults; none may reach the agent or a timer.
    }
  }
}

function resultOf(runId: string, outcome: Outcome): RunResult {
  if (outcome.status === "completed") return { runId, status: "completed", output: outcome.result };
  return {
    runId,
    status: outcome.status,
    error: { code: outcome.status, message: outcome.message },
  };
}
