/**
 * Arbitraries for the scripted agent's steps: thinks, tools (slow, failing, missing, deaf to
 * their abort signal), parallel tools, sleeps, throws and hangs. Every duration is a multiple of
 * 10 virtual milliseconds (see times.ts), and shrinks toward 0 and toward the plainest step.
 */
import fc from "fast-check";
import type { JsonValue } from "../contract/index.ts";
import { CANARY_SLOT } from "../world/canary.ts";
import type { Step, ToolStep } from "../world/script.ts";
import { DELAYS, SLEEPS } from "./times.ts";

/** Over a 2 KiB maxInputBytes, and over a 1 KiB maxEventBytes once it is thought. */
export const LONG_TEXT = "x".repeat(3000);

export interface StepOptions {
  /** Let messages and results carry the user's canary slot (never in shared scripts). */
  canary: boolean;
  /** Only steps that end by themselves and succeed (the isolation probe's script). */
  safe?: boolean;
}

const thoughts = fc.constantFrom("plan", "look up the weather", "summarise", "check the invoices");

function text(options: StepOptions): fc.Arbitrary<string> {
  if (options.safe) return thoughts;
  return fc.oneof(
    { withCrossShrink: true },
    { arbitrary: thoughts, weight: 30 },
    { arbitrary: fc.constant(LONG_TEXT), weight: 1 },
  );
}

function message(options: StepOptions): fc.Arbitrary<string> {
  const plain = fc.constantFrom("boom", "tool down", "quota exceeded");
  return options.canary ? fc.oneof(plain, fc.constant(CANARY_SLOT)) : plain;
}

const results: fc.Arbitrary<JsonValue> = fc.constantFrom<JsonValue>("ok", "three invoices", 42, {
  rows: 2,
});

export function toolArbitrary(options: StepOptions): fc.Arbitrary<ToolStep> {
  const name = options.safe
    ? fc.constantFrom("search", "lookup", "fetch")
    : fc.oneof(
        { withCrossShrink: true },
        { arbitrary: fc.constantFrom("search", "lookup", "fetch", "calc"), weight: 12 },
        { arbitrary: fc.constant("missing-tool"), weight: 1 },
      );
  const failure = options.safe
    ? fc.constant(undefined)
    : fc.oneof(
        { withCrossShrink: true },
        { arbitrary: fc.constant(undefined), weight: 7 },
        { arbitrary: message(options), weight: 1 },
      );
  return fc
    .record({
      tool: name,
      delayMs: fc.constantFrom(...DELAYS),
      result: results,
      error: failure,
      // A tool deaf to its abort signal finishes after its run ended: late events.
      ignoreAbort: options.safe
        ? fc.constant(false)
        : fc.oneof(
            { withCrossShrink: true },
            { arbitrary: fc.constant(false), weight: 9 },
            { arbitrary: fc.constant(true), weight: 1 },
          ),
      args: fc.option(fc.constantFrom<JsonValue>({ q: "invoices" }, { city: "Lisbon" }), {
        nil: undefined,
      }),
    })
    .map(({ tool, delayMs, result, error, ignoreAbort, args }) => {
      const step: ToolStep = { tool, delayMs, result };
      if (args !== undefined) step.args = args;
      if (error !== undefined) step.error = error;
      if (ignoreAbort) step.ignoreAbort = true;
      return step;
    });
}

export function stepArbitrary(options: StepOptions): fc.Arbitrary<Step> {
  const think = text(options).map((t): Step => ({ think: t }));
  const tool = toolArbitrary(options);
  const parallel = fc
    .array(toolArbitrary(options), { minLength: 2, maxLength: 3 })
    .map((tools): Step => ({ parallel: tools }));
  const sleep = fc.constantFrom(...SLEEPS).map((ms): Step => ({ sleep: ms }));
  if (options.safe) {
    return fc.oneof(
      { withCrossShrink: true },
      { arbitrary: think, weight: 3 },
      { arbitrary: tool, weight: 3 },
      { arbitrary: parallel, weight: 1 },
      { arbitrary: sleep, weight: 1 },
    );
  }
  return fc.oneof(
    { withCrossShrink: true },
    { arbitrary: think, weight: 30 },
    { arbitrary: tool, weight: 30 },
    { arbitrary: parallel, weight: 10 },
    { arbitrary: sleep, weight: 8 },
    { arbitrary: message(options).map((m): Step => ({ throw: m })), weight: 7 },
    { arbitrary: fc.constant<Step>({ hang: true }), weight: 5 },
  );
}

export function scriptArbitrary(options: StepOptions, maxSteps = 4): fc.Arbitrary<Step[]> {
  // Never empty: a run with no step ends within the execute call itself, so two such runs of
  // one user reusing one runId at one instant emit identical events nobody can tell apart.
  return fc.array(stepArbitrary(options), { minLength: 1, maxLength: maxSteps });
}
