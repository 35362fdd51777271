/**
 * Whether a container runtime is reachable, as testcontainers sees it. testcontainers reads its
 * settings from the environment; the two set here (unless the user set them) are the ones a
 * machine without registry access needs: no reaper (its image cannot be pulled), and the mapped
 * ports reached on localhost.
 */
import { type ContainerRuntimeClient, getContainerRuntimeClient } from "testcontainers";

export function configureTestcontainers(): void {
  process.env.TESTCONTAINERS_RYUK_DISABLED ??= "true";
  process.env.TESTCONTAINERS_HOST_OVERRIDE ??= "localhost";
}

/** No container runtime: `reason` is testcontainers' own message. */
export class NoContainerRuntime extends Error {
  override name = "NoContainerRuntime";
  constructor(readonly reason: string) {
    super(`no container runtime: ${reason}`);
  }
}

/** The runtime client, or NoContainerRuntime with testcontainers' reason. */
export async function containerRuntime(): Promise<ContainerRuntimeClient> {
  configureTestcontainers();
  try {
    return await getContainerRuntimeClient();
  } catch (error) {
    throw new NoContainerRuntime(error instanceof Error ? error.message : String(error));
  }
}

/** Why no container can be started here, or undefined when a runtime answers. */
export async function containerRuntimeProblem(): Promise<string | undefined> {
  try {
    await containerRuntime();
    return undefined;
  } catch (error) {
    if (error instanceof NoContainerRuntime) return error.reason;
    throw error;
  }
}
