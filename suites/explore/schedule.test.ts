// The scheduling seam: timer lineages, the fast-check scheduler driving the choice, PCT, and
// recording a schedule so that replaying it gives the very same history.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import ssot from "../../engines/ssot/index.ts";
import { checkHistory } from "../../harness/checkers/index.ts";
import { runScenario } from "../../harness/run/runner.ts";
import { fastCheckChooser } from "../../harness/schedule/fast-check.ts";
import { pctChooser } from "../../harness/schedule/pct.ts";
import {
  compactDecisions,
  expandDecisions,
  recording,
  replaying,
} from "../../harness/schedule/replay.ts";
import { VirtualClock } from "../../harness/world/clock.ts";
import { deferredSend, twoThoughts } from "./fixtures.ts";

/** Fires everything; returns the labels of the timers in firing order. */
function drain(clock: VirtualClock, fired: string[]): string[] {
  while (clock.fireNext());
  return fired;
}

describe("the virtual clock's choices", () => {
  it("gives a timer set inside a callback the lineage of that callback's timer", () => {
    const seen: { id: number; lineage: number }[][] = [];
    const clock = new VirtualClock((_n, timers) => {
      seen.push(timers.map((t) => ({ ...t })));
      return 0;
    });
    clock.setTimeout(() => clock.setTimeout(() => {}, 5), 5); // lineage 1, then its child
    clock.setTimeout(() => {}, 10); // lineage 2
    clock.startLineage();
    drain(clock, []);
    // At 10 ms the child of timer 1 (id 3) and timer 2 are due together.
    expect(seen).toEqual([
      [
        { id: 2, lineage: 2 },
        { id: 3, lineage: 1 },
      ],
    ]);
  });

  it("asks the chooser only when two or more timers are due at one instant", () => {
    let asked = 0;
    const clock = new VirtualClock(() => {
      asked += 1;
      return 0;
    });
    clock.setTimeout(() => {}, 1);
    clock.setTimeout(() => {}, 2);
    drain(clock, []);
    expect(asked).toBe(0);
  });
});

describe("the random strategy is fast-check's scheduler", () => {
  it("fires timers in the order fast-check's scheduler releases their tasks", () => {
    // schedulerFor replays a given release order: task ids are given in scheduling order,
    // one per due timer (timers 1, 2, 3 → tasks 1, 2, 3).
    const scheduler = fc.schedulerFor([3, 1, 2]);
    const clock = new VirtualClock(fastCheckChooser(scheduler));
    const fired: string[] = [];
    for (const label of ["a", "b", "c"]) clock.setTimeout(() => fired.push(label), 0);
    expect(drain(clock, fired)).toEqual(["c", "a", "b"]);
  });

  it("draws from the generated scheduler, so a property run is replayed by its seed", async () => {
    const orders: string[] = [];
    const property = fc.property(fc.scheduler(), (scheduler) => {
      const clock = new VirtualClock(fastCheckChooser(scheduler));
      const fired: string[] = [];
      for (const label of ["a", "b", "c", "d"]) clock.setTimeout(() => fired.push(label), 0);
      orders.push(drain(clock, fired).join(""));
    });
    fc.assert(property, { seed: 42, numRuns: 20 });
    const first = [...orders];
    orders.length = 0;
    fc.assert(property, { seed: 42, numRuns: 20 });
    expect(orders).toEqual(first);
    expect(new Set(first).size).toBeGreaterThan(1);
  });
});

describe("PCT", () => {
  it("runs the highest-priority lineage's due timers first, as one thread", () => {
    const fired: string[] = [];
    const clock = new VirtualClock(pctChooser({ seed: 7, changes: [] }));
    // Two lineages, each a chain of three 0 ms steps at the same instant.
    for (const name of ["x", "y"]) {
      clock.startLineage();
      const step = (k: number) => () => {
        fired.push(`${name}${k}`);
        if (k < 3) clock.setTimeout(step(k + 1), 0);
      };
      clock.setTimeout(step(1), 0);
    }
    const order = drain(clock, fired).join(" ");
    expect(["x1 x2 x3 y1 y2 y3", "y1 y2 y3 x1 x2 x3"]).toContain(order);
  });

  it("drops the running lineage below the others at a change point", () => {
    const orders = new Set<string>();
    for (let seed = 0; seed < 8; seed += 1) {
      const fired: string[] = [];
      const clock = new VirtualClock(pctChooser({ seed, changes: [1] }));
      for (const name of ["x", "y"]) {
        clock.startLineage();
        const step = (k: number) => () => {
          fired.push(`${name}${k}`);
          if (k < 2) clock.setTimeout(step(k + 1), 0);
        };
        clock.setTimeout(step(1), 0);
      }
      orders.add(drain(clock, fired).join(" "));
    }
    // After the first choice the chosen thread is preempted: the other one runs to its end.
    expect([...orders].sort()).toEqual(["x1 y1 y2 x2", "y1 x1 x2 y2"]);
  });
});

describe("recorded schedules", () => {
  it("replay the very same history", async () => {
    const recorder = recording(pctChooser({ seed: 3, changes: [2] }));
    const first = await runScenario(deferredSend, twoThoughts, { chooser: recorder.chooser });
    expect(recorder.decisions.length).toBeGreaterThan(0);
    for (let i = 0; i < 3; i += 1) {
      const replay = replaying(expandDecisions(compactDecisions(recorder.decisions)));
      const again = await runScenario(deferredSend, twoThoughts, { chooser: replay.chooser });
      expect(again.entries).toEqual(first.entries);
      expect(replay.decisions).toEqual(recorder.decisions);
    }
  });

  it("tell an interleaving bug from FIFO: only a non-FIFO pick shows deferred-send's defect", async () => {
    const order = (history: Awaited<ReturnType<typeof runScenario>>) =>
      checkHistory(history).find((v) => v.id === "delivery.order")?.verdict;
    const fifo = await runScenario(deferredSend, twoThoughts);
    expect(order(fifo)).toBe("held");
    // Pick the second due timer at the first choice where frames race.
    let broken = false;
    for (let at = 0; at < 8 && !broken; at += 1) {
      const picks = expandDecisions([[at, 1]]);
      const history = await runScenario(deferredSend, twoThoughts, {
        chooser: replaying(picks).chooser,
      });
      broken = order(history) === "broken";
    }
    expect(broken).toBe(true);
    // The reference, under any of those schedules, keeps the order.
    for (let at = 0; at < 8; at += 1) {
      const history = await runScenario(ssot, twoThoughts, {
        chooser: replaying(expandDecisions([[at, 1]])).chooser,
      });
      expect(order(history)).toBe("held");
    }
  });
});
