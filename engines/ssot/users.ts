/**
 * Per-user state and the registry that holds it. A record exists only while its user has
 * something (a run, a queued run, a connection or a buffered event) and is dropped the moment
 * it is empty, so memory stays flat however many users come and go (cleanup.user, cleanup.stats).
 */
import type { Connection } from "../../harness/contract/index.ts";
import type { Run } from "./run.ts";

export class UserState {
  /** Attached connections by id. Routing uses only this map, never ids parsed out of strings. */
  readonly connections = new Map<string, Connection>();
  /** Encoded events emitted while no connection was attached, oldest first (delivery.resume). */
  buffer: string[] = [];
  /** Runs waiting for a slot, in execute order (concurrency.per-user-limit). */
  readonly queue: Run[] = [];
  /** Runs between agent_started and their terminal. */
  readonly active = new Set<Run>();
  /** Set by closeUser and shutdown: the record is no longer registered and buffers nothing. */
  closed = false;

  constructor(readonly id: string) {}

  get idle(): boolean {
    return (
      this.connections.size === 0 &&
      this.buffer.length === 0 &&
      this.queue.length === 0 &&
      this.active.size === 0
    );
  }
}

export class Users {
  private readonly byId = new Map<string, UserState>();

  get(id: string): UserState | undefined {
    return this.byId.get(id);
  }

  obtain(id: string): UserState {
    let user = this.byId.get(id);
    if (!user) {
      user = new UserState(id);
      this.byId.set(id, user);
    }
    return user;
  }

  /** Forget `user` if it holds nothing and is still the registered record for its id. */
  release(user: UserState): void {
    if (user.idle && this.byId.get(user.id) === user) this.byId.delete(user.id);
  }

  /** Unregister `user` whatever it holds; new work for the same id starts a fresh record. */
  remove(user: UserState): void {
    if (this.byId.get(user.id) === user) this.byId.delete(user.id);
  }

  values(): UserState[] {
    return [...this.byId.values()];
  }
}
