/**
 * `--image <name>`: starts an engine in a container through testcontainers: CROSSTALK_PORT (the
 * port it must listen on inside the container, on all interfaces) and CROSSTALK_SECRET in its
 * environment, that port exposed, a wait strategy (its ready line in the logs), then a WebSocket
 * handshake through the mapped port. Stopping removes the container. A container that ended on
 * its own before the stop is reported with its exit code and the tail of its output.
 */
import { spawnSync } from "node:child_process";
import {
  type ContainerRuntimeClient,
  GenericContainer,
  type StartedTestContainer,
  Wait,
} from "testcontainers";
import { newSecret } from "../../transport/token.ts";
import { containerRuntime } from "./container-runtime.ts";
import { onEmergency } from "./emergency.ts";
import { LaunchError, type LaunchedEngine, type StopOutcome } from "./engine.ts";
import { OutputTail } from "./output-tail.ts";
import { NotReadyError, waitUntilAccepting } from "./ready.ts";

export interface ReadOnlyMount {
  /** Path on the host. */
  source: string;
  /** Path in the container. */
  target: string;
}

export interface ContainerLaunchOptions {
  /** The port the engine listens on inside the container (default 8080). */
  containerPort?: number;
  /** Host paths bind-mounted read-only into the container. */
  mounts?: readonly ReadOnlyMount[];
  /** Overrides the image's command. */
  command?: readonly string[];
  /** More environment (CROSSTALK_PORT and CROSSTALK_SECRET win over these). */
  env?: Record<string, string>;
  /** The line the engine logs once it listens (default /listening on/, as the protocol asks). */
  readyLog?: RegExp;
  /** How long the container may take to be ready (ms, default 30 000). */
  readyTimeoutMs?: number;
}

export interface LaunchedContainer extends LaunchedEngine {
  readonly containerId: string;
}

const DEFAULT_PORT = 8080;
const DEFAULT_READY_MS = 30_000;

/** Throws NoContainerRuntime (testcontainers' reason) or LaunchError. */
export async function launchContainer(
  image: string,
  options: ContainerLaunchOptions = {},
): Promise<LaunchedContainer> {
  const client = await containerRuntime();
  const containerPort = options.containerPort ?? DEFAULT_PORT;
  const deadlineMs = options.readyTimeoutMs ?? DEFAULT_READY_MS;
  const secret = newSecret();
  const output = new OutputTail();
  let definition = new EngineContainer(image)
    .withEnvironment({
      ...options.env,
      CROSSTALK_PORT: String(containerPort),
      CROSSTALK_SECRET: secret,
    })
    .withExposedPorts(containerPort)
    .withBindMounts(
      (options.mounts ?? []).map((m) => ({
        source: m.source,
        target: m.target,
        mode: "ro" as const,
      })),
    )
    .withLogConsumer((stream) => stream.on("data", (chunk: Buffer | string) => output.push(chunk)))
    .withWaitStrategy(Wait.forLogMessage(options.readyLog ?? /listening on/))
    .withStartupTimeout(deadlineMs);
  if (options.command) definition = definition.withCommand([...options.command]);

  let started: StartedTestContainer;
  try {
    started = await definition.start();
  } catch (error) {
    const exit = definition.createdId
      ? await removeFailed(client, definition.createdId, output)
      : "";
    throw new LaunchError(
      `the container from image ${image} did not start: ${(error as Error).message}${exit}\n${output.describe("container output")}`,
    );
  }
  const id = started.getId();
  // If crosstalk is interrupted, nothing else removes it (no reaper): do it synchronously.
  const unregister = onEmergency(() => {
    spawnSync("docker", ["rm", "--force", id], { stdio: "ignore", timeout: 10_000 });
  });

  let stopping: Promise<StopOutcome> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      const outcome: StopOutcome = {};
      try {
        const state = (await client.container.inspect(client.container.getById(id))).State;
        if (!state.Running) {
          const oom = state.OOMKilled ? ", killed for lack of memory" : "";
          outcome.unexpectedExit = `the container ${short(id)} (image ${image}) exited while being checked: exit code ${state.ExitCode}${oom}\n${output.describe("container output")}`;
        }
        await started.stop({ timeout: 3_000 });
      } finally {
        unregister();
      }
      return outcome;
    })();
    return stopping;
  };

  const url = `ws://${started.getHost()}:${started.getMappedPort(containerPort)}`;
  try {
    await waitUntilAccepting(url, { deadlineMs });
  } catch (error) {
    await stop();
    if (!(error instanceof NotReadyError)) throw error;
    throw new LaunchError(
      `the container ${short(id)} (image ${image}) logged its ready line but did not accept WebSocket connections: ${error.message}\n${output.describe("container output")}`,
    );
  }
  return { url, secret, name: image, containerId: id, stop };
}

/**
 * Runs the engine under the runtime's init process (Docker's `--init`), which passes SIGTERM on:
 * an engine running as PID 1 would otherwise not get the default action of SIGTERM, and every
 * stop would wait out its grace. Remembers the container's id, so one that failed to start
 * (before testcontainers knew it) can still be reported and removed.
 */
class EngineContainer extends GenericContainer {
  createdId: string | undefined;

  constructor(image: string) {
    super(image);
    this.hostConfig.Init = true;
  }

  protected override async containerCreated(containerId: string): Promise<void> {
    this.createdId = containerId;
  }
}

/** Its exit code, if it exited (for the message), once its logs are read; then it is removed. */
async function removeFailed(
  client: ContainerRuntimeClient,
  id: string,
  output: OutputTail,
): Promise<string> {
  const container = client.container.getById(id);
  try {
    const state = (await container.inspect()).State;
    if (!state.Running && output.lines().length === 0) {
      // The log consumer was not attached yet; the runtime's log stream ends with the container.
      const logs = await client.container.logs(container);
      for await (const chunk of logs) output.push(chunk as string);
    }
    await container.remove({ force: true, v: true });
    return state.Running ? "" : ` (it exited with code ${state.ExitCode})`;
  } catch {
    return ""; // testcontainers removed it already (a failed wait strategy does)
  }
}

function short(id: string): string {
  return id.slice(0, 12);
}
