/**
 * The scripted agent's language: the input `{canary?, steps}` that CONTRACT.md's conformance
 * agent `scripted` runs, in process and over the wire alike.
 */
import type { JsonValue } from "../contract/index.ts";

export interface ToolStep {
  tool: string;
  args?: JsonValue;
  /** Virtual milliseconds the tool takes. */
  delayMs?: number;
  result?: JsonValue;
  /** When set, the tool fails with this message instead of returning. */
  error?: string;
  /** The tool keeps going after its abort signal fires (to provoke late events). */
  ignoreAbort?: boolean;
}

export type Step =
  | { think: string }
  | ToolStep
  | { parallel: ToolStep[] }
  | { sleep: number; ignoreAbort?: boolean }
  | { throw: string }
  /** Never finishes and ignores its abort signal: only the engine's timeout ends the run. */
  | { hang: true };

export interface ScriptInput {
  canary?: string;
  steps: Step[];
}

/** The scripted agent's output: its canary, how many steps ran, and the tool results it saw. */
export interface ScriptOutput {
  canary: string | null;
  steps: number;
  results: JsonValue[];
}

export const SCRIPTED_AGENT = "scripted";

export function isToolStep(step: Step): step is ToolStep {
  return "tool" in step;
}
