/**
 * Turns a Workload into the runner's Scenario: positions become ids, plans become timed
 * operations. Deterministic and total: any workload, however shrunk, compiles.
 */
import { PAIR_KEY, ROLE_KEY } from "../checkers/isolation.ts";
import type { JsonObject, JsonValue, Limits } from "../contract/index.ts";
import type { Scenario, ScenarioContext, TimedOperation } from "../run/scenario.ts";
import { CANARY_SLOT } from "../world/canary.ts";
import { isToolStep, SCRIPTED_AGENT, type Step } from "../world/script.ts";
import { METADATA_SHAPES, type RunPlan, type Workload } from "./model.ts";

export const CONTROL_USER = "ctl";
export const SUBJECT_USER = "sub";
/** Refused ids, in the shapes clients send: a placeholder word in any case, or nothing. */
const PLACEHOLDERS = ["default", "", "TEMP", "null", "undefined", "Test"];

interface CompiledRun {
  user: number;
  k: number;
  plan: RunPlan;
  runId: string;
  requestId: string;
  /** When it is issued, relative to the workload's start. */
  at: number;
}

export function userId(index: number): string {
  return `u${index + 1}`;
}

export function connectionId(user: number, k: number): string {
  return `c${user + 1}-${k + 1}`;
}

export function compileWorkload(workload: Workload, name = "explore"): Scenario {
  const n = workload.users.length;
  const ops: TimedOperation[] = [];
  const users = workload.users.map((_, u) => userId(u));
  // The probe's control run happens alone, before everything else.
  const probeSpan = workload.probe ? durationOf(workload.probe.steps) : 0;
  const offset = workload.probe ? probeSpan + 10 : 0;

  for (const [u, user] of workload.users.entries()) {
    user.connections.forEach((c, k) => {
      ops.push({
        op: "attach",
        connectionId: connectionId(u, k),
        userId: userId(u),
        at: offset + c.attachAt,
      });
      if (c.detachAt !== undefined) {
        const at = offset + Math.max(c.attachAt, c.detachAt);
        ops.push({ op: "detach", connectionId: connectionId(u, k), at });
      }
    });
  }

  const runs = expandRuns(workload);
  assignIds(runs, n);
  separateReissues(runs);
  for (const run of runs) {
    const { plan, user: u, k } = run;
    const uid = userId(u);
    const own = `thread_${uid}`;
    const threadId =
      plan.sharedThread !== undefined ? `thread_shared${plan.sharedThread % 3}` : own;
    const context: ScenarioContext = {
      userId: uid,
      threadId,
      runId: run.runId,
      requestId: run.requestId,
      metadata: structuredClone(
        METADATA_SHAPES[(plan.metadata ?? 0) % METADATA_SHAPES.length],
      ) as JsonObject,
    };
    const via = viaConnection(workload, u, plan.via);
    if (via) context.connectionId = via;
    if (plan.invalid) context[plan.invalid] = PLACEHOLDERS[k % PLACEHOLDERS.length] as string;
    ops.push({
      op: "execute",
      at: offset + run.at,
      context,
      request: {
        agentName: plan.unknownAgent ? "ghost-agent" : SCRIPTED_AGENT,
        input: inputOf(workload, plan),
      },
    });
    if (plan.cancel) {
      const by = plan.cancel.by === "owner" || n < 2 ? u : otherUser(u, plan.cancel.by, n);
      ops.push({
        op: "cancel",
        runId: run.runId,
        byUserId: userId(by),
        at: offset + run.at + plan.cancel.after,
      });
    }
  }

  let shutdownAt = workload.shutdownAt;
  if (workload.probe) {
    const { steps, subjectAt } = workload.probe;
    users.push(CONTROL_USER, SUBJECT_USER);
    const input = { canary: CANARY_SLOT, steps } as unknown as JsonValue;
    const pair = (role: string) => ({ [PAIR_KEY]: "probe", [ROLE_KEY]: role });
    ops.push({ op: "attach", connectionId: "c-ctl", userId: CONTROL_USER, at: 0 });
    ops.push(probeRun(CONTROL_USER, 0, input, pair("control")));
    const at = offset + subjectAt;
    ops.push({ op: "attach", connectionId: "c-sub", userId: SUBJECT_USER, at });
    ops.push(probeRun(SUBJECT_USER, at, input, pair("subject")));
    // A shutdown cancels runs; it must not cut the subject short, or its outcome differs
    // from the control's for a reason that is no failure of anyone's.
    if (shutdownAt !== undefined) shutdownAt = Math.max(shutdownAt, subjectAt + probeSpan + 10);
  }

  for (const [u, user] of workload.users.entries()) {
    if (user.closeAt !== undefined) {
      ops.push({ op: "closeUser", userId: userId(u), at: offset + user.closeAt });
    }
  }
  for (const at of workload.statsAt) ops.push({ op: "stats", at: offset + at });
  if (shutdownAt !== undefined) ops.push({ op: "shutdown", at: offset + shutdownAt });

  // Stable: operations at one instant keep the order they were added in.
  ops.sort((a, b) => a.at - b.at);
  // A user with nothing to do takes no part: leaving it out keeps a shrunk witness honest.
  const active = users.filter((u) =>
    ops.some(
      (op) =>
        ("userId" in op
          ? op.userId
          : op.op === "execute"
            ? op.context.userId
            : op.op === "cancel"
              ? op.byUserId
              : undefined) === u,
    ),
  );
  const scenario: Scenario = { name, users: active, ops };
  const limits = limitsOf(workload);
  if (Object.keys(limits).length > 0) scenario.limits = limits;
  return scenario;
}

