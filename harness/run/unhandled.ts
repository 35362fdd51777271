/**
 * Catches what an engine lets escape (errors.contained) while a scenario runs: unhandled
 * rejections and uncaught exceptions are recorded instead of crashing the harness. Listeners
 * are prepended so the harness sees them before any test runner does.
 */

export type EscapeSink = (error: unknown, source: string) => void;

export function captureEscapes(sink: EscapeSink): () => void {
  const onRejection = (reason: unknown) => sink(reason, "unhandled rejection");
  const onException = (error: unknown) => sink(error, "uncaught exception");
  process.prependListener("unhandledRejection", onRejection);
  process.prependListener("uncaughtException", onException);
  return () => {
    process.off("unhandledRejection", onRejection);
    process.off("uncaughtException", onException);
  };
}
