/**
 * Checks an engine it can only reach over the wire protocol: a URL and the secret its tokens
 * are signed with. It reads the engine's limits from `welcome`, runs every contract scenario
 * that sockets can carry and that is affordable in real time (plan.ts), records a history from
 * the frames alone (driver.ts), and judges it with the in-process checkers where the wire can
 * show a clause (judge.ts). Clauses no frame can show are `not-checked` with the reason, never
 * `held`. Every wait has a deadline: a server that refuses, closes, answers garbage or goes
 * silent yields a `failure` (or broken clauses, when it happens mid-scenario), never a hang.
 */
import { randomBytes } from "node:crypto";
import type { Verdict } from "../../checkers/verdict.ts";
import { scenariosFor } from "../../conformance/catalogue.ts";
import type { EngineReport, ScenarioOutcome } from "../../conformance/check-engine.ts";
import type { ConformanceScenario } from "../../conformance/types.ts";
import type { History } from "../../run/history.ts";
import { type RemoteFacts, runRemoteScenario } from "./driver.ts";
import { ClauseFold } from "./fold.ts";
import { hello } from "./hello.ts";
import { judgeRemote } from "./judge.ts";
import { plan } from "./plan.ts";
import { warmUp } from "./warm-up.ts";

export interface RemoteTarget {
  /** ws://host:port of the engine. */
  url: string;
  /** The secret the engine verifies tokens with. */
  secret: string;
  /** For reports; the URL when absent. */
  name?: string;
}

export interface RemoteCheckOptions {
  /** Seeds the canaries. */
  seed?: string | number;
  /** Only scenarios whose name is in this list. */
  scenarios?: readonly string[];
  onScenario?: (done: number, total: number, name: string) => void;
  /** Real milliseconds a socket has to be welcomed, or an unauthenticated one closed (default 5000). */
  connectTimeoutMs?: number;
  /** Scenarios expected to take longer than this in real time are not run (default 10 000 ms). */
  maxScenarioMs?: number;
  /** Real milliseconds past a scenario's expected end before an unanswered request counts as never answered (default 3000). */
  graceMs?: number;
  /** Receives each history with its verdicts and what only the wire showed (for debugging). */
  onHistory?: (history: History, verdicts: Verdict[], facts: RemoteFacts) => void;
  /** How a witness is replayed, from the scenario's name (default: `crosstalk run --url`). */
  replay?: (scenario: string) => string;
}

const DEFAULTS = { connectTimeoutMs: 5_000, maxScenarioMs: 10_000, graceMs: 3_000 };

export async function checkRemote(
  target: RemoteTarget,
  options: RemoteCheckOptions = {},
): Promise<EngineReport> {
  const name = target.name ?? target.url;
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs;
  const selected = select(options.scenarios);
  const first = await hello(target.url, target.secret, "crosstalk-hello", connectTimeoutMs);
  if (!first.ok) return { name, failure: first.failure, clauses: [], scenarios: [] };
  const warm = await warmUp(target.url, target.secret, connectTimeoutMs);
  if (!warm.ok) return { name, failure: warm.failure, clauses: [], scenarios: [] };
  const limits = first.welcome.limits;
  const seed = options.seed ?? 1;
  const replay =
    options.replay ??
    ((scenario: string) =>
      `npx crosstalk run --url ${target.url} --secret <secret> --scenario ${scenario}`);
  const fold = new ClauseFold(replay);
  const nonce = randomBytes(3).toString("hex");
  const scenarios: ScenarioOutcome[] = [];
  let done = 0;
  for (const item of selected) {
    const planned = plan(item, limits, options.maxScenarioMs ?? DEFAULTS.maxScenarioMs);
    if (!planned.run) {
      fold.skip(item, planned.reason);
      scenarios.push({ name: item.scenario.name, failure: `not run: ${planned.reason}` });
    } else {
      // Between scenarios the engine may have gone: say so plainly rather than break every clause.
      const alive = await hello(target.url, target.secret, "crosstalk-hello", connectTimeoutMs);
      if (!alive.ok) {
        return {
          name,
          failure: `the engine stopped answering before scenario ${item.scenario.name}: ${alive.failure}`,
          clauses: [],
          scenarios,
        };
      }
      const { history, facts } = await runRemoteScenario(item, {
        url: target.url,
        secret: target.secret,
        limits,
        seed,
        expectedMs: planned.expectedMs,
        settleMs: planned.settleMs,
        graceMs: options.graceMs ?? DEFAULTS.graceMs,
        connectTimeoutMs,
        engineName: name,
        startLatencyMs: warm.startMs,
        userSuffix: `${done + 1}.${nonce}`,
      });
      const verdicts = judgeRemote(history, facts, item, limits);
      options.onHistory?.(history, verdicts, facts);
      for (const verdict of verdicts) fold.add(verdict, item);
      const outcome: ScenarioOutcome = { name: item.scenario.name };
      if (facts.engineCloses.length > 0) outcome.failure = facts.engineCloses.join("; ");
      scenarios.push(outcome);
    }
    done += 1;
    options.onScenario?.(done, selected.length, item.scenario.name);
  }
  return { name, clauses: fold.results(), scenarios };
}

/** The contract scenarios, security ones included (they are about the wire). */
function select(names: readonly string[] | undefined): readonly ConformanceScenario[] {
  const pool = scenariosFor("ws");
  if (!names || names.length === 0) return pool;
  const unknown = names.filter((n) => !pool.some((s) => s.scenario.name === n));
  if (unknown.length > 0) throw new Error(`unknown scenario: ${unknown.join(", ")}`);
  return pool.filter((s) => names.includes(s.scenario.name));
}
