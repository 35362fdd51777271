/**
 * The catalogue of contract clauses. Every report, suite and baseline names clauses by these
 * ids and nothing else; `ClauseId` makes a misspelt id a type error.
 */

export const CLAUSE_FAMILIES = [
  "ctx",
  "events",
  "delivery",
  "isolation",
  "concurrency",
  "time",
  "cancel",
  "cleanup",
  "errors",
  "security",
] as const;
export type ClauseFamily = (typeof CLAUSE_FAMILIES)[number];

export const CLAUSES = {
  "ctx.valid": "an invalid or placeholder id is rejected before any event, leaving no state",
  "ctx.immutable": "the engine never mutates the context or request it was handed",
  "ctx.unique-run":
    "a second execute with an active or queued runId is rejected; the first run goes on",
  "ctx.owner": "a context naming a connection of another user is rejected, nothing delivered",
  "events.grammar":
    "per run: agent_started, then thinking/tool events with every tool_completed closing an open call, then one terminal",
  "events.seq": "seq starts at 1 and grows by 1 per event; the envelope carries the run's own ids",
  "events.critical":
    "a successful run that thinks and calls tools emits all five critical events, one per step",
  "events.payload": "every payload has its required fields, is JSON and fits maxEventBytes",
  "events.terminal": "every started run ends with exactly one terminal of the right kind",
  "events.result":
    "what execute resolves to agrees with the terminal event; a refused request emits nothing",
  "events.no-late":
    "nothing is emitted for a run after its terminal, even if its agent or tool finishes later",
  "delivery.owner-only": "an event of user U's run is sent only on U's connections",
  "delivery.fanout": "each event reaches every connection of U attached at emission, exactly once",
  "delivery.order": "on every connection, a run's events arrive in seq order",
  "delivery.resume":
    "events emitted while U had no connection are replayed in order on U's next attach, once",
  "delivery.detach-safe": "a connection detaching mid-run fails nothing; the run goes on",
  "isolation.canary": "no event or result reaching a user carries another user's canary",
  "isolation.state": "no cache, history or agent state is shared between users",
  "isolation.agent-instance":
    "concurrent runs of one agent see only their own context in every runtime call",
  "isolation.failure":
    "one user's failing or hanging runs change no other user's outcome or limits",
  "concurrency.per-user-limit":
    "at most perUserConcurrency active runs per user; the rest wait FIFO, bounded",
  "concurrency.fairness":
    "below the global limit a user's run starts at once; at it, slots go round-robin",
  "concurrency.permit-release":
    "a slot is returned on every path: success, error, timeout, cancel, engine fault",
  "concurrency.no-deadlock": "execute, cancel, closeUser and shutdown always settle",
  "time.timeout":
    "a run still going runTimeoutMs after agent_started ends then with agent_error timeout",
  "cancel.owner": "the owner's cancel ends an active run (cancelled) or removes a queued one",
  "cancel.foreign": "a cancel by another user returns false and changes nothing",
  "cancel.idempotent": "cancel of a finished or unknown run returns false and emits nothing",
  "cleanup.run":
    "after a run ends the engine holds nothing of its context, request, input, runtime or results",
  "cleanup.user": "after closeUser(U) nothing of U is in stats or reachable",
  "cleanup.shutdown":
    "after shutdown every execute has settled and no timer, listener or socket is left",
  "cleanup.stats": "stats() agrees at every instant with what the harness observed",
  "errors.contained":
    "no agent, tool or engine error escapes as an unhandled rejection; the engine keeps serving",
  "errors.sanitized": "an error message sent to a user carries no other user's data",
  "errors.bad-request":
    "unknown agent, non-JSON or oversize input is rejected with a typed error, no events",
  "security.auth":
    "an unauthenticated connection receives nothing, starts nothing, and is closed with 4401",
  "security.impersonation": "a request naming a user other than its connection's is refused",
  "security.frames":
    "malformed, unknown or oversize frames get an error and never crash the engine",
} as const;

export type ClauseId = keyof typeof CLAUSES;
export const CLAUSE_IDS = Object.keys(CLAUSES) as ClauseId[];

export function familyOf(id: ClauseId): ClauseFamily {
  return id.slice(0, id.indexOf(".")) as ClauseFamily;
}

export function isClauseId(value: string): value is ClauseId {
  return Object.hasOwn(CLAUSES, value);
}

/** Clauses checked only over a real WebSocket (a later transport); in process they are not-checked. */
export const WIRE_ONLY_CLAUSES: readonly ClauseId[] = [
  "security.auth",
  "security.impersonation",
  "security.frames",
];
