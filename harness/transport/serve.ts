/**
 * Serves an in-process engine over the wire protocol, live: the engine gets the harness's world
 * (the `scripted` agent and tools, canaries) and a gateway on 127.0.0.1, and its virtual clock is
 * pumped: whenever timers are due, they fire, one per macrotask, as fast as the engine gets
 * through them (virtual time runs ahead of real time, so a 25 s timeout costs nothing). Unlike
 * the ws runner nothing here waits for the wire: this is how a load test or a client that only
 * knows a URL meets the engine.
 */
import { DEFAULT_LIMITS, type Engine, type EngineModule, type Limits } from "../contract/index.ts";
import type { VirtualClock } from "../world/clock.ts";
import { World } from "../world/world.ts";
import { Gateway, type GatewayOptions } from "./gateway.ts";
import { mintToken, newSecret } from "./token.ts";

export interface ServeOptions
  extends Pick<
    GatewayOptions,
    "port" | "authTimeoutMs" | "maxFrameBytes" | "maxBufferedBytes" | "slowCloseGraceMs" | "tap"
  > {
  /** Seeds the canaries. */
  seed?: string | number;
  /** Users that get canaries (others get none). */
  users?: readonly string[];
  limits?: Partial<Limits>;
  secret?: string;
}

export interface Served {
  readonly url: string;
  readonly engine: Engine;
  readonly world: World;
  readonly gateway: Gateway;
  readonly secret: string;
  /** A token for `userId`, signed with this gateway's secret. */
  token(userId: string): string;
  /** Shuts the engine down, stops the pump and the gateway. */
  close(): Promise<void>;
}

export async function serveEngine(
  module: EngineModule,
  options: ServeOptions = {},
): Promise<Served> {
  const limits: Limits = { ...DEFAULT_LIMITS, ...options.limits };
  const world = new World({ seed: options.seed ?? 1, users: options.users ?? [] });
  const engine = module.create({
    agents: world.agents,
    tools: world.tools,
    clock: world.clock,
    limits,
  });
  const secret = options.secret ?? newSecret();
  const {
    seed: _seed,
    users: _users,
    limits: _limits,
    secret: _secret,
    ...gatewayOptions
  } = options;
  const gateway = await Gateway.start({ ...gatewayOptions, engine, secret, limits });
  const stopPump = pump(world.clock);
  return {
    url: gateway.url,
    engine,
    world,
    gateway,
    secret,
    token: (userId) => mintToken(secret, userId),
    async close() {
      try {
        await engine.shutdown();
      } finally {
        gateway.endAll();
        await gateway.close();
        stopPump();
      }
    },
  };
}

/** Fires due virtual timers one per macrotask; polls every millisecond when none is pending. */
export function pump(clock: VirtualClock): () => void {
  let stopped = false;
  let timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  const tick = () => {
    if (stopped) return;
    if (clock.nextDue() === undefined) {
      timer = setTimeout(tick, 1);
      return;
    }
    try {
      clock.fireNext();
    } catch {
      // The engine's own timer failed: judging that is the runner's job (errors.contained).
    }
    timer = setImmediate(tick);
  };
  tick();
  return () => {
    stopped = true;
    if (timer !== undefined) {
      clearTimeout(timer as NodeJS.Timeout);
      clearImmediate(timer as NodeJS.Immediate);
    }
  };
}
