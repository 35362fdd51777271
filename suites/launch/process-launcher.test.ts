/**
 * The process launcher with real processes: an engine that starts, one that exits at once, one
 * that never listens, one that crashes mid-check, one that leaves a child ignoring SIGTERM, and
 * crosstalk itself interrupted. After each, nothing of the launched process group may be left.
 */
import { spawn } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { LaunchError } from "../../harness/adapters/launch/engine.ts";
import { launchProcess } from "../../harness/adapters/launch/process.ts";
import { groupMembers, groupRunning } from "../../harness/adapters/launch/process-group.ts";
import { SimSocket } from "../../harness/transport/client.ts";
import { mintToken } from "../../harness/transport/token.ts";
import { CRASHING_ENGINE, PYTHON_ENGINE, REPO } from "./commands.ts";

/** Launches, expecting a LaunchError, and returns it. */
async function launchFailure(...args: Parameters<typeof launchProcess>): Promise<LaunchError> {
  const error = await launchProcess(...args).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LaunchError);
  return error as LaunchError;
}

/** The process group is gone, or becomes so within a second (SIGKILL delivery is asynchronous). */
async function expectNoOrphans(pgid: number): Promise<void> {
  for (let i = 0; i < 50 && groupRunning(pgid); i++) await sleep(20);
  expect(groupMembers(pgid), `processes of group ${pgid} still running`).toEqual([]);
}

/** Pids of running processes whose command line contains `marker` (for launches that failed, whose pid we never got). */
function pidsOf(command: string): Promise<number[]> {
  return new Promise((resolve) => {
    const ps = spawn("ps", ["-eo", "pid=,pgid=,args="]);
    let out = "";
    ps.stdout.on("data", (chunk) => {
      out += chunk;
    });
    ps.on("close", () =>
      resolve(
        out
          .split("\n")
          .filter((line) => line.includes(command))
          .map((line) => Number(line.trim().split(/\s+/)[0])),
      ),
    );
  });
}

describe.concurrent("process launcher", () => {
  it("starts the Python engine with its port and secret, and stops it with nothing left", async () => {
    const engine = await launchProcess(PYTHON_ENGINE, { cwd: REPO });
    expect(engine.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
    expect(groupMembers(engine.pid).length).toBeGreaterThan(0);
    // The secret it was given is the one it verifies tokens with.
    const tab = new SimSocket(engine.url, { name: "t", token: mintToken(engine.secret, "alice") });
    await tab.opened;
    for (let i = 0; i < 100 && tab.frames.length === 0; i++) await sleep(20);
    expect(JSON.parse(tab.frames[0]?.text ?? "{}")).toMatchObject({
      type: "welcome",
      userId: "alice",
    });
    const outcome = await engine.stop();
    expect(outcome.unexpectedExit).toBeUndefined();
    expect(await tab.closed).toMatchObject({ code: 1001 }); // the engine shut down cleanly
    await expectNoOrphans(engine.pid);
    expect(await engine.stop()).toBe(outcome); // idempotent
  });

  it("reports a command that exits at once with its exit code and stderr", async () => {
    const error = await launchFailure(
      "echo 'config: CROSSTALK_MODEL is not set' >&2; echo 'giving up' >&2; exit 4",
    );
    expect(error.message).toContain("exited before accepting connections: exit code 4");
    expect(error.message).toContain("| config: CROSSTALK_MODEL is not set\n  | giving up");
  });

  it("reports a command that does not exist as the shell's exit 127 and its message", async () => {
    const error = await launchFailure("no-such-engine-binary --serve");
    expect(error.message).toContain("exit code 127");
    expect(error.message).toMatch(/no-such-engine-binary: (command )?not found/);
  });

  it("gives up on an engine that never listens at the deadline, and kills it", async () => {
    const marker = "never-listens-7f3a";
    const error = await launchFailure(`echo starting >&2; exec sleep 600 # ${marker}`, {
      readyTimeoutMs: 800,
    });
    expect(error.message).toMatch(
      /did not accept WebSocket connections within 800 ms; it was given CROSSTALK_PORT=\d+/,
    );
    expect(error.message).toContain("ECONNREFUSED");
    expect(error.message).toContain("| starting");
    expect(await pidsOf(marker)).toEqual([]);
  });

  it("reports an engine that crashes mid-check with its exit code and stderr, nothing left", async () => {
    const engine = await launchProcess(CRASHING_ENGINE, { cwd: REPO, env: { CRASH_AFTER: "3" } });
    const tab = new SimSocket(engine.url, { name: "t", token: mintToken(engine.secret, "alice") });
    await tab.opened;
    const execute = (runId: string) =>
      tab.send({
        type: "execute",
        requestId: `q-${runId}`,
        threadId: "thread-1",
        runId,
        agentName: "scripted",
        input: { steps: [{ think: "step" }] },
      });
    execute("run-1");
    execute("run-2"); // frame #3 (after auth) kills it, mid-check
    // Over the wire a crash is only a socket that drops; the launcher knows why.
    expect((await tab.closed).code).toBe(1006);
    const outcome = await engine.stop();
    expect(outcome.unexpectedExit).toContain("exited while being checked: exit code 70");
    expect(outcome.unexpectedExit).toContain("| fatal: engine state corrupted at frame #3");
    await expectNoOrphans(engine.pid);
  });

  it("kills a child that ignores SIGTERM once the grace is over", async () => {
    const engine = await launchProcess(`(trap '' TERM; exec sleep 600) & exec ${PYTHON_ENGINE}`, {
      cwd: REPO,
      stopGraceMs: 300,
    });
    expect(groupMembers(engine.pid).length).toBe(2); // the engine and the stubborn sleep
    expect((await engine.stop()).unexpectedExit).toBeUndefined();
    await expectNoOrphans(engine.pid);
  });

  it("leaves nothing behind when crosstalk itself is interrupted", async () => {
    const harness = spawn(
      process.execPath,
      ["--import", "tsx", "suites/launch/fixtures/launch-and-wait.ts", PYTHON_ENGINE],
      { cwd: REPO, stdio: ["ignore", "pipe", "inherit"] },
    );
    const line = await new Promise<string>((resolve) =>
      harness.stdout.once("data", (chunk: Buffer) => resolve(chunk.toString())),
    );
    const { pgid } = JSON.parse(line) as { pgid: number };
    expect(groupMembers(pgid).length).toBeGreaterThan(0);
    const exited = new Promise((resolve) =>
      harness.once("exit", (_code, signal) => resolve(signal)),
    );
    harness.kill("SIGTERM");
    expect(await exited).toBe("SIGTERM"); // the handler re-raised it: crosstalk still dies of it
    await expectNoOrphans(pgid);
  });

  it("refuses an empty command", async () => {
    const error = await launchFailure("  ");
    expect(error.message).toBe("the engine command is empty");
  });
});
