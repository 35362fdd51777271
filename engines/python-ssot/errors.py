"""
Typed refusals: the `code` of a rejected result's error (harness/contract/errors.ts), and the
messages the engine writes for them. A message names only what the caller itself sent, never
another user's data (errors.sanitized).
"""
from __future__ import annotations

from dataclasses import dataclass

INVALID_CONTEXT = "INVALID_CONTEXT"
DUPLICATE_RUN = "DUPLICATE_RUN"
FORBIDDEN = "FORBIDDEN"
BAD_REQUEST = "BAD_REQUEST"
QUEUE_FULL = "QUEUE_FULL"
SHUTTING_DOWN = "SHUTTING_DOWN"


@dataclass(frozen=True)
class Refusal:
    """Why a request was refused before it started: it resolves `rejected` and emits nothing."""

    code: str
    message: str


def refusal_result(run_id: str, refusal: Refusal) -> dict:
    """A refused request as execute resolves it."""
    return {
        "runId": run_id,
        "status": "rejected",
        "error": {"code": refusal.code, "message": refusal.message},
    }


def message_of(error: BaseException, fallback: str) -> str:
    """The message of whatever an agent or tool raised, or `fallback` when it has none."""
    try:
        text = str(error)
    except Exception:  # a __str__ that raises: use the fallback
        return fallback
    return text if text else fallback
