/**
 * `crosstalk serve`: serves an in-process engine over the wire protocol, with the conformance
 * agent `scripted`, as a remote engine would be: real time, one URL, tokens signed with a
 * secret. What `crosstalk run --url` checks, and what a client in another language can talk to.
 */
import type { Command } from "commander";
import { Option } from "commander";
import { EngineLoadError, loadEngine } from "../../adapters/load.ts";
import { type LiveServed, serveLive } from "../../adapters/remote/serve-live.ts";
import { DEFAULT_LIMITS, type Limits } from "../../contract/index.ts";
import { CliError, EXIT } from "../exit-codes.ts";

export interface ServeCommandOptions {
  engine: string;
  port: number;
  /** The address to listen on; 127.0.0.1 by default. */
  host?: string;
  secret: string;
  limits: Partial<Limits>;
  authTimeoutMs?: number;
  clock: "real" | "fast";
}

/** Starts serving; resolves with the server once it listens. */
export async function serveCommand(options: ServeCommandOptions): Promise<LiveServed> {
  const module = await loadEngine(options.engine).catch((error: unknown) => {
    if (error instanceof EngineLoadError) throw new CliError(error.message, EXIT.engine);
    throw error;
  });
  try {
    return await serveLive(module, {
      port: options.port,
      ...(options.host !== undefined ? { host: options.host } : {}),
      secret: options.secret,
      limits: options.limits,
      clock: options.clock,
      ...(options.authTimeoutMs !== undefined ? { authTimeoutMs: options.authTimeoutMs } : {}),
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new CliError(`could not serve ${options.engine}: ${message}`, EXIT.engine);
  }
}

const LIMIT_NAMES = Object.keys(DEFAULT_LIMITS) as (keyof Limits)[];

/** `--limit runTimeoutMs=1000` (repeatable) into a partial Limits; bad usage otherwise. */
export function parseLimits(pairs: readonly string[]): Partial<Limits> {
  const limits: Partial<Limits> = {};
  for (const pair of pairs) {
    const [name, value, ...rest] = pair.split("=");
    const number = Number(value);
    if (rest.length > 0 || !LIMIT_NAMES.includes(name as keyof Limits)) {
      throw new CliError(
        `--limit ${pair}: expected <name>=<integer>, name one of ${LIMIT_NAMES.join(", ")}`,
        EXIT.usage,
      );
    }
    if (!Number.isInteger(number) || number < 0) {
      throw new CliError(`--limit ${pair}: ${value} is not a non-negative integer`, EXIT.usage);
    }
    limits[name as keyof Limits] = number;
  }
  return limits;
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new CliError(`--port ${text}: expected an integer from 0 to 65535`, EXIT.usage);
  }
  return port;
}

export function registerServe(program: Command): void {
  program
    .command("serve")
    .description("serve an in-process engine over the wire protocol (real time, agent `scripted`)")
    .requiredOption("-e, --engine <name|path>", "bundled engine name or path to an engine module")
    .option("-p, --port <n>", "port to listen on (0: any free port)", "0")
    .option(
      "--host <address>",
      "address to listen on: 127.0.0.1 (this machine only), or 0.0.0.0 to accept other machines and containers (tokens still need the secret)",
      "127.0.0.1",
    )
    .addOption(
      new Option("--secret <secret>", "secret that signs the tokens").env("CROSSTALK_SECRET"),
    )
    .option("--limit <name=value...>", "override a limit announced in welcome", [])
    .option("--auth-timeout-ms <ms>", "time a socket has to authenticate before 4401")
    .addOption(
      new Option(
        "--clock <clock>",
        "real: the engine's clock is the wall clock; fast: virtual time runs ahead",
      )
        .choices(["real", "fast"])
        .default("real"),
    )
    .addHelpText(
      "after",
      `
Examples:
  $ crosstalk serve --engine ssot --port 8765 --secret s3cret
  $ crosstalk serve --engine ./my-engine.ts --secret s3cret --limit runTimeoutMs=1000
  $ crosstalk run --url ws://127.0.0.1:8765 --secret s3cret      # in another terminal

Prints "listening on ws://<host>:<port>" once it accepts connections (ws://127.0.0.1:<port> with
--host 0.0.0.0, where a client on this machine connects); stops on SIGINT or
SIGTERM (the engine shuts down, sockets close with 1001). The protocol: harness/transport/PROTOCOL.md.
Exit codes: 0 stopped by a signal, 2 bad usage, 3 the engine could not be loaded or served.`,
    )
    .action(async (options: Record<string, unknown>) => {
      const secret = options.secret as string | undefined;
      if (!secret) {
        throw new CliError("--secret (or CROSSTALK_SECRET) is required", EXIT.usage);
      }
      const authTimeout = options.authTimeoutMs as string | undefined;
      if (authTimeout !== undefined && !(Number(authTimeout) > 0)) {
        throw new CliError(
          `--auth-timeout-ms ${authTimeout}: expected a positive number`,
          EXIT.usage,
        );
      }
      const served = await serveCommand({
        engine: options.engine as string,
        port: parsePort(options.port as string),
        host: options.host as string,
        secret,
        limits: parseLimits(options.limit as string[]),
        clock: options.clock as "real" | "fast",
        ...(authTimeout !== undefined ? { authTimeoutMs: Number(authTimeout) } : {}),
      });
      process.stdout.write(`listening on ${served.url}\n`);
      await untilSignal();
      await served.close();
      process.stdout.write("stopped\n");
    });
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}
