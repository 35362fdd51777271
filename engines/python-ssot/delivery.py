"""
Delivery: connections, fan-out and the resume buffer. An event of user U is routed when it is
emitted, through U's record only: to every connection of U attached then (delivery.fanout), or,
when U has none, into U's buffer (the newest bufferPerUser), replayed with `replayed: true` on
U's next attach (delivery.resume). A connection's send() only queues text for its socket's
writer, so nothing here waits, and the order of send() calls is the order on the wire
(delivery.order).
"""
from __future__ import annotations

from typing import Optional

from events import Encoded, replayed
from users import Connection, UserState, Users


class Delivery:
    def __init__(self, users: Users, buffer_limit: int) -> None:
        self._users = users
        self._buffer_limit = buffer_limit
        # connectionId → the record of the user the connection authenticated as.
        self._by_connection: dict[str, UserState] = {}

    def attach(self, connection: Connection) -> None:
        """Register a connection; replay what its user missed, to it alone, oldest first."""
        connection_id, user_id = connection.id, connection.user_id
        if not (isinstance(connection_id, str) and connection_id and isinstance(user_id, str) and user_id):
            raise ValueError("a connection needs a non-empty string id and user id")
        self.detach(connection_id)
        user = self._users.obtain(user_id)
        user.connections[connection_id] = connection
        self._by_connection[connection_id] = user
        while user.buffer and user.connections.get(connection_id) is connection:
            text, nbytes = user.buffer.popleft()
            if not self._send(user, connection_id, connection, replayed(text), nbytes + 16):
                user.buffer.appendleft((text, nbytes))  # not delivered: keep it for the next attach
        self._users.release(user)

    def detach(self, connection_id: str) -> None:
        user = self._by_connection.pop(connection_id, None)
        if user is None:
            return
        user.connections.pop(connection_id, None)
        self._users.release(user)

    def owner_of(self, connection_id: str) -> Optional[str]:
        """The user a connection is attached as (ctx.owner), or None when it is not attached."""
        user = self._by_connection.get(connection_id)
        return user.id if user is not None else None

    def publish(self, user: UserState, encoded: Encoded) -> None:
        """Route one encoded event of `user` (see the module docstring)."""
        if user.connections:
            for connection_id, connection in list(user.connections.items()):
                self._send(user, connection_id, connection, encoded.text, encoded.nbytes)
        elif not user.closed and self._buffer_limit > 0:
            user.buffer.append((encoded.text, encoded.nbytes))
            while len(user.buffer) > self._buffer_limit:
                user.buffer.popleft()

    def close(self, user: UserState) -> None:
        """Let go of a closed user's buffer and connections (closeUser, shutdown)."""
        user.closed = True
        user.buffer.clear()
        for connection_id in list(user.connections):
            if self._by_connection.get(connection_id) is user:
                del self._by_connection[connection_id]
        user.connections.clear()

    def _send(
        self, user: UserState, connection_id: str, connection: Connection, text: str, nbytes: int
    ) -> bool:
        try:
            connection.send(text, nbytes)
            return True
        except Exception:
            # A connection that can take no more is dead: detach it; the run and others go on.
            if user.connections.get(connection_id) is connection:
                del user.connections[connection_id]
            if self._by_connection.get(connection_id) is user:
                del self._by_connection[connection_id]
            return False
