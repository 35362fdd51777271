/**
 * First contact with a remote engine: connect, authenticate one user, read the `welcome` frame
 * and its limits. Everything has a deadline, and every way a server can fail (refuse the
 * connection, not speak WebSocket, close, answer garbage, say nothing) ends in one sentence
 * that says which, so `checkRemote` reports a failure instead of hanging.
 */
import { WebSocket } from "ws";
import { z } from "zod";
import type { Limits } from "../../contract/index.ts";
import { mintToken } from "../../transport/token.ts";

export interface Welcome {
  userId: string;
  connectionId?: string;
  limits: Limits;
  capabilities: string[];
}

export type Hello = { ok: true; welcome: Welcome } | { ok: false; failure: string };

const positive = z.number().int().positive();
const nonNegative = z.number().int().nonnegative();
const WelcomeFrame = z.object({
  type: z.literal("welcome"),
  userId: z.string(),
  connectionId: z.string().optional(),
  limits: z.object({
    perUserConcurrency: positive,
    globalConcurrency: positive,
    maxQueuedPerUser: nonNegative,
    runTimeoutMs: positive,
    bufferPerUser: nonNegative,
    maxInputBytes: positive,
    maxEventBytes: positive,
  }),
  capabilities: z.array(z.string()).optional(),
});

/** Checks the URL before anything is opened: a typo is a usage error, not an engine failure. */
export function wsUrlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `"${url}" is not a URL (expected ws://host:port)`;
  }
  if (parsed.protocol !== "ws:" && parsed.protocol !== "wss:") {
    return `"${url}" is not a WebSocket URL (expected ws://host:port or wss://host:port)`;
  }
  return undefined;
}

/** Opens one socket as `userId`, waits for `welcome`, closes it. */
export function hello(
  url: string,
  secret: string,
  userId: string,
  timeoutMs: number,
): Promise<Hello> {
  const problem = wsUrlProblem(url);
  if (problem) return Promise.resolve({ ok: false, failure: problem });
  return new Promise<Hello>((resolve) => {
    let stage: "connecting" | "authenticating" | "done" = "connecting";
    const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: timeoutMs });
    const finish = (result: Hello) => {
      if (stage === "done") return;
      stage = "done";
      clearTimeout(timer);
      if (ws.readyState === WebSocket.OPEN) ws.close(1000, "checked");
      else ws.terminate();
      resolve(result);
    };
    const timer = setTimeout(() => {
      finish({
        ok: false,
        failure:
          stage === "connecting"
            ? `${url} did not complete a WebSocket handshake within ${timeoutMs} ms`
            : `${url} sent no welcome within ${timeoutMs} ms of the auth frame (the server stopped answering)`,
      });
    }, timeoutMs);
    ws.on("open", () => {
      stage = "authenticating";
      ws.send(JSON.stringify({ type: "auth", token: mintToken(secret, userId) }));
    });
    ws.on("error", (error: NodeJS.ErrnoException) => {
      const code = error.code ? ` (${error.code})` : "";
      const what =
        stage === "connecting"
          ? error.code === "ECONNREFUSED"
            ? "refused the connection"
            : `could not be reached as a WebSocket server: ${error.message}`
          : `broke the WebSocket protocol: ${error.message}`;
      finish({ ok: false, failure: `${url} ${what}${code}` });
    });
    ws.on("close", (code, reason) => {
      const text = reason.toString();
      const hint =
        code === 4401 ? ": the engine refused the token (is the secret the engine's?)" : "";
      finish({
        ok: false,
        failure: `${url} closed the socket with ${code}${text ? ` "${text}"` : ""} before sending welcome${hint}`,
      });
    });
    ws.on("message", (data, isBinary) => {
      const text = isBinary ? "<binary frame>" : data.toString();
      let frame: unknown;
      try {
        frame = isBinary ? undefined : JSON.parse(text);
      } catch {
        frame = undefined;
      }
      const parsed = WelcomeFrame.safeParse(frame);
      if (parsed.success) {
        const { userId: who, connectionId, limits, capabilities } = parsed.data;
        if (who !== userId) {
          finish({
            ok: false,
            failure: `${url} welcomed user "${who}" to a socket that authenticated as "${userId}"`,
          });
          return;
        }
        finish({
          ok: true,
          welcome: {
            userId: who,
            ...(connectionId !== undefined ? { connectionId } : {}),
            limits,
            capabilities: capabilities ?? [],
          },
        });
        return;
      }
      const isWelcome = (frame as { type?: unknown } | undefined)?.type === "welcome";
      const issue = parsed.error.issues[0];
      finish({
        ok: false,
        failure: isWelcome
          ? `${url} sent a welcome frame the protocol does not allow: ${issue?.path.join(".") || "frame"}: ${issue?.message}`
          : `${url} answered the auth frame with ${describe(text)} instead of a welcome frame`,
      });
    });
  });
}

function describe(text: string): string {
  const shown = text.length > 80 ? `${text.slice(0, 80)}…` : text;
  try {
    JSON.parse(text);
    return `the frame ${shown}`;
  } catch {
    return `text that is not JSON (${JSON.stringify(shown)})`;
  }
}
