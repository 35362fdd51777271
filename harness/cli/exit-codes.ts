/** What the crosstalk command's exit code means. */
export const EXIT = {
  /** Every engine behaved as the baseline expects. */
  ok: 0,
  /** An unexpected break, or a stale baseline entry. */
  unexpected: 1,
  /** Bad usage: an unknown flag, a missing argument, an unreadable file. */
  usage: 2,
  /** An engine could not be loaded or started. */
  engine: 3,
} as const;

/** An error whose message is for the user, with the exit code it implies. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}
