// The real-time deadline is the only verdict that depends on the machine: a trial cut off by it
// runs the scenario again, under the same schedule, with a longer deadline, and judges that run.
import { describe, expect, it } from "vitest";
import ssot from "../../engines/ssot/index.ts";
import type { EngineModule } from "../../harness/contract/index.ts";
import type { ExploreReport } from "../../harness/explore/explorer.ts";
import {
  DEADLINE_RETRY_FACTOR,
  ENGINE_FAILURE,
  runTrial,
  type Target,
} from "../../harness/explore/trial.ts";
import { recording, replaying } from "../../harness/schedule/replay.ts";
import { renderExploreReport } from "../../reports/explore.ts";
import { mutant } from "../fixtures/mutant.ts";
import { deferredSend, twoThoughts } from "./fixtures.ts";

/** Blocks the event loop, as a loaded machine or a slow engine would. */
function busyWait(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

/**
 * An engine that blocks for `ms` when its first instance delivers its second frame: after the
 * schedule has made choices, so the second run has picks to follow and picks still to make.
 */
function slowFirstEngine(ms: number, base: EngineModule = ssot): EngineModule {
  let engines = 0;
  return mutant(
    "slow-first",
    (inner) => {
      engines += 1;
      if (engines > 1) return {};
      let frames = 0;
      return {
        attach: (connection) =>
          inner.attach({
            ...connection,
            send: (event) => {
              frames += 1;
              if (frames === 2) busyWait(ms);
              connection.send(event);
            },
          }),
      };
    },
    base,
  );
}

function target(module: EngineModule): Target {
  return { module, spec: module.name, reference: ssot, expected: new Set(), differential: false };
}

describe("a trial cut off by the real-time deadline", () => {
  it("runs again with a longer deadline and judges the second run when the first was only slow", async () => {
    const trial = await runTrial(target(slowFirstEngine(60)), twoThoughts, {
      retention: false,
      realDeadlineMs: 20,
    });
    expect(trial.history.failure).toBeUndefined();
    expect(trial.found.size).toBe(0);
    expect(trial.rerun).toBe(true);
    const quick = await runTrial(target(slowFirstEngine(0)), twoThoughts, { retention: false });
    expect(quick.rerun).toBe(false);
  });

  it("reports the engine as failing when the second run overruns too", async () => {
    const alwaysSlow = mutant("always-slow", (inner) => ({
      execute: (context, request) => {
        busyWait(40);
        return inner.execute(context, request);
      },
    }));
    const trial = await runTrial(target(alwaysSlow), twoThoughts, {
      retention: false,
      realDeadlineMs: 5,
    });
    expect(trial.found.get(ENGINE_FAILURE)?.summary).toContain(
      `real-time deadline of ${5 * DEADLINE_RETRY_FACTOR} ms`,
    );
  });

  it("records one schedule, the judged run's: replaying it gives the same history", async () => {
    // Mostly the last timer due (deferredSend then delivers out of order, a schedule-made
    // defect), in an irregular pattern so that a schedule recorded twice would not replay alike.
    let calls = 0;
    const recorder = recording((count) => ((calls++ * 7) % 3 === 1 ? 0 : count - 1));
    const trial = await runTrial(target(slowFirstEngine(60, deferredSend)), twoThoughts, {
      retention: false,
      realDeadlineMs: 20,
      chooser: recorder.chooser,
    });
    expect(recorder.decisions.some((pick) => pick !== 0)).toBe(true);
    expect(trial.found.has("delivery.order")).toBe(true);
    const replay = await runTrial(target(deferredSend), twoThoughts, {
      retention: false,
      chooser: replaying(recorder.decisions).chooser,
    });
    expect(replay.history.entries).toEqual(trial.history.entries);
  });
});

describe("the exploration's report", () => {
  it("says how many scenarios were run again after the real-time deadline", () => {
    const report: ExploreReport = {
      engine: "ssot",
      spec: "ssot",
      strategy: "pct",
      seed: 1,
      transport: "memory",
      runs: 10,
      deadlineReruns: 2,
      seconds: 1,
      regressions: [],
      findings: [],
    };
    expect(renderExploreReport(report)).toContain(
      "2 scenarios were cut off by the real-time deadline",
    );
    expect(renderExploreReport({ ...report, deadlineReruns: 0 })).not.toContain("deadline");
  });
});
