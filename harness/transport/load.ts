/**
 * The load scenario of the transport suites and `npm run bench:ws`: many users, one tab each,
 * each sending a few runs that think and call tools (11 events a run), a few virtual
 * milliseconds apart.
 */
import { scenario } from "../conformance/build.ts";
import type { Scenario } from "../run/scenario.ts";
import type { Step } from "../world/script.ts";

export const LOAD_STEPS: Step[] = [
  { think: "plan" },
  { tool: "search", delayMs: 20, result: "found" },
  { think: "compare" },
  {
    parallel: [
      { tool: "fetch", delayMs: 10, result: 1 },
      { tool: "fetch", delayMs: 15, result: 2 },
    ],
  },
  { think: "answer" },
];

/** Events one run of LOAD_STEPS emits. */
export const LOAD_EVENTS_PER_RUN = 11;

export function loadScenario(users: number, runsPerUser: number): Scenario {
  const builder = scenario(`load-${users}x${runsPerUser}`).limits({
    // Every user's runs may be active at once: the load is concurrency, not queueing.
    globalConcurrency: users * runsPerUser,
  });
  for (let u = 1; u <= users; u += 1) builder.attach(`tab-u${u}`, `u${u}`);
  for (let r = 1; r <= runsPerUser; r += 1) {
    builder.at(r * 5);
    for (let u = 1; u <= users; u += 1) {
      builder.execute({ user: `u${u}`, run: `u${u}-r${r}`, steps: LOAD_STEPS });
    }
  }
  return builder.build();
}
