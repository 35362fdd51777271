/**
 * Delivery: connections, fan-out and the resume buffer. An event of user U is routed when it
 * is emitted, through U's record only: to every connection of U attached then, or, when U has
 * none, into U's buffer (the newest `bufferLimit`), replayed with `replayed: true` on U's next
 * attach. Sends go through one outbox drained by a single loop, so a send() that calls back
 * into the engine (which may emit) can never reorder or duplicate what a connection receives.
 */
import { type AgentEvent, BadRequestError, type Connection } from "../../harness/contract/index.ts";
import type { UserState, Users } from "./users.ts";

interface Send {
  readonly user: UserState;
  readonly targets: ReadonlyArray<readonly [string, Connection]>;
  readonly text: string;
  readonly replayed: boolean;
}
/** A delivery, or a step that must happen after the deliveries queued before it. */
type Item = Send | (() => void);

export class Delivery {
  private readonly outbox: Item[] = [];
  private flushing = false;
  /** connectionId → the record of the user the connection authenticated as. */
  private readonly byConnection = new Map<string, UserState>();

  constructor(
    private readonly users: Users,
    private readonly bufferLimit: number,
  ) {}

  attach(connection: Connection): void {
    // Read once: routing must not depend on what a getter answers later.
    const { id, userId } = connection;
    if (typeof id !== "string" || id === "" || typeof userId !== "string" || userId === "") {
      throw new BadRequestError("a connection needs a non-empty string id and userId");
    }
    if (typeof connection.send !== "function")
      throw new BadRequestError("a connection needs send()");
    this.detach(id);
    const user = this.users.obtain(userId);
    user.connections.set(id, connection);
    this.byConnection.set(id, user);
    if (user.buffer.length > 0) {
      const buffered = user.buffer;
      user.buffer = [];
      const targets = [[id, connection] as const];
      for (const text of buffered) this.outbox.push({ user, targets, text, replayed: true });
    }
    this.flush();
  }

  detach(connectionId: string): void {
    const user = this.byConnection.get(connectionId);
    if (!user) return;
    this.byConnection.delete(connectionId);
    user.connections.delete(connectionId);
    this.users.release(user);
  }

  /** The user a connection is attached as (ctx.owner), or undefined when it is not attached. */
  ownerOf(connectionId: string): string | undefined {
    return this.byConnection.get(connectionId)?.id;
  }

  /** Route one encoded event of `user` (see the header). */
  publish(user: UserState, text: string): void {
    if (user.connections.size > 0) {
      this.outbox.push({ user, targets: [...user.connections], text, replayed: false });
      this.flush();
    } else if (!user.closed && this.bufferLimit > 0) {
      user.buffer.push(text);
      if (user.buffer.length > this.bufferLimit) user.buffer.shift();
    }
  }

  /**
   * Let go of a closed user's buffer and connections. The connections are dropped after the
   * events already queued for them (such as the cancellations closeUser just emitted) went out.
   */
  close(user: UserState): void {
    user.closed = true;
    user.buffer = [];
    this.outbox.push(() => {
      for (const id of user.connections.keys()) {
        if (this.byConnection.get(id) === user) this.byConnection.delete(id);
      }
      user.connections.clear();
    });
    this.flush();
  }

  private flush(): void {
    if (this.flushing) return; // a send() called back into the engine: the outer loop goes on
    this.flushing = true;
    try {
      // The outbox may grow while it is drained; index rather than iterate.
      for (let i = 0; i < this.outbox.length; i++) {
        const item = this.outbox[i];
        try {
          if (typeof item === "function") item();
          else if (item) this.send(item);
        } catch {
          // Our own step failed; the next item must still go out (errors.contained).
        }
      }
    } finally {
      this.outbox.length = 0;
      this.flushing = false;
    }
  }

  private send(item: Send): void {
    for (const [id, connection] of item.targets) {
      // Skip a connection detached (or replaced) since the event was emitted.
      if (item.user.connections.get(id) !== connection) continue;
      const event = JSON.parse(item.text) as AgentEvent;
      if (item.replayed) event.replayed = true;
      try {
        connection.send(event);
      } catch {
        // A connection whose send throws is dead: detach it; the run and other users go on.
        item.user.connections.delete(id);
        if (this.byConnection.get(id) === item.user) this.byConnection.delete(id);
        this.users.release(item.user);
      }
    }
  }
}
