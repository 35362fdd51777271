"""
The wire protocol of CONTRACT.md as harness/transport/protocol.ts refines it: the frames a
client may send and how each is checked, the frames this engine answers with, the error codes
of error frames and the close codes. Frames are JSON text.

Checking follows protocol.ts field by field, in the same order, so that a malformed frame gets
the same `code` from this engine as from the TypeScript gateway:
- not JSON, not an object, binary, an unknown `type`          → BAD_FRAME
- `auth` without a string token, `auth` once authenticated    → BAD_FRAME
- `execute`: a context field (requestId, threadId, runId, userId, connectionId, metadata) of
  the wrong type → INVALID_CONTEXT; agentName not a string or input missing → BAD_REQUEST
- `cancel`: runId (or userId) not a string                     → INVALID_CONTEXT
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional, Union

from errors import BAD_REQUEST, FORBIDDEN, INVALID_CONTEXT
from jsonvalue import UNDEFINED, JsonError, dumps, loads

# Close codes (protocol.ts CLOSE).
CLOSE_SESSION_CLOSED = 1000
CLOSE_GOING_AWAY = 1001  # the engine shut down
CLOSE_INVALID_PAYLOAD = 1007  # not UTF-8: the socket library closes with it by itself
CLOSE_TOO_BIG = 1009  # over the frame limit: the socket library closes with it by itself
CLOSE_INTERNAL_ERROR = 1011
CLOSE_TRY_AGAIN_LATER = 1013  # the client stopped reading
CLOSE_UNAUTHENTICATED = 4401

# Error-frame codes besides the contract's refusal codes (protocol.ts FRAME_ERRORS).
BAD_FRAME = "BAD_FRAME"
ENGINE_ERROR = "ENGINE_ERROR"

FRAME_TYPES = ("auth", "execute", "cancel", "stats")
CAPABILITIES = ("execute", "cancel", "stats", "resume")
CONTEXT_FIELDS = frozenset({"requestId", "threadId", "runId", "userId", "connectionId", "metadata"})


@dataclass(frozen=True)
class Frame:
    """A checked client frame: its type and its fields (absent optional fields are left out)."""

    type: str
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FrameError:
    """Why a frame was refused, as an error frame will say it."""

    code: str
    message: str
    request_id: Optional[str] = None


def _received(value: Any) -> str:
    """How zod names the type of what it got."""
    if value is UNDEFINED:
        return "undefined"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


# Per type: (field, expected, optional) in the order protocol.ts's schemas check them.
_STRING, _RECORD, _PRESENT = "string", "record", "present"
SCHEMAS: dict[str, tuple[tuple[str, str, bool], ...]] = {
    "auth": (("token", _STRING, False),),
    "execute": (
        ("requestId", _STRING, False),
        ("threadId", _STRING, False),
        ("runId", _STRING, False),
        ("agentName", _STRING, False),
        ("input", _PRESENT, False),
        ("userId", _STRING, True),
        ("connectionId", _STRING, True),
        ("metadata", _RECORD, True),
    ),
    "cancel": (("runId", _STRING, False), ("userId", _STRING, True)),
    "stats": (),
}


def _problem(value: Any, expected: str) -> Optional[str]:
    if expected == _PRESENT:
        return None
    if expected == _STRING and isinstance(value, str):
        return None
    if expected == _RECORD and isinstance(value, dict):
        return None
    return f"Invalid input: expected {expected}, received {_received(value)}"


def parse_client_frame(text: str) -> Union[Frame, FrameError]:
    """Read one text frame: JSON, an object, a known type, the fields that type needs."""
    try:
        data = loads(text)
    except JsonError:
        return FrameError(BAD_FRAME, "the frame is not JSON")
    if not isinstance(data, dict):
        return FrameError(BAD_FRAME, "a frame must be a JSON object")
    request_id = data.get("requestId") if isinstance(data.get("requestId"), str) else None
    type_ = data.get("type")
    if not isinstance(type_, str) or type_ not in SCHEMAS:
        expected = ", ".join(FRAME_TYPES)
        return FrameError(BAD_FRAME, f"unknown frame type (expected one of {expected})", request_id)
    fields: dict[str, Any] = {}
    for name, expected, optional in SCHEMAS[type_]:
        value = data.get(name, UNDEFINED)
        if value is UNDEFINED and optional:
            continue
        if value is UNDEFINED and expected == _PRESENT:
            return _field_error(type_, name, "input is required", request_id)
        problem = _problem(value, expected)
        if problem:
            return _field_error(type_, name, problem, request_id)
        fields[name] = value
    return Frame(type_, fields)


def _field_error(type_: str, name: str, problem: str, request_id: Optional[str]) -> FrameError:
    if type_ == "execute" and name not in CONTEXT_FIELDS:
        code = BAD_REQUEST
    elif type_ in ("execute", "cancel"):
        code = INVALID_CONTEXT
    else:
        code = BAD_FRAME
    return FrameError(code, f'{type_} frame: field "{name}" {problem}', request_id)


# --- what the engine sends besides events ---


def welcome_frame(user_id: str, connection_id: str, limits: dict[str, int]) -> str:
    return dumps(
        {
            "type": "welcome",
            "userId": user_id,
            "connectionId": connection_id,
            "limits": limits,
            "capabilities": list(CAPABILITIES),
        }
    )


def result_frame(request_id: str, result: dict) -> str:
    return dumps({"type": "result", "requestId": request_id, "result": result})


def cancel_frame(run_id: str, cancelled: bool) -> str:
    return dumps({"type": "cancel", "runId": run_id, "cancelled": cancelled})


def stats_frame(stats: dict[str, int]) -> str:
    return dumps({"type": "stats", "stats": stats})


def error_frame(code: str, message: str, request_id: Optional[str] = None) -> str:
    frame: dict[str, Any] = {"type": "error"}
    if request_id is not None:
        frame["requestId"] = request_id
    frame["code"] = code
    frame["message"] = message
    return dumps(frame)


IMPERSONATION = (FORBIDDEN, "a request may name only its own socket's user")
