// The security checker on histories whose wire view shows a broken server: each rule must catch
// what it is there for. The histories are real (the reference over the wire) with the wire view
// then doctored, as a gateway with that defect would have left it.
import { beforeAll, describe, expect, it } from "vitest";
import ssot from "../../engines/ssot/index.ts";
import { checkSecurity } from "../../harness/checkers/security.ts";
import type { Verdict } from "../../harness/checkers/verdict.ts";
import { WIRE_SCENARIOS } from "../../harness/conformance/catalogue.ts";
import type { History } from "../../harness/run/history.ts";
import { runScenarioWs } from "../../harness/run/ws-runner.ts";
import type { WireSocket } from "../../harness/transport/wire-log.ts";

const histories = new Map<string, History>();

function fresh(name: string): History {
  return structuredClone(histories.get(name) as History);
}
function socket(history: History, name: string): WireSocket {
  return history.wire?.sockets.find((s) => s.name === name) as WireSocket;
}
function verdict(history: History, id: Verdict["id"]): Verdict {
  return checkSecurity(history).find((v) => v.id === id) as Verdict;
}
function summary(v: Verdict): string {
  return v.verdict === "broken" ? v.witness.summary : "";
}

beforeAll(async () => {
  for (const item of WIRE_SCENARIOS) {
    histories.set(item.scenario.name, await runScenarioWs(ssot, item.scenario));
  }
});

describe("security.auth", () => {
  it("holds on the reference, and is not checked in process", () => {
    expect(verdict(fresh("security-unauthenticated-sockets"), "security.auth").verdict).toBe(
      "held",
    );
    const inProcess = fresh("security-unauthenticated-sockets");
    delete inProcess.wire;
    expect(verdict(inProcess, "security.auth").verdict).toBe("not-checked");
  });

  it("breaks when a socket that never authenticated receives a frame", () => {
    const h = fresh("security-unauthenticated-sockets");
    socket(h, "execute-first").received.push({ no: 0, type: "event", afterSent: 1, realMs: 1 });
    expect(summary(verdict(h, "security.auth"))).toContain(
      "socket execute-first, never authenticated",
    );
  });

  it("breaks when it is closed with another code than 4401, or never", () => {
    const h = fresh("security-unauthenticated-sockets");
    const silent = socket(h, "silent");
    if (silent.close) silent.close.code = 1000;
    expect(summary(verdict(h, "security.auth"))).toContain("instead of 4401");
    delete silent.close;
    silent.cutAtEnd = true;
    expect(summary(verdict(h, "security.auth"))).toContain("never closed by the server");
  });

  it("breaks when the run an unauthenticated socket named started", () => {
    const h = fresh("security-unauthenticated-sockets");
    const runtime = h.entries.find((e) => e.kind === "runtime" && e.call === "start");
    if (runtime?.kind === "runtime") runtime.context.runId = "run-anon-1";
    expect(summary(verdict(h, "security.auth"))).toContain("its run run-anon-1 started");
  });
});

describe("security.impersonation", () => {
  it("holds on the reference", () => {
    expect(verdict(fresh("security-impersonation"), "security.impersonation").verdict).toBe("held");
  });

  it("breaks when a request naming another user is answered as if it were theirs", () => {
    const h = fresh("security-impersonation");
    const tab = socket(h, "tab-u1");
    const sent = tab.sent.find((s) => s.claims === "u2" && s.type === "execute");
    for (const r of tab.received) {
      if (r.answers === sent?.no) {
        r.type = "result";
        r.frame = { type: "result", result: { runId: "run-as-u2", status: "completed" } };
      }
    }
    expect(summary(verdict(h, "security.impersonation"))).toContain("naming user u2");
  });

  it("breaks when the other user's run was cancelled by the impostor", () => {
    const h = fresh("security-impersonation");
    const event = h.entries.find(
      (e) => e.kind === "deliver" && (e.event as { runId?: string }).runId === "run-u2-victim",
    );
    if (event?.kind === "deliver") {
      event.event = {
        ...(event.event as object),
        type: "agent_error",
        payload: { reason: "cancelled", message: "x" },
      };
    }
    expect(summary(verdict(h, "security.impersonation"))).toContain(
      "run run-u2-victim was cancelled",
    );
  });
});

describe("security.frames", () => {
  it("holds on the reference", () => {
    expect(verdict(fresh("security-malformed-frames"), "security.frames").verdict).toBe("held");
  });

  it("breaks when a malformed frame gets no error frame", () => {
    const h = fresh("security-malformed-frames");
    const tab = socket(h, "tab-u1");
    const binary = tab.sent.find((s) => s.probe === "binary");
    tab.received = tab.received.filter((r) => r.answers !== binary?.no);
    expect(summary(verdict(h, "security.frames"))).toContain("binary frame");
  });

  it("breaks when an oversize frame is closed with the wrong code", () => {
    const h = fresh("security-malformed-frames");
    const big = socket(h, "tab-u1-big");
    if (big.close) big.close.code = 1011;
    expect(summary(verdict(h, "security.frames"))).toContain("oversize frame");
  });

  it("breaks when another user's socket is closed after the garbage", () => {
    const h = fresh("security-malformed-frames");
    const other = socket(h, "tab-u2");
    other.close = { code: 1011, reason: "internal error", by: "gateway", at: 50, realMs: 1 };
    expect(summary(verdict(h, "security.frames"))).toContain("socket tab-u2 of u2");
  });

  it("breaks when an error escapes after the garbage", () => {
    const h = fresh("security-malformed-frames");
    h.entries.push({
      kind: "unhandled",
      index: h.entries.length,
      at: 20,
      source: "uncaught exception",
      error: { name: "SyntaxError", message: "Unexpected token" },
    });
    expect(summary(verdict(h, "security.frames"))).toContain("an error escaped");
  });
});
