/**
 * concurrency.*: how many runs of a user (and of everyone) are active at once, in what order
 * waiting runs start, whether slots come back after every kind of end, and whether every call
 * settles. The run timelines the time, cancel and cleanup checkers share are in
 * concurrency/timelines.ts and concurrency/run-queries.ts, re-exported here.
 *
 * What the harness can see of a run: its execute call and return, the events delivered for it,
 * and the agent's own runtime calls (recorded whatever connection the user has). A run's
 * *start* is the earliest of its live `agent_started` delivery and its agent's first runtime
 * call; its *end* is the earliest of any terminal delivery and its execute's return. Every rule
 * below is written so that what could not be observed never counts against the engine.
 */
import type { History } from "../run/history.ts";
import { fairness } from "./concurrency/fairness.ts";
import { noDeadlock } from "./concurrency/no-deadlock.ts";
import { perUserLimit } from "./concurrency/per-user-limit.ts";
import { permitRelease } from "./concurrency/permit-release.ts";
import { timelinesOf } from "./concurrency/timelines.ts";
import { notChecked, type Verdict } from "./verdict.ts";

export function checkConcurrency(history: History): Verdict[] {
  return [
    guard("concurrency.per-user-limit", () => perUserLimit(history, timelinesOf(history))),
    guard("concurrency.fairness", () => fairness(history, timelinesOf(history))),
    guard("concurrency.permit-release", () => permitRelease(history, timelinesOf(history))),
    guard("concurrency.no-deadlock", () => noDeadlock(history, timelinesOf(history))),
  ];
}

function guard(id: Verdict["id"], check: () => Verdict): Verdict {
  try {
    return check();
  } catch (error) {
    return notChecked(id, `the checker could not read this history: ${String(error)}`);
  }
}

// The run timelines and their queries, from the one place other checkers always took them.
export {
  byStart,
  connectedThroughout,
  describeRun,
  endedBefore,
  endPath,
  instantEnd,
  possiblyActiveAt,
  runAt,
  settledBefore,
  startedBefore,
  waitingAt,
} from "./concurrency/run-queries.ts";
export { surelyActiveAt } from "./concurrency/shared.ts";
export {
  type Mark,
  type RunTimeline,
  type Timelines,
  timelinesOf,
} from "./concurrency/timelines.ts";
