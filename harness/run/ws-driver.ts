/**
 * The wire side of the ws runner: it issues a scenario's operations through real sockets to a
 * gateway serving the engine, and records, from the gateway's tap and the clients' frames, the
 * same history the in-process runner records. Its parts, one concern each:
 * - ws-issue.ts: operations over sockets (a tab per attach, frames for execute and cancel);
 * - ws-direct.ts: what no socket can carry, made directly, as an operator would;
 * - ws-probes.ts: a hostile or broken client's moves;
 * - ws-tap.ts: the gateway's tap, recording calls, returns and the place of each write;
 * - ws-frames.ts: what the clients received, filled into the history, and what never arrived;
 * - ws-calls.ts: how engine calls settle, and when what the engine was handed must be gone;
 * - ws-quiet.ts: when the wire is quiet and drained, which the runner waits for before each
 *   operation and before the virtual clock moves on (see ws-runner.ts).
 */
import { Gateway } from "../transport/gateway.ts";
import type { Probe, WireLog } from "../transport/wire-log.ts";
import type { RetentionRules } from "./retention.ts";
import type { Operation } from "./scenario.ts";
import { retentionRules } from "./ws-calls.ts";
import { finish } from "./ws-frames.ts";
import { issue } from "./ws-issue.ts";
import { probe } from "./ws-probes.ts";
import { WireState, type WsDriverOptions } from "./ws-state.ts";
import { WireTap } from "./ws-tap.ts";

export type { WsDriverOptions } from "./ws-state.ts";

export class WsDriver {
  readonly gateway: Gateway;
  readonly #state: WireState;

  private constructor(state: WireState) {
    this.#state = state;
    this.gateway = state.gateway;
  }

  static async start(options: WsDriverOptions): Promise<WsDriver> {
    const state = new WireState(options);
    state.gateway = await Gateway.start({
      engine: options.engine,
      secret: options.secret,
      limits: options.limits,
      authTimeoutMs: options.authTimeoutMs,
      ...(options.maxBufferedBytes ? { maxBufferedBytes: options.maxBufferedBytes } : {}),
      tap: new WireTap(state),
    });
    state.log.url = state.gateway.url;
    return new WsDriver(state);
  }

  /** Issues one scenario operation, over a socket when one can carry it. */
  issue(operation: Operation, epilogue = false): Promise<void> {
    return issue(this.#state, operation, epilogue);
  }

  /** Runs a probe: a hostile or broken client's move. */
  probe(move: Probe): void {
    probe(this.#state, move);
  }

  /** Executes and closeUser calls settled so far: retention is worth checking when it grows. */
  get settledCount(): number {
    return this.#state.settledCount;
  }

  isQuiet(): boolean {
    return this.#state.quiet.isQuiet();
  }

  settle(deadline: number): Promise<boolean> {
    return this.#state.quiet.settle(deadline);
  }

  drain(deadline: number): Promise<boolean> {
    return this.#state.quiet.drain(deadline);
  }

  unauthenticatedClosed(deadline: number): Promise<boolean> {
    return this.#state.quiet.unauthenticatedClosed(deadline);
  }

  /** stats() at a quiet instant, as the in-process runner takes it. */
  probeStats(): void {
    const { recorder, engine } = this.#state.o;
    try {
      recorder.stats(engine.stats(), true);
    } catch (error) {
      recorder.unhandled(error, "stats()");
    }
  }

  retentionRules(): RetentionRules {
    return retentionRules(this.#state);
  }

  get shutdownSettled(): boolean {
    return this.#state.shutdownCalls.some((callId) => this.#state.settled.has(callId));
  }

  hasShutdown(): boolean {
    return this.#state.shutdownCalls.length > 0;
  }

  /** Cuts every client and stops the gateway. */
  async close(): Promise<void> {
    const socks = this.#state.socks;
    for (const sock of socks) if (!sock.closed && !sock.log.close) sock.log.cutAtEnd = true;
    await Promise.all(socks.map((s) => (s.closed ? s.sim.closed : s.sim.terminate())));
    await this.gateway.close();
  }

  /** The wire log, once the run is over; deliveries that never arrived leave the history. */
  finish(): WireLog {
    return finish(this.#state);
  }
}
