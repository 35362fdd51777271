/**
 * One small run before the scenarios: it shows the engine runs the conformance agent `scripted`
 * at all (it completes), and takes the engine's first-request costs (a
 * compiled schema, a lazily loaded module) out of the first scenario, whose timings they would
 * distort. An engine that cannot do this much gets a failure, not a matrix of breaks.
 */
import { SimSocket } from "../../transport/client.ts";
import { mintToken } from "../../transport/token.ts";

/** The warm-up's outcome: a failure, or how long the run took to start (real ms). */
export type WarmUp = { ok: false; failure: string } | { ok: true; startMs: number };

export async function warmUp(url: string, secret: string, timeoutMs: number): Promise<WarmUp> {
  const runId = `warm-up-${process.pid}-${Date.now()}`;
  let result: Record<string, unknown> | undefined;
  let problem: string | undefined;
  let settled = false;
  let sentAt = 0;
  let startMs: number | undefined;
  let resolveFinished = () => {};
  const finished = new Promise<void>((resolve) => {
    resolveFinished = resolve;
  });
  const done = () => {
    settled = true;
    resolveFinished();
  };
  const sim = new SimSocket(url, {
    name: "warm-up",
    token: mintToken(secret, "crosstalk-warm-up"),
    record: false,
    onFrame: (frame) => {
      let parsed: Record<string, unknown> | undefined;
      try {
        parsed = JSON.parse(frame.text) as Record<string, unknown>;
      } catch {
        problem = `answered with text that is not JSON: ${frame.text.slice(0, 80)}`;
        done();
        return;
      }
      if (parsed?.type === "agent_started" && startMs === undefined) {
        startMs = performance.now() - sentAt;
      }
      if (parsed?.type === "welcome") {
        sentAt = performance.now();
        sim.send({
          type: "execute",
          requestId: `${runId}-request`,
          threadId: `${runId}-thread`,
          runId,
          agentName: "scripted",
          input: { steps: [{ think: "warming up" }, { tool: "warm-up", delayMs: 1, result: 1 }] },
        });
      } else if (parsed?.type === "result" || parsed?.type === "error") {
        if (parsed.type === "result") result = parsed.result as Record<string, unknown>;
        else problem = `refused it: ${String(parsed.code)} ${String(parsed.message)}`;
        done();
      }
    },
    onClose: (info) => {
      if (settled) return;
      problem ??= `closed the socket with ${info.code}${info.reason ? ` "${info.reason}"` : ""} before answering`;
      done();
    },
  });
  const timer = setTimeout(() => {
    problem ??= `gave no result within ${timeoutMs} ms`;
    done();
  }, timeoutMs);
  await finished;
  clearTimeout(timer);
  await sim.close();
  const what = "a one-step run of the conformance agent `scripted`";
  if (problem) return { ok: false, failure: `the engine ${problem} (${what})` };
  if (result?.status !== "completed") {
    const got = JSON.stringify(result).slice(0, 200);
    return { ok: false, failure: `the engine did not complete ${what}: it resolved ${got}` };
  }
  // An engine that sends no agent_started still gets its clauses judged: its result is the
  // nearest measure of how long "at once" takes.
  return { ok: true, startMs: startMs ?? performance.now() - sentAt };
}