function expandRuns(workload: Workload): CompiledRun[] {
  const runs: CompiledRun[] = [];
  for (const [u, user] of workload.users.entries()) {
    let k = 0;
    for (const plan of user.runs) {
      const repeat = Math.max(1, plan.repeat ?? 1);
      for (let i = 0; i < repeat; i += 1) {
        // A burst is one client's loop: its copies have ids of their own.
        const copy = i === 0 || !borrowsId(plan) ? plan : { ...plan, ids: undefined };
        runs.push({ user: u, k: ++k, plan: copy, runId: "", requestId: "", at: plan.at });
      }
    }
  }
  return runs;
}

/**
 * Whether a burst's copies take ids of their own: a copy reusing the previous run's id would
 * only reuse its burst sibling's. Colliding copies keep colliding (several clients at once).
 */
function borrowsId(plan: RunPlan): boolean {
  return plan.ids === "reuse-own" || plan.ids === "reuse-foreign";
}

/** Two passes: every run's own ids first, then the ids that reuse another run's. */
function assignIds(runs: CompiledRun[], n: number): void {
  for (const run of runs) {
    const uid = userId(run.user);
    run.requestId = `req-${uid}-${run.k}`;
    switch (run.plan.ids) {
      case "threaded":
        run.runId = `thread_${uid}_run_${run.k}`;
        break;
      case "foreign-thread":
        run.runId = `thread_${userId(otherUser(run.user, 0, n))}_run_${run.k}`;
        break;
      default:
        run.runId = `run-${uid}-${run.k}`;
    }
  }
  const base = new Map(runs.map((r) => [r, { runId: r.runId, requestId: r.requestId }]));
  for (const [i, run] of runs.entries()) {
    const previous = previousOf(runs, i);
    const foreign = foreignOf(runs, run, n);
    if (run.plan.ids === "reuse-own" && previous) run.runId = previous.runId;
    if ((run.plan.ids === "reuse-foreign" || run.plan.ids === "collide-foreign") && foreign) {
      run.runId = base.get(foreign)?.runId ?? run.runId;
      if (run.plan.ids === "collide-foreign") run.at = foreign.at;
    }
    if (run.plan.request === "previous" && previous) run.requestId = previous.requestId;
    if (run.plan.request === "foreign" && foreign) {
      run.requestId = base.get(foreign)?.requestId ?? run.requestId;
    }
  }
}

