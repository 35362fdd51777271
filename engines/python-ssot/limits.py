"""
The engine's limits (CONTRACT.md "Default limits") and the gateway's own bounds, read once
from the environment at start-up. Everything else receives a frozen Limits value, so no code
path can change a limit while runs are in flight.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Mapping

MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """The contract's seven limits, named as on the wire (welcome frame `limits`)."""

    perUserConcurrency: int = 3
    globalConcurrency: int = 64
    maxQueuedPerUser: int = 100
    runTimeoutMs: int = 25_000
    bufferPerUser: int = 1000
    maxInputBytes: int = MIB
    maxEventBytes: int = 64 * 1024

    def as_wire(self) -> dict[str, int]:
        """The limits as the welcome frame reports them."""
        return asdict(self)


@dataclass(frozen=True)
class GatewayBounds:
    """
    Bounds of the WebSocket layer, which the contract leaves to the engine.

    - maxFrameBytes: the largest frame read (security.frames); a longer one is closed with 1009
      by the socket library without being read.
    - maxBufferedBytes: bytes that may wait for a slow reader before its socket is closed 1013.
    - authTimeoutMs: how long a socket may stay unauthenticated before it is closed 4401.
    """

    maxFrameBytes: int
    maxBufferedBytes: int
    authTimeoutMs: int


# Environment variable → limit. Zero is allowed where the contract makes sense of it (no queue,
# no resume buffer); every other limit must be at least 1.
LIMIT_VARIABLES: dict[str, tuple[str, int]] = {
    "CROSSTALK_PER_USER_CONCURRENCY": ("perUserConcurrency", 1),
    "CROSSTALK_GLOBAL_CONCURRENCY": ("globalConcurrency", 1),
    "CROSSTALK_MAX_QUEUED_PER_USER": ("maxQueuedPerUser", 0),
    "CROSSTALK_RUN_TIMEOUT_MS": ("runTimeoutMs", 1),
    "CROSSTALK_BUFFER_PER_USER": ("bufferPerUser", 0),
    "CROSSTALK_MAX_INPUT_BYTES": ("maxInputBytes", 1),
    "CROSSTALK_MAX_EVENT_BYTES": ("maxEventBytes", 1),
}


def _integer(name: str, text: str, least: int) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise ValueError(f"{name} must be an integer, not {text!r}") from None
    if value < least:
        raise ValueError(f"{name} must be >= {least}, not {value}")
    return value


def limits_from_env(environ: Mapping[str, str]) -> Limits:
    """The contract's defaults overlaid with the CROSSTALK_* variables that are set (non-empty)."""
    given: dict[str, int] = {}
    for variable, (field, least) in LIMIT_VARIABLES.items():
        text = environ.get(variable, "")
        if text.strip():
            given[field] = _integer(variable, text, least)
    return Limits(**given)


def bounds_from_env(environ: Mapping[str, str], limits: Limits) -> GatewayBounds:
    """
    The WebSocket bounds, with harness/transport/gateway.ts's defaults: frames up to 1 MiB (more
    only when maxInputBytes is set above 1 MiB, so that such an input still fits a frame), 4 MiB
    waiting for a slow reader, 5 s to authenticate.
    """
    frame = MIB if limits.maxInputBytes <= MIB else limits.maxInputBytes + 64 * 1024
    buffered = 4 * MIB
    text = environ.get("CROSSTALK_MAX_BUFFERED_BYTES", "")
    if text.strip():
        buffered = _integer("CROSSTALK_MAX_BUFFERED_BYTES", text, 1)
    auth = 5_000
    text = environ.get("CROSSTALK_AUTH_TIMEOUT_MS", "")
    if text.strip():
        auth = _integer("CROSSTALK_AUTH_TIMEOUT_MS", text, 1)
    return GatewayBounds(maxFrameBytes=frame, maxBufferedBytes=buffered, authTimeoutMs=auth)
