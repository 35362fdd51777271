/**
 * The reference engine in a container, started through testcontainers from the registry-free
 * image .ci/container-image.sh builds (busybox; the host's Node and this repository mounted
 * read-only; harness/adapters/launch/serve-in-container.ts inside), and checked over the wire. With no container runtime the
 * tests are skipped with testcontainers' own reason, printed; in CI that is a failure instead:
 * CI installs and starts a runtime, so the container check must run there for real.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { describe, expect, it, type TestContext } from "vitest";
import { checkLaunched } from "../../harness/adapters/launch/check-launched.ts";
import type { ReadOnlyMount } from "../../harness/adapters/launch/container.ts";
import { containerRuntimeProblem } from "../../harness/adapters/launch/container-runtime.ts";
import { hostNodeMounts } from "../../harness/adapters/launch/host-node.ts";
import type { ClauseId } from "../../harness/contract/index.ts";
import { REPO } from "./commands.ts";

const IMAGE = process.env.CROSSTALK_TEST_IMAGE ?? "crosstalk-busybox:local";
const CONTAINER_SCENARIOS = [
  "events-think-and-tools",
  "delivery-two-users-at-once",
  "security-unauthenticated-sockets",
  "security-impersonation",
  "security-malformed-frames",
];
/** Unauthenticated sockets are closed after 0.5 s instead of 5: the security scenario waits for it. */
const QUICK_AUTH = { CROSSTALK_AUTH_TIMEOUT_MS: "500" };
/** What those scenarios are written for: each must be held. */
const CONTAINER_CLAUSES: readonly ClauseId[] = [
  "events.grammar",
  "events.seq",
  "events.critical",
  "delivery.owner-only",
  "delivery.fanout",
  "delivery.order",
  "security.auth",
  "security.impersonation",
  "security.frames",
];
const MOUNTS: ReadOnlyMount[] = [...hostNodeMounts(), { source: REPO, target: "/repo" }];

/** Why the container tests cannot run here, or undefined. */
async function unavailable(): Promise<string | undefined> {
  const problem = await containerRuntimeProblem();
  if (problem) return `no container runtime: ${problem}`;
  try {
    execFileSync("docker", ["image", "inspect", IMAGE], { stdio: "ignore" });
  } catch {
    return `image ${IMAGE} is not built (run .ci/container-image.sh)`;
  }
  return undefined;
}
const reason = await unavailable();

/** Skips with the reason, printed, where no runtime is expected; fails in CI, which has one. */
function skipUnlessRuntime(ctx: TestContext): void {
  if (!reason) return;
  if (process.env.CI) throw new Error(`the container suite must run in CI, but: ${reason}`);
  process.stderr.write(`container suite skipped: ${reason}\n`);
  ctx.skip(reason);
}

describe.concurrent("container launcher", () => {
  it("checks the reference engine served in a container over the wire", async (ctx) => {
    skipUnlessRuntime(ctx);
    // The container's own part is starting, reaching and stopping the engine: a few scenarios
    // (events, delivery, security) show that; every clause is the Python suite's.
    const started = performance.now();
    const result = await checkLaunched(
      { image: IMAGE, options: { mounts: MOUNTS, env: QUICK_AUTH } },
      {
        scenarios: CONTAINER_SCENARIOS,
        onLaunched: (engine) =>
          process.stdout.write(
            `container started from ${IMAGE}, engine at ${engine.url} (${Math.round(performance.now() - started)} ms)\n`,
          ),
      },
    );
    expect(result.report.failure).toBeUndefined();
    expect(result.launch).toBe("checked");
    const broken = result.report.clauses.filter((c) => c.verdict === "broken");
    expect(broken.map((c) => `${c.id}: ${c.witness?.summary}`)).toEqual([]);
    const held = result.report.clauses.filter((c) => c.verdict === "held").map((c) => c.id);
    for (const id of CONTAINER_CLAUSES) expect(held).toContain(id);
    process.stdout.write(
      `container check: ${held.length} clauses held over the wire (${held.join(", ")})\n`,
    );
  });

  it("reports a container that exits at once with its exit code and output", async (ctx) => {
    skipUnlessRuntime(ctx);
    const result = await checkLaunched({
      image: IMAGE,
      options: {
        mounts: MOUNTS,
        command: ["/bin/sh", "-c", "echo 'fatal: no engine configured' >&2; exit 3"],
      },
    });
    expect(result.launch).toBe("failed");
    expect(result.report.failure).toContain(`the container from image ${IMAGE} did not start`);
    expect(result.report.failure).toContain("| fatal: no engine configured");
    // Removed, not left behind stopped. The tests run concurrently, so the reference engine's
    // container may be passing through "exited" on its way out just now: a leftover is one still
    // there after a few seconds.
    const stopped = () =>
      ["created", "exited", "dead"]
        .map((status) =>
          execFileSync("docker", [
            "ps",
            "--all",
            "--quiet",
            `--filter=ancestor=${IMAGE}`,
            `--filter=status=${status}`,
          ])
            .toString()
            .trim(),
        )
        .filter((ids) => ids !== "");
    const until = performance.now() + 5_000;
    let left = stopped();
    while (left.length > 0 && performance.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      left = stopped();
    }
    expect(left).toEqual([]);
  });

  it("without a container runtime, crosstalk run --image says skipped, with testcontainers' reason", (ctx) => {
    // A real absence, not a stub: a mount namespace where /run (and so /var/run/docker.sock) is
    // an empty tmpfs. It takes root and unshare; without them this test says why it cannot run.
    const hidden = ["--mount", "sh", "-c", 'mount -t tmpfs none /run && exec "$@"', "sh"];
    const probe = spawnSync("unshare", [...hidden, "true"], { encoding: "utf8" });
    if (probe.status !== 0) {
      const why = `cannot hide the container runtime here (unshare: ${probe.error?.message ?? probe.stderr.trim()})`;
      process.stderr.write(`skipped: ${why}\n`);
      ctx.skip(why);
    }
    const { DOCKER_HOST: _, ...env } = process.env;
    const cli = [process.execPath, "--import", "tsx", "harness/cli/main.ts"];
    const result = spawnSync(
      "unshare",
      [...hidden, ...cli, "run", "--image", IMAGE, "--reporter", "console"],
      { cwd: REPO, encoding: "utf8", env: { ...env, NO_COLOR: "1" } },
    );
    expect(result.stdout).toContain(
      "skipped: no container runtime: Could not find a working container runtime strategy",
    );
    expect(result.status).toBe(3);
  });
});
