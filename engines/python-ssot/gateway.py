"""
The listening side: accepts sockets, gives each a Session with a fresh connection id, and on
shutdown ends the engine first (every run settles, its cancellation goes out), then closes every
socket with 1001. It owns the one Engine instance; nothing else is shared between sockets.
"""
from __future__ import annotations

import asyncio

from websockets.legacy.server import WebSocketServerProtocol

from engine import Engine
from limits import GatewayBounds
from protocol import CLOSE_GOING_AWAY
from session import Session

SHUTDOWN_REASON = "the engine shut down"


class Gateway:
    def __init__(self, engine: Engine, secret: str, bounds: GatewayBounds) -> None:
        self.engine = engine
        self._secret = secret
        self._bounds = bounds
        self._sessions: set[Session] = set()
        self._next_id = 1
        self._stopping = False

    async def handle(self, ws: WebSocketServerProtocol) -> None:
        """websockets' connection handler: one Session for the socket's whole life."""
        if self._stopping:
            await ws.close(CLOSE_GOING_AWAY, SHUTDOWN_REASON)
            return
        session = Session(ws, f"ws-{self._next_id}", self.engine, self._secret, self._bounds)
        self._next_id += 1
        self._sessions.add(session)
        try:
            await session.serve()
        finally:
            self._sessions.discard(session)

    async def shutdown(self, grace_s: float = 1.0) -> None:
        """Stop the engine, flush what it said last, close every socket (1001)."""
        self._stopping = True
        self.engine.shutdown()
        sessions = list(self._sessions)
        await asyncio.gather(
            *(session.finish(CLOSE_GOING_AWAY, SHUTDOWN_REASON, grace_s) for session in sessions),
            return_exceptions=True,
        )
        self.engine.cancel_tasks()
