/**
 * The wire protocol of CONTRACT.md as code: the frames a client may send (validated with zod),
 * the frames the server answers with, the error codes of error frames and the close codes.
 * Frames are JSON text. A client authenticates first; every other frame before that ends the
 * socket with 4401.
 *
 * Refinements of CONTRACT.md's sketch (names may be refined, roles may not):
 * - `welcome` also carries the socket's `connectionId`, so a client can name it in a request.
 * - `execute` may carry the rest of a context: `userId` (must be the socket's own: anything
 *   else is impersonation and refused), `connectionId` (defaults to the socket's own) and
 *   `metadata` (a plain JSON object, default `{}`).
 * - `cancel` is answered by `{"type":"cancel","runId","cancelled"}`, the engine's boolean; it
 *   may carry `userId`, which must be the socket's own.
 * - `stats` is answered with the socket's own user's numbers only: the engine's whole stats
 *   would name every other user.
 */
import { z } from "zod";
import { ERROR_CODES } from "../contract/index.ts";

export const CLOSE = {
  /** Normal: the user's session was closed (closeUser). */
  sessionClosed: 1000,
  /** The engine shut down, or the gateway is stopping. */
  goingAway: 1001,
  /** A text frame that is not UTF-8 (ws closes with it by itself). */
  invalidPayload: 1007,
  /** A frame over the size limit (ws closes with it by itself). */
  tooBig: 1009,
  /** The engine refused the connection (its attach threw). */
  internalError: 1011,
  /** The client stopped reading and its send buffer passed the bound. */
  tryAgainLater: 1013,
  /** Not authenticated: no auth first, a bad token, or no auth in time. */
  unauthenticated: 4401,
} as const;

/** `code` of an error frame. Refusals of a request use the contract's codes. */
export const FRAME_ERRORS = {
  ...ERROR_CODES,
  /** Not a JSON object, binary, or an unknown `type`. */
  badFrame: "BAD_FRAME",
  /** The engine threw or rejected instead of answering. */
  engineError: "ENGINE_ERROR",
} as const;
export type FrameErrorCode = (typeof FRAME_ERRORS)[keyof typeof FRAME_ERRORS];

/** Frames up to this many bytes are read; a longer one closes the socket with 1009. */
export const MAX_FRAME_BYTES = 1024 * 1024;

const id = z.string();
const metadata = z.record(z.string(), z.unknown());

export const AuthFrame = z.object({ type: z.literal("auth"), token: z.string() });
export const ExecuteFrame = z.object({
  type: z.literal("execute"),
  requestId: id,
  threadId: id,
  runId: id,
  agentName: z.string(),
  input: z.unknown().refine((value) => value !== undefined, "input is required"),
  userId: id.optional(),
  connectionId: id.optional(),
  metadata: metadata.optional(),
});
export const CancelFrame = z.object({
  type: z.literal("cancel"),
  runId: id,
  userId: id.optional(),
});
export const StatsFrame = z.object({ type: z.literal("stats") });

export type AuthFrame = z.infer<typeof AuthFrame>;
export type ExecuteFrame = z.infer<typeof ExecuteFrame>;
export type CancelFrame = z.infer<typeof CancelFrame>;
export type StatsFrame = z.infer<typeof StatsFrame>;
export type ClientFrame = AuthFrame | ExecuteFrame | CancelFrame | StatsFrame;

const SCHEMAS = { auth: AuthFrame, execute: ExecuteFrame, cancel: CancelFrame, stats: StatsFrame };

/** Fields of an execute frame that belong to the context: a problem there is INVALID_CONTEXT. */
const CONTEXT_FIELDS = new Set([
  "requestId",
  "threadId",
  "runId",
  "userId",
  "connectionId",
  "metadata",
]);

export type Parsed =
  | { ok: true; frame: ClientFrame }
  | { ok: false; code: FrameErrorCode; message: string; requestId?: string };

/** Reads one text frame: JSON, an object, a known type, the fields that type needs. */
export function parseClientFrame(text: string): Parsed {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return { ok: false, code: FRAME_ERRORS.badFrame, message: "the frame is not JSON" };
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    return { ok: false, code: FRAME_ERRORS.badFrame, message: "a frame must be a JSON object" };
  }
  const record = data as Record<string, unknown>;
  const requestId = typeof record.requestId === "string" ? { requestId: record.requestId } : {};
  const type = record.type;
  if (typeof type !== "string" || !Object.hasOwn(SCHEMAS, type)) {
    return {
      ok: false,
      code: FRAME_ERRORS.badFrame,
      message: `unknown frame type (expected one of ${Object.keys(SCHEMAS).join(", ")})`,
      ...requestId,
    };
  }
  const result = SCHEMAS[type as keyof typeof SCHEMAS].safeParse(data);
  if (result.success) return { ok: true, frame: result.data as ClientFrame };
  const issue = result.error.issues[0];
  const field = String(issue?.path[0] ?? "");
  const code =
    type === "execute" && !CONTEXT_FIELDS.has(field)
      ? FRAME_ERRORS.badRequest
      : type === "execute" || type === "cancel"
        ? FRAME_ERRORS.invalidContext
        : FRAME_ERRORS.badFrame;
  return {
    ok: false,
    code,
    message: `${type} frame: ${field ? `field "${field}" ` : ""}${issue?.message ?? "is invalid"}`,
    ...requestId,
  };
}

/** What the server sends besides events. Anything else on the wire is an event of the engine. */
export const SERVER_FRAME_TYPES = ["welcome", "result", "error", "stats", "cancel"] as const;
export type ServerFrameType = (typeof SERVER_FRAME_TYPES)[number];

export function serverFrameType(frame: unknown): ServerFrameType | undefined {
  if (typeof frame !== "object" || frame === null) return undefined;
  const type = (frame as { type?: unknown }).type;
  return (SERVER_FRAME_TYPES as readonly unknown[]).includes(type)
    ? (type as ServerFrameType)
    : undefined;
}

/** The protocol's capabilities, announced in `welcome`. */
export const CAPABILITIES = ["execute", "cancel", "stats", "resume"] as const;
