/**
 * What the engine still holds that it must have let go (cleanup.run, cleanup.user): objects the
 * harness handed over, followed by weak reference, checked after forced garbage collection.
 */
import { collectGarbage } from "./gc.ts";
import type { RetainedObject, RetentionReport } from "./history.ts";
import type { TrackedObject } from "./recorder.ts";

export async function checkRetention(
  tracked: readonly TrackedObject[],
  isRunSettled: (runId: string) => boolean,
  closedUsers: ReadonlyMap<string, number>,
): Promise<RetentionReport> {
  if (!(await collectGarbage())) {
    return {
      checked: false,
      reason: "garbage collection cannot be forced in this process",
      retained: [],
    };
  }
  const retained: RetainedObject[] = [];
  for (const object of tracked) {
    if (object.ref.deref() === undefined) continue;
    const base = { kind: object.kind, userId: object.userId };
    const run = object.runId !== undefined ? { runId: object.runId } : {};
    // One object can break both clauses: its run ended, and later its user was closed.
    if (object.kind !== "connection" && object.runId !== undefined && isRunSettled(object.runId)) {
      retained.push({ ...base, ...run, after: "run-end" });
    }
    if (object.since <= (closedUsers.get(object.userId) ?? -1)) {
      retained.push({ ...base, ...run, after: "close-user" });
    }
  }
  return { checked: true, retained };
}
