/**
 * What a remote run reports beside its history: what the frames showed that a history has no
 * place for (each user's stats answers, results lost with their socket, closes by the engine,
 * operations no frame could carry), for the wire checks and the judge to read.
 */
import type { JsonValue } from "../../contract/index.ts";

export interface StatsObservation {
  user: string;
  socket: string;
  /** History length when the frame was sent: the requests the engine had before it. */
  askedIndex: number;
  /** History length when the answer arrived: what the client had seen by then. */
  index: number;
  stats: JsonValue;
  /** Asked by the harness after the scenario, when every run should be over. */
  final: boolean;
}

export interface RemoteFacts {
  stats: StatsObservation[];
  /** Executes whose socket closed before their result could arrive. */
  lostResults: Set<number>;
  /** Of those, the ones no socket of the user ever saw end: how they ended is unknown. */
  unresolved: Set<number>;
  /** Operations of users with no open socket: no frame could carry them, so they were left out. */
  dropped: string[];
  /** Requests on sockets still open that had no answer when the deadline passed. */
  unanswered: { callId: number; what: string }[];
  /** Sockets of the scenario the engine closed without being asked to. */
  engineCloses: string[];
  /** Real milliseconds from the first operation to the last frame recorded. */
  elapsedMs: number;
}
