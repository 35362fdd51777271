/**
 * Drives one engine instance directly, without a runner or a history (the harness must not
 * hold what it measures): users attach, runs start and are driven to the end on the virtual
 * clock. Used by the heap and session figures.
 */
import { setImmediate as nextMacrotask } from "node:timers/promises";
import {
  DEFAULT_LIMITS,
  type Engine,
  type EngineModule,
  type JsonValue,
} from "../../contract/index.ts";
import { LOAD_STEPS } from "../../transport/load.ts";
import { memoryConnection } from "../../transport/memory.ts";
import { SCRIPTED_AGENT } from "../../world/script.ts";
import { World } from "../../world/world.ts";

/** Virtual milliseconds a batch of operations may take before the driver gives up on them. */
const SETTLE_BOUND_MS = 120_000;

export class Driver {
  readonly engine: Engine;
  readonly world = new World({ seed: "bench", users: [] });
  frames = 0;
  #runs = 0;

  constructor(module: EngineModule, users: number) {
    const limits = {
      ...DEFAULT_LIMITS,
      // The load is concurrency, not queueing: every user's runs may be active at once.
      globalConcurrency: Math.max(DEFAULT_LIMITS.globalConcurrency, users * 3),
    };
    const { agents, tools, clock } = this.world;
    this.engine = module.create({ agents, tools, clock, limits });
  }

  attach(userId: string): string {
    const connectionId = `${userId}-c1`;
    this.engine.attach(
      memoryConnection(connectionId, userId, () => {
        this.frames += 1;
      }),
    );
    return connectionId;
  }

  /** Starts one run of LOAD_STEPS for the user; the promise settles when it ends. */
  start(userId: string): Promise<unknown> {
    const n = ++this.#runs;
    const input = { steps: LOAD_STEPS } as unknown as JsonValue;
    return Promise.resolve(
      this.engine.execute(
        {
          userId,
          threadId: `${userId}-t1`,
          runId: `${userId}-r${n}`,
          requestId: `${userId}-q${n}`,
          connectionId: `${userId}-c1`,
          metadata: {},
        },
        { agentName: SCRIPTED_AGENT, input },
      ),
    ).catch(() => undefined);
  }

  /** Fires the virtual clock until every promise settled; throws if they never do. */
  async settle(pending: readonly unknown[]): Promise<void> {
    let left = pending.length;
    for (const p of pending) {
      Promise.resolve(p).then(
        () => {
          left -= 1;
        },
        () => {
          left -= 1;
        },
      );
    }
    const clock = this.world.clock;
    const end = clock.now() + SETTLE_BOUND_MS;
    for (;;) {
      await nextMacrotask();
      if (left === 0) return;
      const due = clock.nextDue();
      if (due === undefined || due > end) break;
      try {
        clock.fireNext();
      } catch {
        // The engine's own timer failed; the runs' outcome is what the workload waits for.
      }
    }
    throw new Error(`${left} of ${pending.length} operations never settled`);
  }

  /** Lets the engine take up what it was just handed (runs start, first events go out). */
  async idle(macrotasks = 3): Promise<void> {
    for (let i = 0; i < macrotasks; i += 1) await nextMacrotask();
  }

  async shutdown(): Promise<void> {
    await this.settle([this.engine.shutdown()]).catch(() => undefined);
  }
}
