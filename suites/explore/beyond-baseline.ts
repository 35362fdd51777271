/**
 * Clauses that exploration finds broken on the legacy models besides those engines/baseline.json
 * lists (the baseline comes from the hand-written scenarios, each of which exercises one defect
 * in isolation). Each was looked at in its shrunk witness; all of them follow from a defect the
 * model keeps on purpose, which under random traffic also breaks a neighbouring clause:
 *
 * - "misrouted": events routed by a registry or tracker instead of the run's owner are sent to
 *   other users, so the owner's resume buffer never gets them (delivery.resume), and an error
 *   event sent to the wrong user carries the owner's data (errors.sanitized).
 * - "duplicate run ids": an engine that accepts a second execute of a runId that is still going
 *   gives users two interleaved streams under one runId; per-run clauses (order, detach, limit,
 *   timeout, deadlock) then read them as one run's.
 * - "shared engine": mcp is built on legacy-global's shared engine, so it inherits its response
 *   cache (isolation.state) and stats.
 * - "global semaphore": a process-wide pool of 10 makes a user's run wait behind other users'
 *   runs; when that user's own runs ended before, the delay also reads as leaked slots.
 * - "retained after shutdown": what cleanup.run finds retained is also still held after shutdown.
 * - "request-bound emitter": isolated-factory stamps every event with the ids of the request
 *   its engine was made for, so runs sharing a request id (a pipeline, or two clients picking
 *   alike) share one stream.
 * - "no terminal": an engine that sends no agent_completed leaves every connection that was
 *   receiving a run without its end, which after a detach also reads as delivery.detach-safe.
 * - "differs from the reference": results that no clause's checker can see without a connection
 *   (a run that throws resolving `timeout` 25 s later), found by the differential check; it is
 *   expected of every engine whose baseline lists breaks.
 *
 * The lead may fold these into the baseline together with hand-written scenarios that show them.
 */
import type { FindingKey } from "../../harness/explore/trial.ts";

export const BEYOND_BASELINE: Readonly<Record<string, readonly FindingKey[]>> = {
  "legacy-global": [
    "delivery.resume", // misrouted: a user's timeout events go to every instance's emitter
    "cleanup.shutdown", // retained after shutdown: tracker callbacks keep every context
    "concurrency.permit-release", // global semaphore
  ],
  "request-scoped": [
    "errors.sanitized", // misrouted error events
    "delivery.resume", // misrouted
    "delivery.detach-safe", // duplicate run ids
    "delivery.order", // duplicate run ids
    "isolation.state", // misrouted: another user's tool results
    "concurrency.per-user-limit", // duplicate run ids
    "concurrency.no-deadlock", // duplicate run ids
    "time.timeout", // duplicate run ids
    "cleanup.shutdown", // accepts and keeps a connection attached after shutdown
  ],
  mcp: [
    "delivery.resume", // misrouted (the shared engine's tracker)
    "cleanup.shutdown", // retained after shutdown
    "ctx.unique-run", // the direct tool path does not look at the active-run map
    "isolation.state", // shared engine: response cache without the user
    "cleanup.stats", // shared engine: runs waiting on the global semaphore are not counted
    "cancel.owner", // shared engine: a run waiting on the global semaphore cannot be cancelled
    "concurrency.permit-release", // global semaphore
  ],
  consolidated: [
    "delivery.owner-only", // shared run map: two runs of one agent in one millisecond collide
    "delivery.detach-safe", // the same collision
    "delivery.resume", // duplicate run ids: both runs' identical events are replayed
    "time.timeout", // leaked slots: a run that never started is timed out from its queue
  ],
  "isolated-factory": [
    "delivery.order", // emitter bound to the request: runs of one request share one stream
    "delivery.resume", // the same: events go out under another run's ids
    "isolation.state", // the same, across users whose clients picked one request id
    "isolation.failure", // cleanup deadlock: a user's run never returns once another's is cleaned
    "concurrency.permit-release", // a slot taken by a run whose cleanup deadlocked never returns
    "cancel.idempotent", // cancel of a run it already cancelled returns true again
  ],
  "base-executor": [
    "delivery.detach-safe", // no terminal: after any detach, nothing more of the run comes
  ],
};

/** What exploration may find on an engine without failing: its baseline, and the above. */
export function allowedFor(engine: string, baseline: readonly FindingKey[]): Set<FindingKey> {
  const allowed = new Set<FindingKey>([...baseline, ...(BEYOND_BASELINE[engine] ?? [])]);
  if (baseline.length > 0) allowed.add("differential");
  return allowed;
}
