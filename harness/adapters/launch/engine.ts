/**
 * What a launcher hands back: an engine running outside this process, reachable over the wire
 * protocol, that the launcher will stop. The remote checker needs only `url` and `secret`.
 */

export interface LaunchedEngine {
  /** `ws://host:port` where the engine accepts WebSocket connections. */
  readonly url: string;
  /** The secret its tokens are signed with (handed to it as CROSSTALK_SECRET). */
  readonly secret: string;
  /** How the user named it: the command or the image, for reports. */
  readonly name: string;
  /**
   * Stops it and everything it started; resolves once nothing of it is left. Idempotent: later
   * calls return the first call's outcome.
   */
  stop(): Promise<StopOutcome>;
}

export interface StopOutcome {
  /**
   * Set when the engine had already ended on its own before it was asked to stop (a crash while
   * it was being checked): the exit code or signal and the tail of what it wrote.
   */
  unexpectedExit?: string;
}

/** The engine could not be started: the message names the cause and carries its output's tail. */
export class LaunchError extends Error {
  override name = "LaunchError";
}
