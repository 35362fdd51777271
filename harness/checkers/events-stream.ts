/**
 * What a run emitted, rebuilt from what connections received, for the events.*, ctx.* and
 * errors.* checkers. One emission reaches several connections (fan-out) and may be sent again
 * from the resume buffer (`replayed`); both are folded back into one emission here, so the
 * checkers judge the stream the engine emitted rather than each connection's copy of it.
 *
 * Only deliveries are visible. A checker demands to have seen something (an agent_started, a
 * terminal) only when the run's owner had a connection attached from its execute until it
 * settled: then everything the run emitted went out live.
 *
 * The parts: events-stream/analysis.ts (the folded streams), witness.ts (findings and how
 * things read in a witness), request.ts (bad requests, what a script will do) and refusal.ts
 * (what a refused execute left behind).
 */

export * from "./events-stream/analysis.ts";
export * from "./events-stream/refusal.ts";
export * from "./events-stream/request.ts";
export * from "./events-stream/witness.ts";
