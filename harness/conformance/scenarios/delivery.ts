/**
 * delivery.*: several users, several tabs, tabs that come and go while runs stream. Each
 * scenario's runs last long enough (virtual tool latency) for connections to attach and detach
 * between their events.
 */
import type { Step } from "../../world/script.ts";
import { scenario } from "../build.ts";
import type { ConformanceScenario } from "../types.ts";

/** A run with many events spread over ~`ms` virtual milliseconds. */
function longRun(ms: number): Step[] {
  const slice = Math.max(1, Math.floor(ms / 4));
  return [
    { think: "read the question" },
    { tool: "search", delayMs: slice, result: "first" },
    { think: "compare sources" },
    {
      parallel: [
        { tool: "fetch", delayMs: slice, result: "page" },
        { tool: "rank", delayMs: Math.floor(slice / 2), result: [1, 2] },
      ],
    },
    { think: "draft" },
    { tool: "check", delayMs: slice, result: true },
    { sleep: slice },
    { think: "answer" },
  ];
}

const twoUsersAtOnce: ConformanceScenario = {
  clauses: ["delivery.owner-only", "delivery.fanout", "delivery.order", "isolation.canary"],
  scenario: scenario("delivery-two-users-at-once")
    .attach("conn-u1", "u1")
    .attach("conn-u2", "u2")
    .execute({ user: "u1", run: "run-u1-a", steps: longRun(200) })
    .execute({ user: "u2", run: "run-u2-a", steps: longRun(160) })
    .at(30)
    .execute({ user: "u2", run: "run-u2-b", steps: longRun(80) })
    .execute({ user: "u1", run: "run-u1-b", steps: [{ think: "short" }] })
    .build(),
};

/**
 * Thread ids are strings the client picks: two users' may coincide (or one user may name
 * another's). Routing must follow the run's user, never a registry keyed by thread.
 */
const collidingThreads: ConformanceScenario = {
  clauses: ["delivery.owner-only", "isolation.canary", "delivery.fanout"],
  scenario: scenario("delivery-colliding-thread-ids")
    .attach("conn-u1", "u1")
    .attach("conn-u2", "u2")
    .execute({
      user: "u1",
      run: "run-u1-shared-thread",
      thread: "thread_main",
      steps: longRun(200),
    })
    .at(40)
    .execute({ user: "u2", run: "run-u2-shared-thread", thread: "thread_main", steps: longRun(40) })
    .at(100)
    .execute({ user: "u1", run: "run-u1-own-thread", thread: "thread_u1_only", steps: longRun(40) })
    .build(),
};

const twoTabs: ConformanceScenario = {
  clauses: ["delivery.fanout", "delivery.order", "delivery.owner-only", "delivery.detach-safe"],
  scenario: scenario("delivery-two-tabs-and-a-late-one")
    .attach("tab-u1-a", "u1")
    .attach("tab-u1-b", "u1")
    .attach("tab-u2", "u2")
    .execute({ user: "u1", run: "run-u1-tabs", steps: longRun(400) })
    .execute({ user: "u2", run: "run-u2-tabs", steps: longRun(300) })
    // A third tab opens mid-run: it gets the run's events from then on, not before.
    .at(120)
    .attach("tab-u1-late", "u1")
    // The first tab closes mid-run: the other two keep receiving.
    .at(250)
    .detach("tab-u1-a")
    .build(),
};

const resumeOffline: ConformanceScenario = {
  clauses: ["delivery.resume", "delivery.order", "delivery.fanout"],
  scenario: scenario("delivery-resume-after-offline-run")
    .attach("conn-u2", "u2")
    // u1 runs with no connection at all: every event is buffered.
    .execute({ user: "u1", run: "run-u1-offline", steps: longRun(100) })
    .execute({ user: "u2", run: "run-u2-online", steps: longRun(100) })
    // u1's first tab gets the whole run replayed, once.
    .at(500)
    .attach("tab-u1-first", "u1")
    // A second tab gets no replay (u1 already had a connection), only what comes next.
    .at(600)
    .attach("tab-u1-second", "u1")
    .execute({ user: "u1", run: "run-u1-after", steps: [{ think: "hello again" }] })
    .build(),
};

const resumeReconnect: ConformanceScenario = {
  clauses: ["delivery.resume", "delivery.detach-safe", "delivery.order", "delivery.fanout"],
  scenario: scenario("delivery-resume-after-reconnect")
    .attach("tab-u1", "u1")
    .attach("tab-u2", "u2")
    .attach("tab-u3", "u3")
    .execute({ user: "u1", run: "run-u1-recon", steps: longRun(400) })
    .execute({ user: "u2", run: "run-u2-recon", steps: longRun(400) })
    .execute({ user: "u3", run: "run-u3-recon", steps: longRun(400) })
    // All three lose their only connection mid-run.
    .at(60)
    .detach("tab-u1")
    .detach("tab-u2")
    .detach("tab-u3")
    // u3 reconnects while its run goes (replay, then live), then leaves again.
    .at(150)
    .attach("tab-u3-b", "u3")
    .at(160)
    .detach("tab-u3-b")
    // u2 reconnects with the same connection id while its run still goes: replay, then live.
    .at(200)
    .attach("tab-u2", "u2")
    // u1 comes back after its run ended: the rest of the run is replayed.
    .at(1000)
    .attach("tab-u1-new", "u1")
    // u3 opens two tabs: what was buffered since 160 ms is replayed on the first only.
    .attach("tab-u3-c", "u3")
    .attach("tab-u3-d", "u3")
    .build(),
};

const resumeOverflow: ConformanceScenario = {
  clauses: ["delivery.resume"],
  scenario: scenario("delivery-resume-buffer-overflow")
    .limits({ bufferPerUser: 3 })
    .attach("conn-u2", "u2")
    .execute({
      user: "u1",
      run: "run-u1-many",
      steps: [
        { think: "one" },
        { think: "two" },
        { think: "three" },
        { think: "four" },
        { think: "five" },
        { think: "six" },
      ],
    })
    .execute({ user: "u2", run: "run-u2-few", steps: [{ think: "online" }] })
    // Only the newest three of u1's eight events are kept.
    .at(100)
    .attach("conn-u1", "u1")
    .build(),
};

const detachMidRun: ConformanceScenario = {
  clauses: ["delivery.detach-safe", "delivery.fanout", "delivery.owner-only"],
  scenario: scenario("delivery-detach-mid-run")
    .attach("tab-u1-origin", "u1")
    .attach("tab-u1-other", "u1")
    .attach("tab-u2", "u2")
    .attach("tab-u3", "u3")
    // u1's request came from the tab that is about to close.
    .execute({ user: "u1", run: "run-u1-detach", steps: longRun(300), connection: "tab-u1-origin" })
    .execute({ user: "u2", run: "run-u2-bystander", steps: longRun(300) })
    .execute({ user: "u3", run: "run-u3-gone", steps: longRun(300), connection: "tab-u3" })
    .at(40)
    .detach("tab-u1-origin")
    // u3 closes its only tab and never returns: its run still completes and returns.
    .detach("tab-u3")
    .at(80)
    .execute({ user: "u2", run: "run-u2-later", steps: longRun(100) })
    .build(),
};

export const deliveryScenarios: ConformanceScenario[] = [
  twoUsersAtOnce,
  collidingThreads,
  twoTabs,
  resumeOffline,
  resumeReconnect,
  resumeOverflow,
  detachMidRun,
];
