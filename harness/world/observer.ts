/** How the world reports to the runner what agents and tools were handed, without keeping it. */
import type { RetainedObject, RuntimeEntry } from "../run/history.ts";

export interface WorldObserver {
  /** An agent or tool received a runtime call; `context` is what it saw (to be copied). */
  runtimeCall(
    invocation: number,
    call: RuntimeEntry["call"],
    context: unknown,
    inputCanary?: string | null,
    detail?: string,
  ): void;
  /** Follow `object` weakly: it belongs to this user (and run) and must be released later. */
  track(kind: RetainedObject["kind"], object: object, userId: string, runId?: string): void;
  /**
   * The world's agent or tool starts (+1) or ends (-1) waiting on the clock for run `runId`:
   * while it waits it holds that run's runtime and results itself (see harness/run/retention.ts).
   */
  working?(runId: string | undefined, delta: 1 | -1): void;
}

export const silentObserver: WorldObserver = {
  runtimeCall() {},
  track() {},
};
