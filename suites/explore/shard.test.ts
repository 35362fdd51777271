// `crosstalk explore --shard i/n`: machines given one seed and --runs explore disjoint parts of
// one exploration, and a shard finds what the whole exploration finds in its part, at the same
// scenario number, with a token that replays alone.
import { describe, expect, it } from "vitest";
import { exploreCommand } from "../../harness/cli/commands/explore.ts";
import { reproCommand } from "../../harness/cli/commands/repro.ts";
import { EXIT } from "../../harness/cli/exit-codes.ts";
import { main } from "../../harness/cli/main.ts";

const base = {
  engine: "legacy-global",
  strategy: "fifo" as const,
  seed: 4,
  runs: 12,
  baseline: "engines/baseline.json",
  shrink: false,
  differential: false,
  corpus: false as const,
};
const quiet = () => {};

describe("explore --shard", () => {
  it("splits the scenarios among the shards, and each finds what is in its part at its number", async () => {
    const whole = (await exploreCommand(base, quiet)).report;
    const parts = [];
    for (let index = 1; index <= 3; index += 1) {
      parts.push((await exploreCommand({ ...base, shard: { index, count: 3 } }, quiet)).report);
    }
    expect(parts.map((p) => p.runs)).toEqual([4, 4, 4]);
    expect(whole.findings.length).toBeGreaterThan(0);
    for (const finding of whole.findings) {
      // The shard that owns the scenario where the whole exploration first saw it.
      const owner = parts[(finding.run - 1) % 3];
      const same = owner?.findings.find((f) => f.key === finding.key);
      expect(same?.run, finding.key).toBe(finding.run);
      // Every other shard saw it later, or not at all.
      for (const part of parts) {
        const seen = part.findings.find((f) => f.key === finding.key);
        if (seen) expect(seen.run).toBeGreaterThanOrEqual(finding.run);
      }
    }
    for (const [i, part] of parts.entries()) {
      for (const f of part.findings) expect((f.run - 1) % 3).toBe(i);
    }
  });

  it("gives tokens that replay alone, and says which part it was", async () => {
    const lines: string[] = [];
    const { report } = await exploreCommand({ ...base, shard: { index: 2, count: 3 } }, (t) =>
      lines.push(t),
    );
    expect(lines.join("")).toContain("(part 2 of 3)");
    const finding = report.findings[0];
    if (!finding) throw new Error("shard 2 of 3 found nothing to replay");
    // Exit 1: the witness still reproduces, on its own, from the token.
    expect(await reproCommand({ witness: finding.witness.token, timeline: false }, quiet)).toBe(1);
  });

  it("refuses a malformed --shard with exit 2", async () => {
    const stderr = process.stderr.write;
    process.stderr.write = () => true;
    try {
      expect(await main(["explore", "--engine", "ssot", "--runs", "2", "--shard", "4/3"])).toBe(
        EXIT.usage,
      );
    } finally {
      process.stderr.write = stderr;
    }
  });
});
