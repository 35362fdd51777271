// The timeline a witness carries in results.json: lanes per user and connection, marks at
// logical instants, the violation flagged, long histories cut around it with nothing lost silently.
import { describe, expect, it } from "vitest";
import ssot from "../../engines/ssot/index.ts";
import { scenario } from "../../harness/conformance/build.ts";
import type { History } from "../../harness/run/history.ts";
import { runScenario } from "../../harness/run/runner.ts";
import type { Operation } from "../../harness/run/scenario.ts";
import { isPlaced, placeEntry } from "../../reports/timeline-lanes.ts";
import { keepAround, witnessTimeline } from "../../reports/witness-timeline.ts";

async function twoUsers(): Promise<History> {
  return runScenario(
    ssot,
    scenario("two-users")
      .attach("tab-a", "alice")
      .attach("tab-b", "bob")
      .execute({
        user: "alice",
        run: "r1",
        steps: [{ think: "hm" }, { tool: "search", delayMs: 5 }],
      })
      .execute({ user: "bob", run: "r2", steps: [{ think: "hm" }] })
      .at(10)
      .cancel("r1", "bob")
      .detach("tab-b")
      .build(),
  );
}

describe("keepAround", () => {
  it("keeps everything that fits", () => {
    expect(keepAround([false, true, false], 5)).toEqual([0, 1, 2]);
  });

  it("keeps the widest equal window around every flagged position", () => {
    const flags = Array.from({ length: 30 }, (_, i) => i === 5 || i === 20);
    expect(keepAround(flags, 10)).toEqual([3, 4, 5, 6, 7, 18, 19, 20, 21, 22]);
  });

  it("keeps the end when nothing is flagged (a cleanup break shows after the runs)", () => {
    expect(keepAround(Array(10).fill(false), 3)).toEqual([7, 8, 9]);
  });
});

describe("isPlaced", () => {
  it("says of every entry what placeEntry does, with and without the bookkeeping", async () => {
    const history = await twoUsers();
    const calls = new Map<number, Operation>();
    for (const entry of history.entries) {
      if (entry.kind === "call") calls.set(entry.callId, entry.operation);
      for (const all of [false, true]) {
        expect(isPlaced(entry, calls, all), `#${entry.index} ${entry.kind} all=${all}`).toBe(
          placeEntry(entry, calls, all) !== undefined,
        );
      }
    }
    expect(history.entries.some((e) => !isPlaced(e, calls))).toBe(true);
  });
});

describe("witnessTimeline", () => {
  it("has a lane per user and per connection, and flags exactly the witness's entries", async () => {
    const history = await twoUsers();
    const delivered = history.entries.filter((e) => e.kind === "deliver");
    const named = [delivered[0]?.index, delivered[3]?.index] as number[];
    const timeline = witnessTimeline(history, named, { maxMarks: 1000 });
    expect(timeline.lanes.map((l) => `${l.kind}:${l.title}`)).toEqual([
      "user:alice",
      "connection:alice/tab-a",
      "user:bob",
      "connection:bob/tab-b",
      "engine:engine",
    ]);
    expect(timeline.marks.filter((m) => m.violation).map((m) => m.index)).toEqual(named);
    const first = timeline.marks.find((m) => m.index === named[0]);
    expect(timeline.lanes[first?.lane ?? -1]?.title).toBe("alice/tab-a");
    expect(first?.text).toBe("agent_started r1 #1");
    // Logical instants only grow; virtual time never goes back.
    const indexes = timeline.marks.map((m) => m.index);
    expect(indexes).toEqual([...indexes].sort((a, b) => a - b));
    expect(timeline.marks.some((m) => m.ms >= 10)).toBe(true);
  });

  it("shows an entry the witness names even when timelines usually leave it out", async () => {
    const history = await twoUsers();
    const probe = history.entries.find((e) => e.kind === "stats" && e.probe);
    expect(probe).toBeDefined();
    const without = witnessTimeline(history, [], { maxMarks: 1000 });
    expect(without.marks.some((m) => m.index === probe?.index)).toBe(false);
    const named = witnessTimeline(history, [probe?.index as number], { maxMarks: 1000 });
    const mark = named.marks.find((m) => m.index === probe?.index);
    expect(mark?.violation).toBe(true);
    expect(named.lanes[mark?.lane ?? -1]?.kind).toBe("engine");
  });

  it("cuts a long history around the violation and counts every mark it leaves out", async () => {
    const history = await twoUsers();
    const whole = witnessTimeline(history, [], { maxMarks: 1000 });
    const middle = whole.marks[Math.floor(whole.marks.length / 2)]?.index as number;
    const cut = witnessTimeline(history, [middle], { maxMarks: 7 });
    expect(cut.marks).toHaveLength(7);
    expect(cut.marks[3]?.index).toBe(middle);
    const left = cut.marks.reduce((n, m) => n + (m.skipped ?? 0), 0) + (cut.skippedAfter ?? 0);
    expect(left + cut.marks.length).toBe(whole.marks.length);
    expect(cut.marks[0]?.skipped).toBeGreaterThan(0);
    // Only lanes with a mark in the window are drawn.
    const used = new Set(cut.marks.map((m) => m.lane));
    expect(used.size).toBe(cut.lanes.length);
  });
});
