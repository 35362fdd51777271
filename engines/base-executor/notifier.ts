/**
 * Models `base/executor` (see index.ts for the defects it keeps).
 * This file: the delivery side the executor is handed through `context.websocket_manager`: per
 * request, a notifier bound by the CALLER to the request's user and run, sending through the
 * process's WebSocket manager (the shared one, ../legacy-shared/connections.ts). The executor
 * itself never sees a user; the notifier only sends what it is told to. Nothing here adds a
 * defect: delivery is correct.
 */
import type { Clock, EventType, JsonValue, PayloadByType } from "../../harness/contract/index.ts";
import type { WebSocketManager } from "../legacy-shared/connections.ts";
import { makeEvent } from "../legacy-shared/events.ts";

/** What the caller binds for one request: who receives, and the run's envelope. */
export interface NotifierBinding {
  readonly userId: string;
  readonly threadId: string;
  readonly runId: string;
  readonly agentName: string;
}

/**
 * `context.websocket_manager` as the executor uses it: send_tool_executing, send_tool_completed,
 * send_agent_error (and the agent's own status updates). It numbers the events it sends.
 */
export class RunNotifier {
  #seq = 0;

  constructor(
    private readonly binding: NotifierBinding,
    private readonly manager: WebSocketManager,
    private readonly clock: Clock,
    private readonly maxEventBytes: number,
  ) {}

  sendAgentThinking(reasoning: string, step: number): void {
    this.#send("agent_thinking", { reasoning, step });
  }

  sendToolExecuting(toolCallId: string, toolName: string, parameters: JsonValue): void {
    this.#send("tool_executing", { toolCallId, toolName, parameters });
  }

  sendToolCompleted(toolCallId: string, toolName: string, result: JsonValue, durationMs: number) {
    this.#send("tool_completed", { toolCallId, toolName, status: "success", result, durationMs });
  }

  sendAgentError(message: string): void {
    this.#send("agent_error", { reason: "error", message });
  }

  #send<T extends EventType>(type: T, payload: PayloadByType[T]): void {
    this.#seq += 1;
    const event = makeEvent(
      this.binding,
      this.#seq,
      this.clock.now(),
      type,
      payload,
      this.maxEventBytes,
    );
    this.manager.sendToUser(this.binding.userId, event);
  }
}
