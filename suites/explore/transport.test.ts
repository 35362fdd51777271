// Exploration over real WebSockets (`--transport ws`): a seeded exploration of a legacy model
// finds its defect through sockets, the token records the transport and replays over it with
// the same witness, and the reference engine passes a few explored scenarios over the wire.
import { beforeAll, describe, expect, it } from "vitest";
import { reproCommand } from "../../harness/cli/commands/repro.ts";
import { EXIT } from "../../harness/cli/exit-codes.ts";
import { main } from "../../harness/cli/main.ts";
import { type ExploreReport, explore, type Finding } from "../../harness/explore/explorer.ts";
import { replayWitness } from "../../harness/explore/replay.ts";
import { makeTarget } from "../../harness/explore/target.ts";
import { decodeToken, encodeToken } from "../../harness/explore/token.ts";
import type { Target } from "../../harness/explore/trial.ts";

const ENGINE = "request-scoped";
const CLAUSE = "delivery.owner-only";
const SEED = 1;

let target: Target;
let report: ExploreReport;
let finding: Finding;

beforeAll(async () => {
  target = await makeTarget(ENGINE, { transport: "ws" });
  report = await explore(target, {
    strategy: "pct",
    seed: SEED,
    runs: 30,
    until: new Set([CLAUSE]),
    only: new Set([CLAUSE]),
    corpus: false,
    shrink: { scenario: 30, schedule: 10 },
  });
  finding = report.findings.find((f) => f.key === CLAUSE) as Finding;
}, 60_000);

describe(`exploring ${ENGINE} over WebSockets (seed ${SEED})`, () => {
  it("finds its misrouted deliveries through real sockets", () => {
    expect(report.transport).toBe("ws");
    expect(finding, `${CLAUSE} not found in ${report.runs} scenarios`).toBeDefined();
    expect(finding.expected).toBe(true);
    expect(finding.witness.summary).toMatch(/user u\d+ received \w+ #\d+ of run \S+ owned by u\d+/);
    expect(finding.flaky).toBeUndefined();
  });

  it("records the transport in the token, and replays over it with the same witness", async () => {
    const spec = decodeToken(finding.witness.token);
    expect(spec.transport).toBe("ws");
    for (let i = 0; i < 5; i += 1) {
      const replay = await replayWitness(spec, target);
      expect(replay.same, `replay ${i + 1}: ${replay.witness?.summary}`).toBe(true);
      // The wire view is there: the witness really crossed sockets.
      expect(replay.trial.history.wire).toBeDefined();
    }
    // The spec decides the transport, not the target it is replayed with.
    const inProcess = await replayWitness({ ...spec, transport: undefined }, target);
    expect(inProcess.trial.history.wire).toBeUndefined();
  });

  it("`crosstalk repro` says it replays over WebSockets", async () => {
    const out: string[] = [];
    const code = await reproCommand({ witness: finding.witness.token, timeline: false }, (t) => {
      out.push(t);
    });
    expect(code).toBe(EXIT.unexpected);
    expect(out.join("")).toContain(`replaying ${ENGINE} over WebSockets: ${CLAUSE}`);
    expect(out.join("")).toContain("the same witness as recorded");
  });
});

describe("the reference engine over WebSockets", () => {
  it("breaks nothing and differs from nothing in 8 explored scenarios", {
    timeout: 60_000,
  }, async () => {
    const reference = await makeTarget("ssot", { transport: "ws" });
    const result = await explore(reference, {
      strategy: "pct",
      seed: 3,
      runs: 8,
      corpus: false,
      shrink: false,
    });
    expect(result.runs).toBe(8);
    expect(
      result.findings.map((f) => `${f.key}: ${f.witness.summary}\n  npx crosstalk repro …`),
    ).toEqual([]);
  });
});

describe("bad transports", () => {
  it("explore refuses an unknown transport (exit 2)", async () => {
    expect(await main(["explore", "--engine", "ssot", "--transport", "pigeon"])).toBe(EXIT.usage);
  });

  it("repro refuses a token naming an unknown transport (exit 2)", async () => {
    const spec = decodeToken(finding.witness.token);
    const token = encodeToken({ ...spec, transport: "pigeon" as never });
    await expect(reproCommand({ witness: token, timeline: false })).rejects.toMatchObject({
      exitCode: EXIT.usage,
    });
  });
});
