/**
 * Serves an in-process engine over the wire protocol as a remote engine would run: the
 * engine's clock follows real time, so a tool's 100 ms latency takes 100 real ms and a run
 * times out runTimeoutMs real milliseconds after it started. (transport/serve.ts runs virtual
 * time ahead of real time instead, for load tests: there a cancel sent 50 ms into a one-second
 * run finds it long over.) Used by `crosstalk serve` and by the suites that check a served
 * engine with checkRemote.
 */
import {
  DEFAULT_LIMITS,
  type Engine,
  type EngineModule,
  type Limits,
} from "../../contract/index.ts";
import { Gateway, type GatewayOptions } from "../../transport/gateway.ts";
import { pump as fastPump } from "../../transport/serve.ts";
import { newSecret } from "../../transport/token.ts";
import type { VirtualClock } from "../../world/clock.ts";
import { World } from "../../world/world.ts";

export interface LiveServeOptions
  extends Pick<
    GatewayOptions,
    "port" | "host" | "authTimeoutMs" | "maxFrameBytes" | "maxBufferedBytes"
  > {
  limits?: Partial<Limits>;
  secret?: string;
  /** "real" (default): the engine's clock is the wall clock; "fast": virtual time runs ahead. */
  clock?: "real" | "fast";
}

export interface LiveServed {
  readonly url: string;
  readonly secret: string;
  readonly limits: Limits;
  /** Shuts the engine down, then closes every socket (1001) and stops listening. */
  close(): Promise<void>;
}

export async function serveLive(
  module: EngineModule,
  options: LiveServeOptions = {},
): Promise<LiveServed> {
  const limits: Limits = { ...DEFAULT_LIMITS, ...options.limits };
  // No users are known in advance: tools return no canary, inputs carry the client's own.
  const world = new World({ seed: 1, users: [] });
  const engine = module.create({
    agents: world.agents,
    tools: world.tools,
    clock: world.clock,
    limits,
  });
  const secret = options.secret ?? newSecret();
  const { limits: _l, secret: _s, clock: mode, ...gatewayOptions } = options;
  const real = mode !== "fast";
  const start = performance.now() - world.clock.now();
  // Each call finds the clock at the wall clock's time, not at the pump's last tick.
  const fresh = real
    ? withFreshClock(engine, () => world.clock.advanceTo(Math.floor(performance.now() - start)))
    : engine;
  const gateway = await Gateway.start({ ...gatewayOptions, engine: fresh, secret, limits });
  const stop = real ? realTimePump(world.clock, start) : fastPump(world.clock);
  let closed: Promise<void> | undefined;
  return {
    url: gateway.url,
    secret,
    limits,
    close() {
      closed ??= (async () => {
        try {
          await engine.shutdown();
        } finally {
          gateway.endAll();
          await gateway.close();
          stop();
        }
      })();
      return closed;
    },
  };
}

/**
 * Keeps the virtual clock at the wall clock's elapsed milliseconds and fires each timer once
 * its time has come, one per macrotask (the promise jobs a timer starts run before the next).
 */
export function realTimePump(clock: VirtualClock, start: number): () => void {
  let stopped = false;
  let timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  const tick = () => {
    if (stopped) return;
    clock.advanceTo(Math.floor(performance.now() - start));
    const due = clock.nextDue();
    if (due !== undefined && due <= clock.now()) {
      try {
        clock.fireNext();
      } catch {
        // The engine's own timer threw: nothing on the wire shows it but what follows.
      }
      timer = setImmediate(tick);
      return;
    }
    timer = setTimeout(tick, due === undefined ? 2 : Math.min(2, Math.max(1, due - clock.now())));
  };
  tick();
  return () => {
    stopped = true;
    clearTimeout(timer as NodeJS.Timeout);
    clearImmediate(timer as NodeJS.Immediate);
  };
}

/** The engine, with `tick` run before each of its methods. */
function withFreshClock(engine: Engine, tick: () => void): Engine {
  const fresh = <A extends unknown[], R>(method: (...args: A) => R) => {
    return (...args: A): R => {
      tick();
      return method.apply(engine, args);
    };
  };
  return {
    attach: fresh(engine.attach),
    detach: fresh(engine.detach),
    execute: fresh(engine.execute),
    cancel: fresh(engine.cancel),
    closeUser: fresh(engine.closeUser),
    stats: fresh(engine.stats),
    shutdown: fresh(engine.shutdown),
  };
}
