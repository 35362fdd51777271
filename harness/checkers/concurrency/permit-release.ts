/**
 * concurrency.permit-release: a slot comes back on every path (success, error, timeout,
 * cancel, engine fault): a later run of the user starts at once when entitled to.
 */
import type { History } from "../../run/history.ts";
import { broken, held, notChecked, type Verdict } from "../verdict.ts";
import { atOnce, leakPlausible, startedWhen } from "./fairness.ts";
import { endedBefore, endPath } from "./run-queries.ts";
import { limitOf } from "./shared.ts";
import type { Mark, Timelines } from "./timelines.ts";

export function permitRelease(history: History, tl: Timelines): Verdict {
  const id = "concurrency.permit-release";
  const { entitled, delayed } = atOnce(history, tl);
  for (const d of delayed) {
    const leak = leakPlausible(history, d);
    if (leak.own.length === 0 && !leak.all) continue;
    const r = d.run;
    const failures = leak.own.length > 0 ? leak.own : d.endedBefore;
    const whose = leak.own.length > 0 ? `${r.userId}'s` : "earlier";
    const ended = failures.map((q) => `${q.runId} (${endPath(q)})`).join(", ");
    return broken(
      id,
      `user ${r.userId}'s run ${r.runId} did not start at once although ${r.userId} had ${d.mine} other run(s) going (perUserConcurrency ${limitOf(history, "perUserConcurrency")}) and ${d.active} run(s) were active in all (globalConcurrency ${limitOf(history, "globalConcurrency")}); ${startedWhen(r)}. Before it, ${whose} runs ${ended} had ended: their slots were never given back`,
      [...failures.map((q) => (q.end as Mark).index), r.call.index],
    );
  }
  const exercised = entitled.some((r) =>
    (tl.byUser.get(r.userId) ?? []).some((q) => q !== r && endedBefore(q, r.call.index)),
  );
  return exercised
    ? held(id)
    : notChecked(id, "no user executed a run after an earlier run of theirs had ended");
}
