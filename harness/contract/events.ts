/** The event envelope and the payload of each event type, as sent to a connection. */
import type { JsonValue } from "./context.ts";

export const CRITICAL_EVENT_TYPES = [
  "agent_started",
  "agent_thinking",
  "tool_executing",
  "tool_completed",
  "agent_completed",
] as const;

export const EVENT_TYPES = [...CRITICAL_EVENT_TYPES, "agent_error"] as const;

export type EventType = (typeof EVENT_TYPES)[number];
export type TerminalEventType = "agent_completed" | "agent_error";

export interface AgentStartedPayload {
  /** A summary of the input, at most 1 KiB once serialised. */
  input: JsonValue;
}
export interface AgentThinkingPayload {
  reasoning: string;
  step: number;
}
export interface ToolExecutingPayload {
  toolCallId: string;
  toolName: string;
  parameters: JsonValue;
}
export type ToolCallStatus = "success" | "error" | "timeout";
export interface ToolCompletedPayload {
  toolCallId: string;
  toolName: string;
  status: ToolCallStatus;
  result?: JsonValue;
  error?: string;
  durationMs: number;
}
export interface AgentCompletedPayload {
  status: "completed";
  result: JsonValue;
}
export type AgentErrorReason = "error" | "timeout" | "cancelled";
export interface AgentErrorPayload {
  reason: AgentErrorReason;
  message: string;
}

export interface PayloadByType {
  agent_started: AgentStartedPayload;
  agent_thinking: AgentThinkingPayload;
  tool_executing: ToolExecutingPayload;
  tool_completed: ToolCompletedPayload;
  agent_completed: AgentCompletedPayload;
  agent_error: AgentErrorPayload;
}

export interface EventEnvelope<T extends EventType = EventType> {
  type: T;
  runId: string;
  threadId: string;
  userId: string;
  agentName: string;
  seq: number;
  /** The engine clock's `now()` when the event was emitted. */
  ts: number;
  payload: PayloadByType[T];
  /** Set on events sent from the resume buffer (delivery.resume). */
  replayed?: boolean;
}

export type AgentEvent = { [T in EventType]: EventEnvelope<T> }[EventType];

export function isTerminalType(type: string): type is TerminalEventType {
  return type === "agent_completed" || type === "agent_error";
}
