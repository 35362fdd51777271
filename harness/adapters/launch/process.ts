/**
 * `--command "<cmd>"`: starts an engine as a child process (through the shell, in its own process
 * group) with CROSSTALK_PORT (a free port) and CROSSTALK_SECRET (a fresh secret) in its
 * environment, waits until it accepts WebSocket connections on ws://127.0.0.1:<port>, and stops
 * it afterwards: SIGTERM to the group, SIGKILL after a grace. An exit before it was ready, or
 * before it was stopped, is reported with the exit code or signal and the tail of its stderr.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { constants } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { newSecret } from "../../transport/token.ts";
import { onEmergency } from "./emergency.ts";
import { LaunchError, type LaunchedEngine, type StopOutcome } from "./engine.ts";
import { freePort } from "./free-port.ts";
import { OutputTail } from "./output-tail.ts";
import { groupRunning, processEnded, signalGroup } from "./process-group.ts";
import { NotReadyError, waitUntilAccepting } from "./ready.ts";

export interface ProcessLaunchOptions {
  /** Working directory of the command (default: this process's). */
  cwd?: string;
  /** More environment for the engine (CROSSTALK_PORT and CROSSTALK_SECRET win over these). */
  env?: Record<string, string>;
  /** How long the engine may take to accept connections (ms, default 15 000). */
  readyTimeoutMs?: number;
  /** How long it may take to exit after SIGTERM before it is killed (ms, default 3 000). */
  stopGraceMs?: number;
}

export interface LaunchedProcess extends LaunchedEngine {
  /** The shell's pid, which is also the process group of everything the command starts. */
  readonly pid: number;
  /** How the shell ended, once it has. */
  exitStatus(): ExitStatus | undefined;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const DEFAULT_READY_MS = 15_000;
const DEFAULT_GRACE_MS = 3_000;
const EXIT_SETTLE_MS = 100;

export async function launchProcess(
  command: string,
  options: ProcessLaunchOptions = {},
): Promise<LaunchedProcess> {
  if (command.trim() === "") throw new LaunchError("the engine command is empty");
  const port = await freePort();
  const secret = newSecret();
  const url = `ws://127.0.0.1:${port}`;
  const child = spawn(command, {
    shell: true,
    detached: true, // its own process group, so a stop reaches whatever the shell starts
    cwd: options.cwd,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...options.env, CROSSTALK_PORT: String(port), CROSSTALK_SECRET: secret },
  });
  const stderr = new OutputTail();
  child.stderr?.on("data", (chunk: Buffer) => stderr.push(chunk));
  child.stdout?.resume(); // drained, so an engine that writes a lot never blocks on a full pipe
  const exited = exitOf(child);
  const pid = child.pid;
  if (pid === undefined) {
    const status = await exited;
    throw new LaunchError(`could not start \`${command}\`: ${status.spawnError ?? "no pid"}`);
  }
  const unregister = onEmergency(() => signalGroup(pid, "SIGKILL"));

  let status: ExitStatus | undefined;
  void exited.then((s) => {
    status = { code: s.code, signal: s.signal };
  });
  const said = () => `(command: ${command})\n${stderr.describe()}`;

  let stopping: Promise<StopOutcome> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      const outcome: StopOutcome = {};
      // An engine that died a moment ago (the checker saw its sockets drop) may still have a
      // shell that is about to exit with its status: give the news a moment to arrive.
      if (!status && !processEnded(pid)) await Promise.race([exited, sleep(EXIT_SETTLE_MS)]);
      if (status || processEnded(pid)) {
        const ended = await exited;
        outcome.unexpectedExit = `the engine exited while being checked: ${describeExit(ended)} ${said()}`;
      }
      try {
        await stopGroup(pid, exited, options.stopGraceMs ?? DEFAULT_GRACE_MS);
      } finally {
        unregister();
      }
      return outcome;
    })();
    return stopping;
  };

  const deadlineMs = options.readyTimeoutMs ?? DEFAULT_READY_MS;
  const earlyExit = exited.then((s): never => {
    throw new LaunchError(
      `the engine exited before accepting connections: ${describeExit(s)} ${said()}`,
    );
  });
  earlyExit.catch(() => {});
  try {
    await waitUntilAccepting(url, { deadlineMs, gaveUp: earlyExit });
  } catch (error) {
    await stop();
    if (!(error instanceof NotReadyError)) throw error;
    throw new LaunchError(
      `the engine did not accept WebSocket connections within ${deadlineMs} ms; it was given CROSSTALK_PORT=${port} (${error.message}) ${said()}`,
    );
  }

  return { url, secret, name: command, pid, exitStatus: () => status, stop };
}

interface ExitInfo extends ExitStatus {
  spawnError?: string;
}

function exitOf(child: ChildProcess): Promise<ExitInfo> {
  return new Promise((resolve) => {
    // 'exit' can come before the last of stderr is read, and 'close' never comes while a
    // grandchild still holds the pipe: wait for 'close', but not long.
    child.once("exit", (code, signal) => {
      const settle = () => resolve({ code, signal });
      child.once("close", settle);
      setTimeout(settle, 200).unref();
    });
    // Only when the shell itself could not be spawned; a missing command is the shell's exit 127.
    child.once("error", (error) =>
      resolve({ code: null, signal: null, spawnError: error.message }),
    );
  });
}

/** "exit code 1", "killed by signal SIGSEGV", or the shell's 128+N spelled out. */
export function describeExit(status: ExitStatus): string {
  if (status.signal) return `killed by signal ${status.signal}`;
  const code = status.code ?? -1;
  const signal = Object.entries(constants.signals).find(([, n]) => n === code - 128)?.[0];
  return signal ? `exit code ${code} (killed by signal ${signal})` : `exit code ${code}`;
}

/**
 * SIGTERM to the whole group, then wait (bounded) until the shell has exited and no process of
 * the group is still running; whatever is left after the grace gets SIGKILL.
 */
async function stopGroup(pid: number, exited: Promise<unknown>, graceMs: number): Promise<void> {
  signalGroup(pid, "SIGTERM");
  let leaderDone = false;
  void exited.then(() => {
    leaderDone = true;
  });
  const started = performance.now();
  while (performance.now() - started < graceMs) {
    if (leaderDone && !groupRunning(pid)) return;
    await sleep(20);
  }
  signalGroup(pid, "SIGKILL");
  await exited;
  // SIGKILL cannot be caught; what is left is gone within a few scheduler ticks.
  for (let i = 0; i < 100 && groupRunning(pid); i++) await sleep(10);
}
