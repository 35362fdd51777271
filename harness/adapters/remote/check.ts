/**
 * Checks an engine it can only reach over the wire protocol: a URL and the secret its tokens
 * are signed with. It reads the engine's limits from `welcome`, runs every contract scenario
 * that can be carried by sockets and is affordable in real time, records a history from the
 * frames alone, and judges it with the same checkers as in process. Clauses no frame can show
 * are `not-checked` with the reason, never `held`.
 */

import type { EngineReport } from "../../conformance/check-engine.ts";
import { CLAUSE_IDS } from "../../contract/index.ts";
import { hello } from "./hello.ts";

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
  /** Real milliseconds the engine has to accept a socket and send `welcome` (default 5000). */
  connectTimeoutMs?: number;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

export async function checkRemote(
  target: RemoteTarget,
  options: RemoteCheckOptions = {},
): Promise<EngineReport> {
  const name = target.name ?? target.url;
  const first = await hello(
    target.url,
    target.secret,
    "crosstalk-hello",
    options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
  );
  if (!first.ok) return { name, failure: first.failure, clauses: [], scenarios: [] };
  return {
    name,
    clauses: CLAUSE_IDS.map((id) => ({
      id,
      verdict: "not-checked",
      reason: "the remote scenarios are not wired in yet",
    })),
    scenarios: [],
  };
}
