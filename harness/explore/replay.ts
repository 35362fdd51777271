/**
 * Replaying a witness: its scenario, on its engine, over the transport it was found on, under its
 * recorded schedule; then whether the same clause broke with the same witness.
 */
import { expandDecisions, replaying } from "../schedule/replay.ts";
import type { WitnessSpec } from "./token.ts";
import { type FoundWitness, runTrial, type Target, type Trial, witnessDigest } from "./trial.ts";

export interface Replay {
  trial: Trial;
  /** The clause broke again. */
  reproduced: boolean;
  /** …with the very witness that was recorded (same summary and history entries). */
  same: boolean;
  witness?: FoundWitness;
}

export async function replayWitness(spec: WitnessSpec, target: Target): Promise<Replay> {
  const replay = replaying(expandDecisions(spec.picks));
  const transport = spec.transport ?? "memory";
  const trial = await runTrial({ ...target, transport }, spec.scenario, {
    chooser: replay.chooser,
    retention: spec.retention,
  });
  const witness = trial.found.get(spec.clause);
  const result: Replay = {
    trial,
    reproduced: witness !== undefined,
    same: witness !== undefined && witnessDigest(spec.clause, witness) === spec.digest,
  };
  if (witness) result.witness = witness;
  return result;
}
