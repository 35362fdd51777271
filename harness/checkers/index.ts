/** Every checker, run over one history: one verdict per clause of the catalogue. */
import { CLAUSE_IDS, type ClauseId, WIRE_ONLY_CLAUSES } from "../contract/index.ts";
import type { History } from "../run/history.ts";
import { checkCancel } from "./cancel.ts";
import { checkCleanup } from "./cleanup.ts";
import { checkConcurrency } from "./concurrency.ts";
import { checkCtx } from "./ctx.ts";
import { checkDelivery } from "./delivery.ts";
import { checkErrors } from "./errors.ts";
import { checkEvents } from "./events.ts";
import { checkIsolation } from "./isolation.ts";
import { checkSecurity } from "./security.ts";
import { checkTime } from "./time.ts";
import { notChecked, type Verdict } from "./verdict.ts";

export type Checker = (history: History) => Verdict[];

export const CHECKERS: readonly Checker[] = [
  checkCtx,
  checkEvents,
  checkDelivery,
  checkIsolation,
  checkConcurrency,
  checkTime,
  checkCancel,
  checkCleanup,
  checkErrors,
  checkSecurity,
];

/** All verdicts for one history, in catalogue order. */
export function checkHistory(history: History): Verdict[] {
  const byId = new Map<ClauseId, Verdict>();
  for (const checker of CHECKERS)
    for (const verdict of checker(history)) byId.set(verdict.id, verdict);
  return CLAUSE_IDS.map(
    (id) =>
      byId.get(id) ??
      notChecked(
        id,
        WIRE_ONLY_CLAUSES.includes(id)
          ? "checked over a real WebSocket only (--transport ws)"
          : "no checker covers this clause",
      ),
  );
}