/**
 * A run issued at the very instant a cancel ended an earlier run of its user with the same
 * runId would emit events carrying one user, thread, runId and timestamp with that run's: no
 * history could tell whose each one is. Such a run is issued 10 ms later.
 */
function separateReissues(runs: CompiledRun[]): void {
  for (const [i, run] of runs.entries()) {
    const same = runs
      .slice(0, i)
      .filter((p) => p.user === run.user && p.runId === run.runId && p.plan.cancel);
    while (same.some((p) => p.at + (p.plan.cancel?.after ?? 0) === run.at)) run.at += 10;
  }
}

/** This user's run before the i-th, its ids already final. */
function previousOf(runs: readonly CompiledRun[], i: number): CompiledRun | undefined {
  const user = (runs[i] as CompiledRun).user;
  for (let j = i - 1; j >= 0; j -= 1) if ((runs[j] as CompiledRun).user === user) return runs[j];
  return undefined;
}

/** A run of the next user, at the same position among its runs (cyclically). */
function foreignOf(
  runs: readonly CompiledRun[],
  run: CompiledRun,
  n: number,
): CompiledRun | undefined {
  if (n < 2) return undefined;
  const other = otherUser(run.user, 0, n);
  const theirs = runs.filter((r) => r.user === other);
  return theirs[(run.k - 1) % Math.max(1, theirs.length)];
}

/** Another user than `u`: the `by`-th one after it, cyclically. */
function otherUser(u: number, by: number, n: number): number {
  if (n < 2) return u;
  return (u + 1 + (Math.abs(by) % (n - 1))) % n;
}

function viaConnection(workload: Workload, u: number, via: RunPlan["via"]): string | undefined {
  if (via === "own") return workload.users[u]?.connections.length ? connectionId(u, 0) : undefined;
  if (via === "foreign") {
    const n = workload.users.length;
    for (let i = 1; i < n; i += 1) {
      const other = (u + i) % n;
      if (workload.users[other]?.connections.length) return connectionId(other, 0);
    }
  }
  return undefined;
}

/** A shared script's input has no canary, so that it is the same for every user who sends it. */
function inputOf(workload: Workload, plan: RunPlan): JsonValue {
  if ("shared" in plan.script) {
    const steps = workload.shared[plan.script.shared % Math.max(1, workload.shared.length)];
    return { steps: steps ?? SHARED_FALLBACK } as unknown as JsonValue;
  }
  return { canary: CANARY_SLOT, steps: plan.script.steps } as unknown as JsonValue;
}

/** What a run sends when it names a shared script and shrinking removed them all. */
const SHARED_FALLBACK: Step[] = [{ think: "plan" }];

function probeRun(
  user: string,
  at: number,
  input: JsonValue,
  metadata: JsonObject,
): TimedOperation {
  return {
    op: "execute",
    at,
    context: {
      userId: user,
      threadId: `thread_${user}`,
      runId: `run-${user}-probe`,
      requestId: `req-${user}-probe`,
      metadata,
    },
    request: { agentName: SCRIPTED_AGENT, input },
  };
}

/** Virtual milliseconds a script takes when nothing interrupts it. */
export function durationOf(steps: readonly Step[]): number {
  let total = 0;
  for (const step of steps) {
    if (isToolStep(step)) total += step.delayMs ?? 0;
    else if ("parallel" in step) total += Math.max(0, ...step.parallel.map((t) => t.delayMs ?? 0));
    else if ("sleep" in step) total += step.sleep;
  }
  return total;
}

function limitsOf(workload: Workload): Partial<Limits> {
  const limits: Partial<Limits> = {};
  for (const [key, value] of Object.entries(workload.limits)) {
    if (value !== undefined) limits[key as keyof Limits] = value;
  }
  // With the probe, no global limit may make the subject wait on the others' runs.
  if (workload.probe) delete limits.globalConcurrency;
  return limits;
}
