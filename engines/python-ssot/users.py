"""
Per-user state and the registry that holds it. A record exists only while its user has
something (a run, a queued run, a connection or a buffered event) and is dropped the moment it
is empty, so memory stays flat however many users come and go (cleanup.user, cleanup.stats).
"""
from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Optional, Protocol

if TYPE_CHECKING:
    from run import Run


class Connection(Protocol):
    """One WebSocket of a user, as the engine sees it (session.py implements it)."""

    id: str
    user_id: str

    def send(self, text: str, nbytes: int) -> None:
        """Queue one frame; raise when the connection can take no more (it is then detached)."""


class UserState:
    def __init__(self, user_id: str) -> None:
        self.id = user_id
        # Attached connections by id. Routing uses only this map.
        self.connections: dict[str, Connection] = {}
        # Encoded events (text, bytes) emitted while no connection was attached, oldest first.
        self.buffer: deque[tuple[str, int]] = deque()
        # Runs waiting for a slot, in execute order (concurrency.per-user-limit).
        self.queue: list["Run"] = []
        # Runs between agent_started and their terminal (insertion-ordered set).
        self.active: dict["Run", None] = {}
        # Set by closeUser and shutdown: no longer registered, buffers nothing.
        self.closed = False

    @property
    def idle(self) -> bool:
        return not (self.connections or self.buffer or self.queue or self.active)


class Users:
    def __init__(self) -> None:
        self._by_id: dict[str, UserState] = {}

    def get(self, user_id: str) -> Optional[UserState]:
        return self._by_id.get(user_id)

    def obtain(self, user_id: str) -> UserState:
        user = self._by_id.get(user_id)
        if user is None:
            user = UserState(user_id)
            self._by_id[user_id] = user
        return user

    def release(self, user: UserState) -> None:
        """Forget `user` if it holds nothing and is still the registered record for its id."""
        if user.idle and self._by_id.get(user.id) is user:
            del self._by_id[user.id]

    def remove(self, user: UserState) -> None:
        """Unregister `user` whatever it holds; new work for the same id starts a fresh record."""
        if self._by_id.get(user.id) is user:
            del self._by_id[user.id]

    def values(self) -> list[UserState]:
        return list(self._by_id.values())
