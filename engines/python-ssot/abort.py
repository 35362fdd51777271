"""
Abort signals, as the contract's runtime has them: the engine aborts a run's signal when the
run ends (timeout, cancel, failure), and agents and tools that honour it stop waiting. A
signal is per run; nothing here is shared between runs.
"""
from __future__ import annotations

import asyncio
from typing import Callable, Optional


class AbortError(Exception):
    """Raised into whoever waits on an aborted signal, and by runtime calls of an ended run."""


class AbortSignal:
    """Fired once by its run; callbacks run synchronously and may not disturb each other."""

    def __init__(self) -> None:
        self.aborted = False
        self.reason = ""
        self._callbacks: list[Callable[[], None]] = []

    def add(self, callback: Callable[[], None]) -> None:
        self._callbacks.append(callback)

    def remove(self, callback: Callable[[], None]) -> None:
        try:
            self._callbacks.remove(callback)
        except ValueError:
            pass

    def abort(self, reason: str) -> None:
        if self.aborted:
            return
        self.aborted = True
        self.reason = reason
        callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            try:
                callback()
            except Exception:  # one listener's fault must not keep the others from hearing
                pass


def delay_ms(value: object) -> float:
    """Milliseconds to wait, as the harness's clock reads them: finite and > 0, else 0."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return 0.0
    if value != value or value in (float("inf"), float("-inf")) or value <= 0:
        return 0.0
    return float(int(value))


async def sleep(ms: float, signal: Optional[AbortSignal] = None) -> None:
    """Wait `ms` real milliseconds; raise AbortError when `signal` fires first."""
    if signal is not None and signal.aborted:
        raise AbortError(signal.reason or "aborted")
    loop = asyncio.get_running_loop()
    waiter: asyncio.Future[None] = loop.create_future()

    def wake() -> None:
        if not waiter.done():
            waiter.set_result(None)

    def abort() -> None:
        if not waiter.done():
            waiter.set_exception(AbortError(signal.reason if signal else "aborted"))

    handle = loop.call_later(ms / 1000.0, wake)
    if signal is not None:
        signal.add(abort)
    try:
        await waiter
    finally:
        handle.cancel()
        if signal is not None:
            signal.remove(abort)
