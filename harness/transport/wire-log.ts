/**
 * The wire view of a history (History.wire): for every socket the harness opened, what it sent
 * and, in order, what it actually received and when, and how it closed. Probes, the frames a
 * hostile or broken client sends on purpose, are part of a wire scenario and say what is wrong
 * with them, so the security checker knows the answer each must get.
 */
import type { JsonValue } from "../contract/index.ts";
import type { Scenario } from "../run/scenario.ts";

/** What is wrong with a probe frame. */
export type ProbeKind =
  /** Any frame on a socket that has not authenticated. */
  | "before-auth"
  /** An auth frame with a token that is not the user's. */
  | "bad-token"
  | "invalid-json"
  | "not-object"
  | "unknown-type"
  | "missing-field"
  | "wrong-type"
  | "binary"
  | "oversize"
  | "invalid-utf8"
  /** A second auth on an authenticated socket. */
  | "repeat-auth"
  /** A well-formed request naming another user than the socket's. */
  | "impersonation";

/** Kinds that security.frames owns (the others belong to security.auth and .impersonation). */
export const MALFORMED_KINDS: readonly ProbeKind[] = [
  "invalid-json",
  "not-object",
  "unknown-type",
  "missing-field",
  "wrong-type",
  "binary",
  "oversize",
  "invalid-utf8",
  "repeat-auth",
];

export type ProbeFrame =
  | { json: JsonValue }
  | { text: string }
  /** A binary frame of this many bytes. */
  | { binary: number }
  /** A text frame of this many bytes (past the frame limit, presumably). */
  | { oversize: number }
  | { invalidUtf8: true };

/** A token that is wrong in some way, for a probe socket (a good one is a scenario attach). */
export interface ProbeToken {
  user: string;
  forge: "other-secret" | "tampered" | "garbage" | "empty";
}

export type Probe =
  /** Opens a socket outside the scenario's connections: silent, or authenticating with a bad token. */
  | { probe: "connect"; socket: string; token?: ProbeToken }
  /** Sends a probe frame on a scenario connection or a probe socket. */
  | { probe: "send"; socket: string; frame: ProbeFrame; kind: ProbeKind }
  /** Cuts the socket's TCP connection in the middle of a frame. */
  | { probe: "drop"; socket: string };

export type TimedProbe = Probe & { at: number };

/** A scenario with probes: run over the wire only. */
export interface WireScenario extends Scenario {
  probes?: TimedProbe[];
}

export interface WireSent {
  /** Position among this socket's outgoing frames, from 0 (auth included). */
  no: number;
  /** Virtual milliseconds. */
  at: number;
  kind: "auth" | "execute" | "cancel" | "stats" | "probe";
  probe?: ProbeKind;
  /** The frame's text (cut), or what it was for binary and oversize frames. */
  text?: string;
  /** The `type` a probe frame says it is, if it is an object with a string type. */
  type?: string;
  /** The runId a probe frame names, if any. */
  runId?: string;
  /** The user a probe frame claims to act for, if any. */
  claims?: string;
}

export interface WireReceived {
  no: number;
  /** "event", a server frame type (welcome, result, error, stats, cancel) or "binary". */
  type: string;
  /** How many frames this socket had sent when it arrived. */
  afterSent: number;
  /** The socket's own frame (its `no` in `sent`) this one answers, for server frames. */
  answers?: number;
  /** The history entry it filled (deliveries, execute and cancel results). */
  entry?: number;
  /** The frame, for server frames other than results (welcome, error, stats, cancel). */
  frame?: JsonValue;
  /** Real milliseconds since the run started. */
  realMs: number;
  /** Real milliseconds from the gateway's write to arrival. */
  latencyMs?: number;
}

export interface WireClose {
  code: number;
  reason: string;
  by: "client" | "gateway";
  /** Virtual milliseconds. */
  at: number;
  realMs: number;
}

export interface WireSocket {
  /** The scenario's connection id, or the probe socket's name. */
  name: string;
  /** The user whose token it sent, if any. */
  user?: string;
  /** The gateway's id for it (the engine's connection id). */
  gatewayId?: string;
  /** Received `welcome`. */
  authenticated: boolean;
  sent: WireSent[];
  received: WireReceived[];
  close?: WireClose;
  /** Still open when the run ended: the harness cut it. */
  cutAtEnd?: true;
}

export interface WireLog {
  url: string;
  sockets: WireSocket[];
  /** Operations no socket could carry, issued by the harness directly (history call indexes). */
  direct: { entry: number; why: string }[];
  /** Events the engine sent that no socket received (cut sockets, frames JSON cannot carry). */
  lost: { connectionId: string; why: string }[];
}
