// legacy-shared: the legacy models' common, correct plumbing, not part of any model's defects.
// This file: adding up stats() per user. What a model counts, and for whom, stays in the model.
// It imports only the contract; a model's defect never goes here (see /work/shared/LEGACY.md).
import type { EngineStats, UserStats } from "../../harness/contract/index.ts";

/** Per-user counts, made on first use, and their totals. Any string is a safe user id here. */
export class StatsTally {
  readonly #perUser: Record<string, UserStats> = {};

  /** The counts of `userId` (all zero at first); naming a user lists it in `users`. */
  user(userId: string): UserStats {
    if (!Object.hasOwn(this.#perUser, userId)) {
      Object.defineProperty(this.#perUser, userId, {
        value: { activeRuns: 0, queuedRuns: 0, bufferedEvents: 0 },
        enumerable: true,
        writable: true,
      });
    }
    return this.#perUser[userId] as UserStats;
  }

  /** The per-user counts and their sums. */
  stats(): EngineStats {
    const perUser = this.#perUser;
    const all = Object.values(perUser);
    return {
      activeRuns: all.reduce((n, u) => n + u.activeRuns, 0),
      queuedRuns: all.reduce((n, u) => n + u.queuedRuns, 0),
      bufferedEvents: all.reduce((n, u) => n + u.bufferedEvents, 0),
      users: Object.keys(perUser),
      perUser,
    };
  }
}
