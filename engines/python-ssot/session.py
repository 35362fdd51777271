"""
One WebSocket: it authenticates, then turns execute/cancel/stats frames into engine calls and
writes the engine's events and answers back, in the order they were produced. It is the
engine's Connection for that socket; it trusts nothing a frame says about who is asking: the
user is the token's.

Writes go through one outbox drained by one writer task, so the engine never waits on a socket
and the order of send() calls is the order on the wire. A client that stops reading is closed
with 1013 once the bytes waiting for it pass the bound, and the engine is told at once (its
send() raises, so delivery detaches it); the user's other sockets and other users go on.
"""
from __future__ import annotations

import asyncio
from collections import deque
from typing import Any, Optional

from websockets.exceptions import ConnectionClosed
from websockets.legacy.server import WebSocketServerProtocol

from auth import verify_token
from engine import Engine
from jsonvalue import utf8_length
from limits import GatewayBounds
from protocol import (
    BAD_FRAME,
    CLOSE_INTERNAL_ERROR,
    CLOSE_TRY_AGAIN_LATER,
    CLOSE_UNAUTHENTICATED,
    ENGINE_ERROR,
    IMPERSONATION,
    Frame,
    FrameError,
    cancel_frame,
    error_frame,
    parse_client_frame,
    result_frame,
    stats_frame,
    welcome_frame,
)


class SocketGone(Exception):
    """send() on a socket that is closing or whose client stopped reading."""


