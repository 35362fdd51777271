/**
 * Figures of an engine reached at a URL, driven over the wire protocol (harness/transport/
 * PROTOCOL.md) by clients that see nothing but frames: the same workload as everywhere else (N
 * users, one socket each, RUNS_PER_USER runs each of LOAD_STEPS, all at once).
 *
 * Such an engine keeps its own, real clock: a tool's 20 ms latency takes 20 real ms, so runs per
 * second here are bounded by the scripts' latencies and compare only with the reference served
 * the same way (serveLive, real clock) in the same run; that is the ratio reported.
 * - runs per second: runs / (first execute written → last terminal event received);
 * - emit-to-receive latency: each event's arrival less its `ts`, less the least such difference
 *   in the iteration. The engine's clock has an origin of its own, so the least delayed frame is
 *   taken as undelayed: a lower bound, short by that frame's delay, the same rule for every engine;
 * - a session: a socket opened, authenticated, welcomed and closed.
 */
import { isTerminalType } from "../../contract/index.ts";
import { type ReceivedFrame, SimSocket } from "../../transport/client.ts";
import { LOAD_STEPS } from "../../transport/load.ts";
import { mintToken } from "../../transport/token.ts";
import { type Budget, measure, type Stats, summarise } from "./stats.ts";
import { RUNS_PER_USER } from "./workloads.ts";
import { percentile, type WsFigures } from "./ws.ts";

export interface UrlTarget {
  url: string;
  secret: string;
}

/** Real milliseconds for every socket of an iteration to be welcomed, plus per socket. */
const WELCOME_MS = 5_000;
const WELCOME_MS_PER_SOCKET = 10;
/** Real milliseconds for every run to end: generous, the runs queue on a small engine. */
const RUNS_MS = 30_000;
const RUNS_MS_PER_RUN = 20;

interface Iteration {
  windowMs: number;
  /** Emit-to-receive delays relative to the least delayed event, in ms. */
  latencies: number[];
  frames: number;
}

let iterations = 0;

/** One iteration: open every user's socket, start every run at once, wait for every terminal. */
export async function driveOnce(target: UrlTarget, users: number): Promise<Iteration> {
  const tag = (++iterations).toString(36);
  const runs = users * RUNS_PER_USER;
  const offsets: number[] = [];
  const waiting = new Set<string>();
  const problems: string[] = [];
  let lastTerminal = Number.NaN;
  let allEnded: () => void = () => {};
  const ended = new Promise<void>((resolve) => {
    allEnded = resolve;
  });
  const sockets: SimSocket[] = [];
  const welcomes: Promise<void>[] = [];
  /** Rejects when a socket closes before its welcome: the iteration ends at once, saying why. */
  const refusals: Promise<never>[] = [];
  try {
    for (let u = 1; u <= users; u += 1) {
      const userId = `bench-u${u}`;
      let isWelcomed = false;
      let welcomed: () => void = () => {};
      welcomes.push(
        new Promise<void>((resolve) => {
          welcomed = () => {
            isWelcomed = true;
            resolve();
          };
        }),
      );
      const onFrame = (frame: ReceivedFrame) => {
        const body = parse(frame.text);
        if (body?.type === "welcome") return welcomed();
        if (body?.type === "error")
          problems.push(`${userId}: ${String(body.message ?? body.code)}`);
        if (typeof body?.runId !== "string" || typeof body.seq !== "number") return;
        if (typeof body.ts === "number") offsets.push(frame.at - body.ts);
        if (isTerminalType(String(body.type)) && waiting.delete(body.runId)) {
          lastTerminal = frame.at;
          if (waiting.size === 0) allEnded();
        }
      };
      const socket = new SimSocket(target.url, {
        name: `${userId}-tab`,
        token: mintToken(target.secret, userId),
        record: false,
        onFrame,
      });
      sockets.push(socket);
      refusals.push(
        new Promise<never>((_, reject) => {
          void socket.closed.then((info) => {
            if (!isWelcomed) {
              reject(
                new Error(
                  `the engine closed ${userId}'s socket before welcome (${info.code} ${info.reason})`,
                ),
              );
            }
          });
        }),
      );
    }
    for (const refusal of refusals) refusal.catch(() => {});
    const welcomeMs = WELCOME_MS + users * WELCOME_MS_PER_SOCKET;
    if (!(await within(Promise.race([Promise.all(welcomes), ...refusals]), welcomeMs))) {
      throw new Error(`not every one of ${users} sockets was welcomed within ${welcomeMs} ms`);
    }
    const started = performance.now();
    for (let r = 1; r <= RUNS_PER_USER; r += 1) {
      sockets.forEach((socket, i) => {
        const runId = `bench-${tag}-u${i + 1}-r${r}`;
        waiting.add(runId);
        socket.send({
          type: "execute",
          requestId: `q-${runId}`,
          threadId: `t-${runId}`,
          runId,
          agentName: "scripted",
          input: { steps: LOAD_STEPS },
        });
      });
    }
    const runsMs = RUNS_MS + runs * RUNS_MS_PER_RUN;
    if (!(await within(ended, runsMs))) {
      const said =
        problems.length > 0 ? `; the engine said: ${problems.slice(0, 3).join("; ")}` : "";
      throw new Error(
        `${waiting.size} of ${runs} runs sent no terminal event within ${runsMs} ms${said}`,
      );
    }
    const least = Math.min(...offsets);
    return {
      windowMs: lastTerminal - started,
      latencies: offsets.map((offset) => offset - least),
      frames: offsets.length,
    };
  } finally {
    await Promise.all(sockets.map((socket) => socket.close()));
  }
}

