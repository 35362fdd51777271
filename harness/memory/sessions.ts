/**
 * A long workload of user sessions against one engine instance, driven without a history (the
 * harness itself must not grow): each session is a new user who attaches a connection, runs an
 * agent that thinks and calls a tool, detaches and is closed. Used to follow memory across many
 * sessions (harness/memory/growth.ts); what the engine was handed is followed by weak reference.
 */
import { setImmediate as nextMacrotask } from "node:timers/promises";
import {
  DEFAULT_LIMITS,
  type Engine,
  type EngineModule,
  type JsonValue,
  type Limits,
  type UserExecutionContext,
} from "../contract/index.ts";
import type { RetainedObject } from "../run/history.ts";
import { memoryConnection } from "../transport/memory.ts";
import type { WorldObserver } from "../world/observer.ts";
import { SCRIPTED_AGENT, type Step } from "../world/script.ts";
import { World } from "../world/world.ts";

export type TrackedKind = RetainedObject["kind"];

/** Live objects of each kind the engine was handed or made for an agent, via FinalizationRegistry. */
export class LiveCounter implements WorldObserver {
  readonly #live = new Map<TrackedKind, number>();
  readonly #registry = new FinalizationRegistry<TrackedKind>((kind) => this.#add(kind, -1));

  runtimeCall(): void {}

  track(kind: TrackedKind, object: object): void {
    this.#registry.register(object, kind);
    this.#add(kind, 1);
  }

  #add(kind: TrackedKind, delta: number): void {
    this.#live.set(kind, (this.#live.get(kind) ?? 0) + delta);
  }

  /** Objects of each kind not yet collected (accurate after forced collection). */
  live(): Partial<Record<TrackedKind, number>> {
    const out: Partial<Record<TrackedKind, number>> = {};
    for (const [kind, count] of this.#live) if (count > 0) out[kind] = count;
    return out;
  }
}

export interface SessionOptions {
  /** Agent runs per session, one after another (default 2: one succeeds, one's tool fails). */
  runs?: number;
  limits?: Partial<Limits>;
  /** The runs' scripts, used in turn; by default SESSION_SCRIPTS. */
  scripts?: Step[][];
}

/**
 * A session's runs, in turn: one that thinks and calls a tool, one whose tool fails (an error
 * path is part of every real session, and where legacy engines leaked).
 */
export const SESSION_SCRIPTS: Step[][] = [
  [
    { think: "read the question" },
    { tool: "search", args: { q: "invoices" }, delayMs: 20, result: { hits: 3 } },
  ],
  [{ think: "look it up" }, { tool: "fetch", delayMs: 10, error: "upstream timed out" }],
];

/** Virtual milliseconds a single operation may take before the driver moves on without it. */
const OPERATION_BOUND_MS = 120_000;

export class SessionDriver {
  readonly engine: Engine;
  readonly world: World;
  readonly counter = new LiveCounter();
  readonly limits: Limits;
  /** Operations that did not settle within their bound (a stuck closeUser, a run never ending). */
  stuck = 0;
  /** Frames delivered (counted, not kept). */
  frames = 0;
  #next = 0;
  readonly #runs: number;
  readonly #scripts: Step[][];

  constructor(module: EngineModule, options: SessionOptions = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.world = new World({ seed: "sessions", users: [], observer: this.counter });
    const { agents, tools, clock } = this.world;
    this.engine = module.create({ agents, tools, clock, limits: this.limits });
    this.#runs = options.runs ?? 2;
    this.#scripts = options.scripts ?? SESSION_SCRIPTS;
  }

  /** One session of a new user; resolves once its closeUser settled (or was given up on). */
  async session(): Promise<void> {
    const n = ++this.#next;
    const userId = `s${n}`;
    const connectionId = `s${n}-c1`;
    const connection = memoryConnection(connectionId, userId, () => {
      this.frames += 1;
    });
    this.counter.track("connection", connection);
    this.engine.attach(connection);
    for (let r = 1; r <= this.#runs; r += 1) {
      // Shaped like the original backend's traffic: the request's text and a cache key.
      const context: UserExecutionContext = {
        userId,
        threadId: `s${n}-t1`,
        runId: `s${n}-r${r}`,
        requestId: `s${n}-q${r}`,
        connectionId,
        metadata: { current_request: "summarise my invoices", cache_key: `s${n}-q${r}` },
      };
      const steps = this.#scripts[(r - 1) % this.#scripts.length] ?? [];
      const input = { steps } as unknown as JsonValue;
      const request = { agentName: SCRIPTED_AGENT, input };
      this.counter.track("context", context);
      this.counter.track("request", request);
      this.counter.track("input", input as object);
      await this.#settle(this.engine.execute(context, request));
    }
    this.engine.detach(connectionId);
    await this.#settle(this.engine.closeUser(userId));
  }

  /** Fires the virtual clock until `pending` settles, within a bound; never throws. */
  async #settle(pending: unknown): Promise<void> {
    let done = false;
    Promise.resolve(pending).then(
      () => {
        done = true;
      },
      () => {
        done = true;
      },
    );
    const clock = this.world.clock;
    const end = clock.now() + OPERATION_BOUND_MS;
    for (;;) {
      await nextMacrotask();
      if (done) return;
      const due = clock.nextDue();
      if (due === undefined || due > end) break;
      try {
        clock.fireNext();
      } catch {
        // A timer callback's error is the engine's: the workload goes on.
      }
    }
    this.stuck += 1;
  }

  /** Shuts the engine down (bounded), for a clean end. */
  async shutdown(): Promise<void> {
    await this.#settle(this.engine.shutdown());
  }
}