class Session:
    def __init__(
        self,
        ws: WebSocketServerProtocol,
        connection_id: str,
        engine: Engine,
        secret: str,
        bounds: GatewayBounds,
    ) -> None:
        self.id = connection_id
        self.user_id = ""  # set once authenticated
        self._ws = ws
        self._engine = engine
        self._secret = secret
        self._bounds = bounds
        self._outbox: deque[tuple[str, int]] = deque()
        self._outbox_bytes = 0
        self._wake = asyncio.Event()
        self._writer: Optional[asyncio.Task[None]] = None
        self._closer: Optional[asyncio.Task[None]] = None
        self._closing = False
        self._attached = False

    # --- the engine's Connection ---

    def send(self, text: str, nbytes: int) -> None:
        """Queue one event; raise when this socket can take no more (the engine then detaches it)."""
        if self._closing:
            raise SocketGone("the socket is closing")
        waiting = self._waiting_bytes()
        if waiting > self._bounds.maxBufferedBytes:
            self._attached = False  # delivery detaches us when this raises
            bound = self._bounds.maxBufferedBytes
            self.close(CLOSE_TRY_AGAIN_LATER, f"send buffer over {bound} bytes ({waiting})")
            raise SocketGone("the client stopped reading")
        self._push(text, nbytes)

    # --- life cycle ---

    async def serve(self) -> None:
        """The socket's whole life: authenticate, then read frames until it closes."""
        try:
            if not await self._authenticate():
                return
            async for message in self._ws:
                if self._closing:
                    continue  # a close is under way: nothing more is read into the engine
                try:
                    self._receive(message)
                except Exception:
                    self.close(CLOSE_INTERNAL_ERROR, "internal error")
        except ConnectionClosed:
            pass
        finally:
            self._gone()

    def close(self, code: int, reason: str) -> None:
        """Start closing with `code`: nothing more is written, queued frames are dropped."""
        if self._closing:
            return
        self._closing = True
        self._outbox.clear()
        self._outbox_bytes = 0
        if self._writer is not None:
            self._writer.cancel()
        self._closer = asyncio.ensure_future(self._close(code, reason))

    async def finish(self, code: int, reason: str, grace_s: float) -> None:
        """Let what is queued go out (at most `grace_s`), then close (engine shutdown)."""
        if not self._closing and self._writer is not None:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + grace_s
            while self._outbox and loop.time() < deadline and not self._writer.done():
                await asyncio.sleep(0.01)
        self._attached = False  # the engine has already let go of its connections
        self.close(code, reason)
        if self._closer is not None:
            await self._closer

    # --- internals ---

    async def _authenticate(self) -> bool:
        """The first frame must be a good `auth` within the timeout; anything else closes 4401."""
        try:
            message = await asyncio.wait_for(self._ws.recv(), self._bounds.authTimeoutMs / 1000.0)
        except asyncio.TimeoutError:
            await self._close(CLOSE_UNAUTHENTICATED, "authentication timed out")
            return False
        if isinstance(message, bytes):
            await self._close(CLOSE_UNAUTHENTICATED, "authenticate first")
            return False
        frame = parse_client_frame(message)
        if isinstance(frame, FrameError) or frame.type != "auth":
            await self._close(CLOSE_UNAUTHENTICATED, "authenticate first")
            return False
        user_id = verify_token(self._secret, frame.fields["token"])
        if user_id is None:
            await self._close(CLOSE_UNAUTHENTICATED, "bad token")
            return False
        self.user_id = user_id
        self._writer = asyncio.ensure_future(self._write_loop())
        self._write(welcome_frame(user_id, self.id, self._engine.limits.as_wire()))
        try:
            self._engine.attach(self)  # queues what the user missed, after the welcome
            self._attached = True
        except Exception:
            self.close(CLOSE_INTERNAL_ERROR, "the engine refused the connection")
        return True

    def _receive(self, message: Any) -> None:
        if isinstance(message, bytes):
            self._error(BAD_FRAME, "frames are JSON text, not binary")
            return
        frame = parse_client_frame(message)
        if isinstance(frame, FrameError):
            self._error(frame.code, frame.message, frame.request_id)
        elif frame.type == "auth":
            self._error(BAD_FRAME, "this socket is already authenticated")
        elif frame.type == "execute":
            self._execute(frame)
        elif frame.type == "cancel":
            self._cancel(frame)
        elif frame.type == "stats":
            self._stats()

    def _execute(self, frame: Frame) -> None:
        fields = frame.fields
        request_id: str = fields["requestId"]
        if "userId" in fields and fields["userId"] != self.user_id:
            self._error(*IMPERSONATION, request_id)  # security.impersonation: nothing runs
            return
        context = {
            "userId": self.user_id,
            "threadId": fields["threadId"],
            "runId": fields["runId"],
            "requestId": request_id,
            "connectionId": fields.get("connectionId", self.id),
            "metadata": fields.get("metadata", {}),
        }
        request = {"agentName": fields["agentName"], "input": fields["input"]}
        try:
            self._engine.execute(
                context, request, lambda result: self._write(result_frame(request_id, result))
            )
        except Exception:
            self._error(ENGINE_ERROR, "the engine failed the execute", request_id)

    def _cancel(self, frame: Frame) -> None:
        fields = frame.fields
        if "userId" in fields and fields["userId"] != self.user_id:
            self._error(*IMPERSONATION)
            return
        run_id: str = fields["runId"]
        try:
            cancelled = self._engine.cancel(run_id, self.user_id)
        except Exception:
            self._error(ENGINE_ERROR, "the engine failed the cancel")
            return
        self._write(cancel_frame(run_id, bool(cancelled)))

    def _stats(self) -> None:
        """Only this socket's user's numbers: the engine's whole stats would name other users."""
        try:
            own = self._engine.stats()["perUser"].get(self.user_id)
        except Exception:
            self._error(ENGINE_ERROR, "stats are not available")
            return
        self._write(stats_frame(own or {"activeRuns": 0, "queuedRuns": 0, "bufferedEvents": 0}))

    def _error(self, code: str, message: str, request_id: Optional[str] = None) -> None:
        self._write(error_frame(code, message, request_id))

    def _write(self, text: str) -> None:
        """An answer frame (welcome, result, cancel, stats, error); dropped once closing."""
        if not self._closing:
            self._push(text, utf8_length(text))

    def _push(self, text: str, nbytes: int) -> None:
        self._outbox.append((text, nbytes))
        self._outbox_bytes += nbytes
        self._wake.set()

    def _waiting_bytes(self) -> int:
        """Bytes not yet taken by the client: our outbox plus the socket's write buffer."""
        transport = getattr(self._ws, "transport", None)
        try:
            in_socket = transport.get_write_buffer_size() if transport is not None else 0
        except Exception:
            in_socket = 0
        return self._outbox_bytes + in_socket

    async def _write_loop(self) -> None:
        try:
            while True:
                if not self._outbox:
                    self._wake.clear()
                    await self._wake.wait()
                    continue
                text, nbytes = self._outbox.popleft()
                self._outbox_bytes -= nbytes
                await self._ws.send(text)
        except (ConnectionClosed, asyncio.CancelledError):
            pass

    async def _close(self, code: int, reason: str) -> None:
        try:
            await self._ws.close(code, reason)
        except Exception:
            pass

    def _gone(self) -> None:
        """The socket is closed (by either side): the engine forgets this connection."""
        self._closing = True
        self._outbox.clear()
        self._outbox_bytes = 0
        if self._writer is not None:
            self._writer.cancel()
        if self._attached:
            self._attached = False
            try:
                self._engine.detach(self.id)
            except Exception:
                pass