export async function urlFigures(
  target: UrlTarget,
  users: number,
  budget: Budget,
): Promise<WsFigures> {
  const p50s: number[] = [];
  const p99s: number[] = [];
  let frames = 0;
  const runs = users * RUNS_PER_USER;
  const result = await measure(`${target.url} runs.url.${users}`, budget, async (phase) => {
    const started = performance.now();
    const once = await driveOnce(target, users);
    const costMs = performance.now() - started;
    if (phase === "run") {
      const sorted = once.latencies.sort((a, b) => a - b);
      p50s.push(percentile(sorted, 50));
      p99s.push(percentile(sorted, 99));
      frames += once.frames;
    }
    return { value: once.windowMs / runs, costMs };
  });
  return {
    throughput: result.throughput,
    perRun: result.latency,
    p50: await summarise(`runs.url.${users} p50`, p50s),
    p99: await summarise(`runs.url.${users} p99`, p99s),
    frames,
  };
}

/** A socket opened, authenticated, welcomed and closed; each sample one session's ms. */
export async function sessionOverUrl(target: UrlTarget, budget: Budget): Promise<Stats> {
  let n = 0;
  const result = await measure(`${target.url} session`, budget, async () => {
    const userId = `bench-s${++n}`;
    const started = performance.now();
    let welcomed: () => void = () => {};
    const welcome = new Promise<void>((resolve) => {
      welcomed = resolve;
    });
    const socket = new SimSocket(target.url, {
      name: `${userId}-tab`,
      token: mintToken(target.secret, userId),
      record: false,
      onFrame: (frame) => {
        if (parse(frame.text)?.type === "welcome") welcomed();
      },
    });
    const closed = socket.closed.then((info) => {
      throw new Error(`the engine closed the socket before welcome (${info.code} ${info.reason})`);
    });
    closed.catch(() => {});
    try {
      if (!(await within(Promise.race([welcome, closed]), WELCOME_MS))) {
        throw new Error(`no welcome within ${WELCOME_MS} ms`);
      }
    } finally {
      await socket.close();
    }
    const costMs = performance.now() - started;
    return { value: costMs, costMs };
  });
  return result.latency;
}

function parse(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Whether `promise` settled within `ms` (its rejection is thrown). */
async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
