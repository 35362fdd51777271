"""
Slots. Each user has a FIFO of waiting runs and at most `per_user` active runs; all users share
`global_` slots. A run starts at once when its user is under the limit, has nobody queued ahead
and a global slot is free; otherwise it waits, and free slots go round-robin over the users with
waiting runs (concurrency.fairness). The scheduler only counts: the engine starts what next()
hands it and calls release() on every end path (concurrency.permit-release).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from users import UserState

if TYPE_CHECKING:
    from run import Run


class Scheduler:
    def __init__(self, per_user: int, global_: int) -> None:
        self.per_user = per_user
        self.global_ = global_
        self.running = 0
        # Users with waiting runs in round-robin order (a dict as an ordered set): a user served
        # moves to the back, a user skipped because it is at its own limit keeps its place.
        self._waiting: dict[UserState, None] = {}

    def must_wait(self, user: Optional[UserState]) -> bool:
        """Whether a new run of `user` (None: a user with no state yet) would have to wait."""
        if self.running >= self.global_:
            return True
        return user is not None and (len(user.queue) > 0 or len(user.active) >= self.per_user)

    def enqueue(self, run: "Run") -> None:
        run.user.queue.append(run)
        self._waiting.setdefault(run.user, None)

    def unqueue(self, run: "Run") -> bool:
        """Take a queued run out of its user's queue; False when it was not queued."""
        queue = run.user.queue
        try:
            queue.remove(run)
        except ValueError:
            return False
        if not queue:
            self._waiting.pop(run.user, None)
        return True

    def next(self) -> Optional["Run"]:
        """The next run to start, already counted as active, or None when none may start now."""
        if self.running >= self.global_:
            return None
        for user in list(self._waiting):
            if len(user.active) >= self.per_user:
                continue
            del self._waiting[user]
            if not user.queue:
                continue
            run = user.queue.pop(0)
            if user.queue:
                self._waiting[user] = None  # to the back of the round
            user.active[run] = None
            self.running += 1
            return run
        return None

    def release(self, run: "Run") -> None:
        """Give back the slot of an active run (idempotent)."""
        if run in run.user.active:
            del run.user.active[run]
            self.running -= 1
