/**
 * security.*: wire scenarios, run only over real WebSockets. Each has bystanders with runs in
 * progress and probes: sockets that never authenticate or bring a bad token, frames that name
 * another user, and frames a broken client sends (not JSON, unknown type, missing or mistyped
 * fields, binary, too big, not UTF-8, cut in the middle). Afterwards the probing user runs again:
 * the engine must still serve everyone.
 */
import type { JsonValue } from "../../contract/index.ts";
import { MAX_FRAME_BYTES } from "../../transport/protocol.ts";
import type { Probe, TimedProbe, WireScenario } from "../../transport/wire-log.ts";
import type { Step } from "../../world/script.ts";
import { scenario } from "../build.ts";
import type { ConformanceScenario } from "../types.ts";

const LONG: Step[] = [
  { think: "working" },
  { tool: "search", delayMs: 100, result: "found" },
  { think: "still working" },
  { tool: "fetch", delayMs: 100, result: "page" },
];
const QUICK: Step[] = [{ think: "quick" }, { tool: "lookup", delayMs: 5, result: "ok" }];

function withProbes(base: ReturnType<typeof scenario>, probes: TimedProbe[]): WireScenario {
  return { ...base.build(), probes };
}

function at(ms: number, ...probes: Probe[]): TimedProbe[] {
  return probes.map((probe) => ({ ...probe, at: ms }));
}

/** A well-formed execute frame, for probes to spoil. */
export function executeFrame(runId: string, extra: Record<string, JsonValue> = {}) {
  return {
    type: "execute",
    requestId: `req-${runId}`,
    threadId: `thread-${runId}`,
    runId,
    agentName: "scripted",
    input: { steps: [{ think: "should never run" }] },
    ...extra,
  };
}

const auth: ConformanceScenario = {
  clauses: ["security.auth"],
  scenario: withProbes(
    scenario("security-unauthenticated-sockets")
      .attach("tab-u1", "u1")
      .attach("tab-u2", "u2")
      .execute({ user: "u1", run: "run-u1-bystander", steps: LONG })
      .at(150)
      .execute({ user: "u2", run: "run-u2-after", steps: QUICK }),
    [
      ...at(
        10,
        { probe: "connect", socket: "silent" },
        { probe: "connect", socket: "execute-first" },
        {
          probe: "send",
          socket: "execute-first",
          kind: "before-auth",
          frame: { json: executeFrame("run-anon-1") },
        },
        { probe: "connect", socket: "stats-first" },
        {
          probe: "send",
          socket: "stats-first",
          kind: "before-auth",
          frame: { json: { type: "stats" } },
        },
        { probe: "connect", socket: "binary-first" },
        { probe: "send", socket: "binary-first", kind: "before-auth", frame: { binary: 16 } },
        { probe: "connect", socket: "garbage-first" },
        { probe: "send", socket: "garbage-first", kind: "before-auth", frame: { text: "hello?" } },
      ),
      ...at(
        20,
        { probe: "connect", socket: "other-secret", token: { user: "u1", forge: "other-secret" } },
        {
          probe: "send",
          socket: "other-secret",
          kind: "before-auth",
          frame: { json: executeFrame("run-forged-1") },
        },
        { probe: "connect", socket: "tampered", token: { user: "u1", forge: "tampered" } },
        { probe: "connect", socket: "garbage-token", token: { user: "u2", forge: "garbage" } },
        { probe: "connect", socket: "empty-token", token: { user: "u2", forge: "empty" } },
      ),
    ],
  ),
};

const impersonation: ConformanceScenario = {
  clauses: ["security.impersonation"],
  scenario: withProbes(
    scenario("security-impersonation")
      .attach("tab-u1", "u1")
      .attach("tab-u2", "u2")
      .execute({ user: "u2", run: "run-u2-victim", steps: LONG })
      // u1 names u2's connection in its own request: the engine must refuse it (ctx.owner).
      .at(30)
      .execute({ user: "u1", run: "run-u1-foreign-conn", connection: "tab-u2", steps: QUICK })
      .at(60)
      .execute({ user: "u1", run: "run-u1-own", steps: QUICK }),
    at(
      10,
      {
        probe: "send",
        socket: "tab-u1",
        kind: "impersonation",
        frame: { json: executeFrame("run-as-u2", { userId: "u2" }) },
      },
      {
        probe: "send",
        socket: "tab-u1",
        kind: "impersonation",
        frame: { json: { type: "cancel", runId: "run-u2-victim", userId: "u2" } },
      },
      {
        probe: "send",
        socket: "tab-u1",
        kind: "impersonation",
        frame: { json: executeFrame("run-as-nobody", { userId: "u3" }) },
      },
    ),
  ),
};

const frames: ConformanceScenario = {
  clauses: ["security.frames"],
  scenario: withProbes(
    scenario("security-malformed-frames")
      .attach("tab-u1", "u1")
      .attach("tab-u1-big", "u1")
      .attach("tab-u1-utf8", "u1")
      .attach("tab-u1-cut", "u1")
      .attach("tab-u2", "u2")
      .execute({ user: "u2", run: "run-u2-bystander", steps: LONG })
      // After everything: u1 is still served, on the socket that sent the garbage.
      .at(100)
      .execute({ user: "u1", run: "run-u1-after-garbage", connection: "tab-u1", steps: QUICK }),
    [
      ...at(
        10,
        {
          probe: "send",
          socket: "tab-u1",
          kind: "invalid-json",
          frame: { text: '{"type":"execute",' },
        },
        { probe: "send", socket: "tab-u1", kind: "not-object", frame: { json: [1, 2, 3] } },
        {
          probe: "send",
          socket: "tab-u1",
          kind: "unknown-type",
          frame: { json: { type: "launch-missiles" } },
        },
        {
          probe: "send",
          socket: "tab-u1",
          kind: "missing-field",
          frame: { json: { type: "execute", runId: "run-missing" } },
        },
        {
          probe: "send",
          socket: "tab-u1",
          kind: "missing-field",
          frame: { json: { type: "cancel" } },
        },
        {
          probe: "send",
          socket: "tab-u1",
          kind: "wrong-type",
          frame: { json: executeFrame("run-wrong-type", { agentName: 42 }) },
        },
        {
          probe: "send",
          socket: "tab-u1",
          kind: "wrong-type",
          frame: { json: executeFrame("run-wrong-meta", { metadata: "not an object" }) },
        },
        { probe: "send", socket: "tab-u1", kind: "binary", frame: { binary: 64 } },
        {
          probe: "send",
          socket: "tab-u1",
          kind: "repeat-auth",
          frame: { json: { type: "auth", token: "x" } },
        },
      ),
      ...at(
        20,
        {
          probe: "send",
          socket: "tab-u1-big",
          kind: "oversize",
          frame: { oversize: MAX_FRAME_BYTES + 1024 },
        },
        {
          probe: "send",
          socket: "tab-u1-utf8",
          kind: "invalid-utf8",
          frame: { invalidUtf8: true },
        },
        { probe: "drop", socket: "tab-u1-cut" },
      ),
    ],
  ),
};

/** Scenarios run only over the wire (`--transport ws`). */
export const securityScenarios: ConformanceScenario[] = [auth, impersonation, frames];
