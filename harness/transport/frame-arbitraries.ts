/**
 * fast-check arbitraries for what a broken or hostile client sends a gateway: frames that are
 * not JSON, not objects, of unknown types, with missing or mistyped fields, naming another user;
 * binary, oversize and non-UTF-8 frames; sockets cut in the middle of a frame, sockets that never
 * authenticate or bring a bad token. Each comes labelled with what is wrong with it, so the
 * security checker knows the answer it must get.
 */
import fc from "fast-check";
import type { JsonValue } from "../contract/index.ts";
import { MAX_FRAME_BYTES } from "./protocol.ts";
import type { ProbeFrame, ProbeKind, ProbeToken } from "./wire-log.ts";

export interface FrameProbe {
  kind: ProbeKind;
  frame: ProbeFrame;
}

/** A move of one probing client; `closes` moves end their socket and get one of their own. */
export type ClientMove =
  | { move: "frame"; probe: FrameProbe; closes: boolean }
  | { move: "drop" }
  | { move: "silent" }
  | { move: "unauthenticated"; probe: FrameProbe }
  | { move: "bad-token"; forge: ProbeToken["forge"] };

const KNOWN_TYPES = new Set(["auth", "execute", "cancel", "stats"]);
const ID_FIELDS = ["requestId", "threadId", "runId", "agentName"] as const;

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** A well-formed execute frame that the probes spoil; its run must never start. */
export function validExecute(runId: string): Record<string, JsonValue> {
  return {
    type: "execute",
    requestId: `req-${runId}`,
    threadId: `thread-${runId}`,
    runId,
    agentName: "scripted",
    input: { steps: [{ think: "must never run" }] },
  };
}

const runIds = fc.integer({ min: 1, max: 1_000_000 }).map((n) => `run-probe-${n}`);
const notAString = fc.oneof(
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.integer(), { maxKeys: 2 }),
);

const invalidJson: fc.Arbitrary<FrameProbe> = fc
  .oneof(
    fc.string({ maxLength: 40 }),
    // A valid frame cut short, the usual way a frame is broken.
    fc.tuple(runIds, fc.nat()).map(([runId, at]) => {
      const text = JSON.stringify(validExecute(runId));
      return text.slice(0, 1 + (at % (text.length - 1)));
    }),
  )
  .filter((text) => !isJson(text))
  .map((text) => ({ kind: "invalid-json" as const, frame: { text } }));

const notObject: fc.Arbitrary<FrameProbe> = fc
  .oneof(
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.string({ maxLength: 20 }),
    fc.array(fc.integer()),
  )
  .map((json) => ({ kind: "not-object" as const, frame: { json } }));

const unknownType: fc.Arbitrary<FrameProbe> = fc
  .oneof(
    fc.string({ maxLength: 20 }).filter((t) => !KNOWN_TYPES.has(t)),
    notAString,
  )
  .map((type) => ({ kind: "unknown-type" as const, frame: { json: { type } as JsonValue } }));

const missingField: fc.Arbitrary<FrameProbe> = fc
  .tuple(runIds, fc.constantFrom(...ID_FIELDS, "input"))
  .map(([runId, field]) => {
    const frame = validExecute(runId);
    delete frame[field];
    return { kind: "missing-field" as const, frame: { json: frame } };
  });

const wrongType: fc.Arbitrary<FrameProbe> = fc
  .tuple(runIds, fc.constantFrom(...ID_FIELDS, "userId", "connectionId", "metadata"), notAString)
  .filter(([, field, value]) => !(field === "metadata" && isRecord(value)))
  .map(([runId, field, value]) => ({
    kind: "wrong-type" as const,
    frame: { json: { ...validExecute(runId), [field]: value } },
  }));

const impersonation: fc.Arbitrary<FrameProbe> = fc
  .tuple(runIds, fc.constantFrom("u2", "u3", "", "U1"), fc.boolean())
  .map(([runId, other, cancel]) => ({
    kind: "impersonation" as const,
    frame: {
      json: (cancel
        ? { type: "cancel", runId: "run-u2-bystander", userId: other }
        : { ...validExecute(runId), userId: other }) as JsonValue,
    },
  }));

const binary: fc.Arbitrary<FrameProbe> = fc
  .integer({ min: 1, max: 4096 })
  .map((bytes) => ({ kind: "binary" as const, frame: { binary: bytes } }));

const repeatAuth: fc.Arbitrary<FrameProbe> = fc
  .string({ maxLength: 30 })
  .map((token) => ({ kind: "repeat-auth" as const, frame: { json: { type: "auth", token } } }));

/** Frames that leave the socket open: each must be answered with an error frame. */
export const answeredFrame: fc.Arbitrary<FrameProbe> = fc.oneof(
  invalidJson,
  notObject,
  unknownType,
  missingField,
  wrongType,
  binary,
  repeatAuth,
  impersonation,
);

/** Frames after which the server closes the socket (1009, 1007). */
export const closingFrame: fc.Arbitrary<FrameProbe> = fc.oneof(
  fc
    .integer({ min: MAX_FRAME_BYTES + 1, max: MAX_FRAME_BYTES + 64 * 1024 })
    .map((bytes) => ({ kind: "oversize" as const, frame: { oversize: bytes } })),
  fc.constant({ kind: "invalid-utf8" as const, frame: { invalidUtf8: true as const } }),
);

export const clientMove: fc.Arbitrary<ClientMove> = fc.oneof(
  {
    weight: 8,
    arbitrary: answeredFrame.map((probe) => ({ move: "frame" as const, probe, closes: false })),
  },
  {
    weight: 1,
    arbitrary: closingFrame.map((probe) => ({ move: "frame" as const, probe, closes: true })),
  },
  { weight: 1, arbitrary: fc.constant({ move: "drop" as const }) },
  { weight: 1, arbitrary: fc.constant({ move: "silent" as const }) },
  {
    weight: 1,
    arbitrary: fc
      .oneof(
        answeredFrame,
        fc.constant({ kind: "before-auth" as const, frame: { json: validExecute("run-anon") } }),
      )
      .map((probe) => ({ move: "unauthenticated" as const, probe })),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(
        "other-secret" as const,
        "tampered" as const,
        "garbage" as const,
        "empty" as const,
      )
      .map((forge) => ({ move: "bad-token" as const, forge })),
  },
);

function isRecord(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
