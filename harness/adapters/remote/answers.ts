/**
 * Which frame a server frame answers. In process the gateway's tap says so; from outside only
 * the frames themselves can: a `result` names its requestId (and its runId), a `cancel` its
 * runId, an `error` its requestId when the request had one; otherwise answers come in the
 * order the socket sent what they answer (a server handles one socket's frames in order).
 */

/** A frame a socket sent that waits for an answer. */
export interface Awaiting {
  /** Its number among the socket's outgoing frames. */
  no: number;
  kind: "execute" | "cancel" | "stats" | "probe";
  /** The history call it carries (executes and cancels of the scenario). */
  callId?: number;
  requestId?: unknown;
  runId?: unknown;
  /** For probes: the `type` the frame claims. */
  type?: string;
  /** For stats: the history's length when it was asked. */
  askedIndex?: number;
}

type Frame = Record<string, unknown>;

/** Removes and returns what `frame` (a server frame of kind `type`) answers, if anything. */
export function takeAnswered(
  pending: Awaiting[],
  type: string,
  frame: Frame,
): Awaiting | undefined {
  const take = (match: (a: Awaiting) => boolean) => {
    const index = pending.findIndex(match);
    return index < 0 ? undefined : pending.splice(index, 1)[0];
  };
  switch (type) {
    case "result": {
      const runId = (frame.result as Frame | null | undefined)?.runId;
      const request = (a: Awaiting) =>
        (a.kind === "execute" || a.type === "execute") && a.requestId === frame.requestId;
      return take((a) => request(a) && a.runId === runId) ?? take(request);
    }
    case "cancel":
      return (
        take((a) => (a.kind === "cancel" || a.type === "cancel") && a.runId === frame.runId) ??
        take((a) => a.kind === "cancel")
      );
    case "stats":
      return take((a) => a.kind === "stats" || (a.kind === "probe" && a.type === "stats"));
    case "error":
      if (typeof frame.requestId === "string") {
        return take((a) => a.requestId === frame.requestId);
      }
      // Errors are immediate: a malformed frame is answered before what was sent after it.
      return (
        take((a) => a.kind === "probe") ??
        take((a) => a.kind !== "stats" && typeof a.requestId !== "string")
      );
    default:
      return undefined;
  }
}
