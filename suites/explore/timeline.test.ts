// The text timeline: a column per user and per connection, a row per history entry, the
// witness's entries marked and the violation printed under the table.
import { describe, expect, it } from "vitest";
import ssot from "../../engines/ssot/index.ts";
import { scenario } from "../../harness/conformance/build.ts";
import { runScenario } from "../../harness/run/runner.ts";
import { renderTimeline } from "../../reports/timeline.ts";

describe("the timeline", () => {
  it("lays out users, connections and the engine, and marks the witness", async () => {
    const history = await runScenario(
      ssot,
      scenario("two-users")
        .attach("tab-a", "alice")
        .attach("tab-b", "bob")
        .execute({ user: "alice", run: "r1", steps: [{ think: "hm" }] })
        .at(10)
        .cancel("r1", "bob")
        .detach("tab-b")
        .build(),
    );
    const delivered = history.entries.find((e) => e.kind === "deliver");
    const text = renderTimeline(history, {
      marked: delivered ? [delivered.index] : [],
      violation: "delivery.fanout: an example",
    });
    const [header, rule, ...rows] = text.trimEnd().split("\n");
    expect(header).toMatch(/# +at │ alice +│ alice\/tab-a +│ bob +│ bob\/tab-b +│ engine/);
    expect(rule).toMatch(/^─+┼─+/);
    // One row per shown entry, each with its index and virtual time.
    expect(rows.filter((r) => /^[✗ ] +#\d+ +\d+ ms │/.test(r)).length).toBeGreaterThan(5);
    expect(text).toContain("▶ execute r1 [think]");
    expect(text).toContain("◀ r1 completed");
    expect(text).toContain("▶ cancel r1");
    expect(text).toContain("◀ cancel → false");
    expect(text).toMatch(/^✗ +#\d+ +0 ms │ +│ agent_started r1 #1/m);
    expect(text.trimEnd().endsWith("✗ delivery.fanout: an example")).toBe(true);
  });
});
