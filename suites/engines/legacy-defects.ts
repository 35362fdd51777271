/**
 * Every defect LEGACY.md lists, in the engine that has it: the clause that catches it, the
 * contract scenario that shows it, and what its witness must say. The README's table is this
 * table in prose; a test keeps the two in step and checks each row against a real run.
 */
import type { ClauseId } from "../../harness/contract/index.ts";

export interface LegacyDefect {
  engine: string;
  defect: string;
  clause: ClauseId;
  scenario: string;
  witness: RegExp;
}

export const LEGACY_DEFECTS: readonly LegacyDefect[] = [
  // legacy-global: the deprecated shared engine
  {
    engine: "legacy-global",
    defect:
      "response cache keyed by agent + input without the user: a second user gets the first user's answer",
    clause: "isolation.state",
    scenario: "isolation-same-input-two-users",
    witness:
      /resolved completed without its agent ever running for it: its answer was shared with user u1/,
  },
  {
    engine: "legacy-global",
    defect: "every instance reports every user's timed-out runs through its own user-bound emitter",
    clause: "delivery.owner-only",
    scenario: "events-timeouts",
    witness: /user u2 received agent_error #\d+ of run run-u1-hangs owned by u1/,
  },
  {
    engine: "legacy-global",
    defect:
      "tracker callbacks and the shared run history are never removed and keep every run alive",
    clause: "cleanup.run",
    scenario: "cleanup-run-every-end",
    witness: /the engine still held its context, tool result/,
  },
  {
    engine: "legacy-global",
    defect: "on timeout it sends agent_error and then agent_completed",
    clause: "events.terminal",
    scenario: "events-timeouts",
    witness: /ended twice: agent_error #\d+ then agent_completed/,
  },
  {
    engine: "legacy-global",
    defect: "the retry path re-runs the agent and emits agent_started again",
    clause: "events.grammar",
    scenario: "cleanup-run-every-end",
    witness: /received agent_started #2 of run r2 although the run had already started/,
  },
  {
    engine: "legacy-global",
    defect: "a request the per-user path refuses silently falls back to the shared path",
    clause: "concurrency.per-user-limit",
    scenario: "per-user-limit-fifo",
    witness: /user u1 had 3 runs active at once \(r1, r2, r3\) with perUserConcurrency 2/,
  },
  {
    engine: "legacy-global",
    defect: "one global semaphore of 10 for all users: one user's hanging runs block everyone",
    clause: "concurrency.fairness",
    scenario: "shapes-more-runs-than-a-global-pool",
    witness:
      /user u2's run run-u2-quick was executed at 10 ms below both limits but did not start at once/,
  },
  // request-scoped: per-request engine behind a process-wide bridge
  {
    engine: "request-scoped",
    defect:
      "the run → thread registry lets a new registration overwrite an old one: another user's run id takes over",
    clause: "isolation.canary",
    scenario: "shapes-run-id-reused-across-users",
    witness:
      /user u2 received tool_completed #\d+ of run run-shared on connection conn-u2 .*carrying u1's canary/,
  },
  {
    engine: "request-scoped",
    defect: "an unknown run id has its thread parsed out of the id string, and delivery follows it",
    clause: "delivery.owner-only",
    scenario: "shapes-thread-run-ids",
    witness: /user u2 received tool_completed #\d+ of run thread_beta_run_7 owned by u1/,
  },
  {
    engine: "request-scoped",
    defect: "delivery goes to the thread's user as the registry last recorded it",
    clause: "delivery.owner-only",
    scenario: "delivery-colliding-thread-ids",
    witness: /user u2 received tool_completed #\d+ of run run-u1-shared-thread owned by u1/,
  },
  {
    engine: "request-scoped",
    defect: "an agent exception is re-raised with no terminal event",
    clause: "events.terminal",
    scenario: "events-failures-and-cancel",
    witness: /its execute threw Error .*but no agent_completed or agent_error reached/,
  },
  {
    engine: "request-scoped",
    defect: "it reads the wrong field of the agent's result: agent_completed carries no result",
    clause: "events.payload",
    scenario: "events-think-and-tools",
    witness: /received agent_completed #\d+ of run run-u2-think-only which has result undefined/,
  },
  // mcp: subclass of the shared engine that skips its set-up
  {
    engine: "mcp",
    defect: "the tool path calls a notifier that was never set: no tool_executing / tool_completed",
    clause: "events.critical",
    scenario: "events-think-and-tools",
    witness:
      /its step 1 \(tool "quick"\) got agent_thinking #2 of run run-u1-overlap where its tool events should be/,
  },
  {
    engine: "mcp",
    defect: "it carries the shared engine's global semaphore instead of a per-user limit",
    clause: "concurrency.per-user-limit",
    scenario: "timeout-after-start",
    witness: /user u1 had 2 runs active at once \(r1, r2\) with perUserConcurrency 1/,
  },
  {
    engine: "mcp",
    defect: "the direct tool-protocol path sends no agent_started or agent_completed",
    clause: "events.critical",
    scenario: "shapes-request-metadata",
    witness: /run run-u1-invoices of user u1 completed but emitted 0 agent_started events/,
  },
  {
    engine: "mcp",
    defect: "its timeout callback sends agent_error without a run id",
    clause: "events.seq",
    scenario: "timeout-after-start",
    witness: /received a agent_error on connection c1 whose runId is undefined/,
  },
  {
    engine: "mcp",
    defect: "it writes into the caller's context metadata",
    clause: "ctx.immutable",
    scenario: "shapes-request-metadata",
    witness:
      /the engine changed the context it was handed for user u1's execute of run run-u1-invoices/,
  },
  // consolidated: the composed engine
  {
    engine: "consolidated",
    defect:
      "run ids made from agent name + milliseconds: two runs started in the same millisecond collide",
    clause: "cleanup.stats",
    scenario: "fairness-start-at-once",
    witness:
      /said user u1 had 0 active and 1 queued run\(s\), but the harness saw 2 active \(a1, a2\)/,
  },
  {
    engine: "consolidated",
    defect:
      "its active-run map is shared by all callers: an overwritten run can no longer be found",
    clause: "cancel.owner",
    scenario: "ctx-immutable-context-and-request",
    witness:
      /user u2 cancelled their own active run run-u2-cancelled, but cancel\(run-u2-cancelled, u2\) returned false/,
  },
  {
    engine: "consolidated",
    defect:
      "its per-user semaphore is released only on success: after two failures the user can never run again",
    clause: "concurrency.permit-release",
    scenario: "permit-release-every-path",
    witness:
      /user u1's run r3 did not start at once .*it never started\. Before it, u1's runs r1 \(agent error\), r2 \(agent error\)/,
  },
  {
    engine: "consolidated",
    defect: "its WebSocket extension sends no thinking or tool events",
    clause: "events.critical",
    scenario: "events-think-and-tools",
    witness: /its step 1 \(think "only thinking"\) has no agent_thinking/,
  },
  {
    engine: "consolidated",
    defect: "its data cache is shared by all users and keeps every result",
    clause: "cleanup.run",
    scenario: "shapes-request-metadata",
    // u1's result is held (and found) until u2's replaces it under the same key.
    witness: /after run run-u\d-invoices of user u\d ended .*the engine still held its tool result/,
  },
  // isolated-factory: the factory's isolated engine
  {
    engine: "isolated-factory",
    defect: "its per-user semaphore allows 5 runs whatever it is configured with",
    clause: "concurrency.per-user-limit",
    scenario: "per-user-limit-fifo",
    witness: /user u1 had 3 runs active at once \(r1, r2, r3\) with perUserConcurrency 2/,
  },
  {
    engine: "isolated-factory",
    defect: "it makes up its own run id, so a run id that is already active is not refused",
    clause: "ctx.unique-run",
    scenario: "ctx-unique-run-while-active",
    witness:
      /came while user u1's execute of run run-dup .* was still active, and it was not refused/,
  },
  {
    engine: "isolated-factory",
    defect:
      "its emitter is bound to the request id, not the run: runs sharing a request share one event stream",
    clause: "events.seq",
    scenario: "shapes-one-request-two-runs",
    witness: /received agent_started #3 of run run-u1-plan with seq 3 instead of 1/,
  },
  {
    engine: "isolated-factory",
    defect: "a request id picked by two users' clients sends one user's run to the other",
    clause: "isolation.canary",
    scenario: "shapes-one-request-two-runs",
    witness: /user u1 received agent_started #\d+ of run run-u1-report .*carrying u2's canary/,
  },
  {
    engine: "isolated-factory",
    defect: 'agent_completed says "completed successfully" whatever happened',
    clause: "events.terminal",
    scenario: "events-failures-and-cancel",
    witness:
      /ended with agent_completed #\d+ after 0 ms, but its agent fails: expected agent_error error/,
  },
  {
    engine: "isolated-factory",
    defect: "no thinking events",
    clause: "events.critical",
    scenario: "events-think-and-tools",
    witness: /its step 1 \(think "read the question"\) has no agent_thinking/,
  },
  {
    engine: "isolated-factory",
    defect: "on timeout it sends agent_error and then throws to the caller",
    clause: "errors.contained",
    scenario: "events-timeouts",
    witness: /threw Error "agent scripted timed out" to its caller at 500 ms/,
  },
  {
    engine: "isolated-factory",
    defect: "cleanup takes the factory's non-reentrant lock twice and deadlocks",
    clause: "concurrency.no-deadlock",
    scenario: "no-deadlock-cleanup-during-run",
    witness: /closeUser\(u1\) called during run r1, r2 never settled/,
  },
  {
    engine: "isolated-factory",
    defect:
      "per-user semaphores are never removed (here masked by the deadlock: closeUser never releases anything)",
    clause: "cleanup.user",
    scenario: "no-deadlock-cleanup-during-run",
    witness: /closeUser\(u1\), called at 10 ms, never returned: nothing of user u1 was released/,
  },
  // base-executor: the phase executor
  {
    engine: "base-executor",
    defect: "agents run with no user context",
    clause: "isolation.agent-instance",
    scenario: "events-think-and-tools",
    witness: /the agent was started at 0 ms with a context no execute issued \(user undefined/,
  },
  {
    engine: "base-executor",
    defect: "no agent_started and no agent_completed; phases are reported as tool events",
    clause: "events.critical",
    scenario: "events-think-and-tools",
    witness: /completed but emitted 0 agent_started events/,
  },
  {
    engine: "base-executor",
    defect: "a failed parallel phase sends agent_error twice",
    clause: "events.no-late",
    scenario: "events-failures-and-cancel",
    witness: /after agent_error #\d+ of run run-u3-parallel-error/,
  },
  {
    engine: "base-executor",
    defect:
      "parallel phases write into one shared results object: a call gets another call's answer",
    clause: "isolation.agent-instance",
    scenario: "shapes-parallel-calls-of-one-tool",
    witness:
      /got another call's answer at \d+ ms: tool "search" should have returned "first" but the agent was handed "second"/,
  },
  {
    engine: "base-executor",
    defect: "no timeout",
    clause: "time.timeout",
    scenario: "events-timeouts",
    witness:
      /run run-u1-hangs of user u1 started at 0 ms and was still going at 500 ms .* never timed out/,
  },
  {
    engine: "base-executor",
    defect: "no concurrency limit",
    clause: "concurrency.per-user-limit",
    scenario: "per-user-limit-fifo",
    witness: /user u1 had 3 runs active at once \(r1, r2, r3\) with perUserConcurrency 2/,
  },
];
