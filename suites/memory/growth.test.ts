// Memory across sessions (harness/memory/growth.ts): the reference engine is flat, an engine
// keeping one small object of its own per run is caught within ten runs with its holder named,
// and a legacy engine whose callbacks only grow is shown growing, per session.
import { describe, expect, it } from "vitest";
import legacyGlobal from "../../engines/legacy-global/index.ts";
import ssot from "../../engines/ssot/index.ts";
import { measureGrowth, medianSlope, slope } from "../../harness/memory/growth.ts";
import { keepsRunNotes } from "../fixtures/memory.ts";

describe("memory growth across sessions", () => {
  it("is flat on the reference engine: no object per session, nothing handed over kept", async () => {
    const sessions = Number(process.env.CROSSTALK_MEMORY_SESSIONS ?? 40);
    const report = await measureGrowth(ssot, { sessions, runs: 2 });
    expect(report.stuck).toBe(0);
    expect(report.retained).toEqual({});
    expect(report.objectsPerSession).toBeDefined();
    expect(report.objectsPerSession ?? 1).toBeLessThan(0.25);
    expect(report.growing).toBe(false);
    // Snapshots are taken only when something grows.
    expect(report.snapshotMs).toBeUndefined();
  });

  it("catches one small object kept per run within ten runs, and names who holds it", async () => {
    // Ten sessions of one run each: ten runs.
    const report = await measureGrowth(keepsRunNotes, {
      sessions: 10,
      runs: 1,
      warmup: 3,
      checkpoints: 2,
      explainSessions: 6,
    });
    expect(report.growing).toBe(true);
    expect(report.objectsPerSession).toBeGreaterThanOrEqual(0.9);
    expect(report.retained).toEqual({}); // nothing it was handed: only its own notes
    expect(report.holders?.[0]).toMatchObject({ count: 6, perSession: 1 });
    expect(report.holders?.[0]?.path).toMatch(
      /^engine \(Object\) → execute \(function execute\) → scope\.notes \(Array\) → \[\d+\] \(Object\)$/,
    );
    // Per-class counts cover the whole process (the test runner too): at least the six notes.
    const objects = report.classes?.find((c) => c.name === "Object");
    expect(objects?.count).toBeGreaterThanOrEqual(6);
  });

  it("shows a legacy engine growing per session: its tracker's callbacks only grow", async () => {
    // No snapshots here (they take seconds in a test worker): reports.test.ts names this holder.
    const report = await measureGrowth(legacyGlobal, {
      sessions: 10,
      warmup: 3,
      checkpoints: 3,
      explainSessions: 0,
    });
    expect(report.growing).toBe(true);
    // Every run's context (two runs a session), warm-up included.
    expect(report.retained.context).toBe(26);
    // Per session: two callbacks on the tracker, the context, and what they keep alive.
    expect(report.objectsPerSession).toBeGreaterThanOrEqual(3);
    expect(report.holders).toBeUndefined();
  });

  it("computes the least-squares slope, and a median slope that one jump does not move", () => {
    const line: [number, number][] = [
      [0, 1],
      [1, 3],
      [2, 5],
      [3, 7],
      [4, 9],
    ];
    expect(slope(line)).toBe(2);
    expect(slope([[4, 9]])).toBe(0);
    const jump: [number, number][] = line.map(([x, y]) => [x, x === 4 ? y + 1000 : y]);
    expect(slope(jump)).toBe(202);
    expect(medianSlope(jump)).toBe(2);
  });
});
