"""
Encoding one event. An event is encoded once, when it is emitted, into JSON text: every
connection is sent that text (each receiver parses its own copy, so events are values), and a
buffered event is a string that keeps nothing of its run alive (cleanup.run).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from jsonvalue import dumps, fit_json, json_bytes, utf8_length

EVENT_TYPES = (
    "agent_started",
    "agent_thinking",
    "tool_executing",
    "tool_completed",
    "agent_completed",
    "agent_error",
)

# The payload fields that may be shortened when an event is too large, most expendable first.
SHRINKABLE: dict[str, tuple[str, ...]] = {
    "agent_started": ("input",),
    "agent_thinking": ("reasoning",),
    "tool_executing": ("parameters", "toolName"),
    "tool_completed": ("result", "error", "toolName"),
    "agent_completed": ("result",),
    "agent_error": ("message",),
}


class RunIdentity(Protocol):
    """The envelope fields that come from the run."""

    run_id: str
    thread_id: str
    user_id: str
    agent_name: str


@dataclass(frozen=True)
class Encoded:
    """An event as sent: its text, its size in bytes, and the payload it carries (as sent)."""

    text: str
    nbytes: int
    payload: dict[str, Any]


def encode_event(
    run: RunIdentity, type_: str, seq: int, ts: int, payload: dict[str, Any], max_event_bytes: int
) -> Encoded:
    """
    The event as JSON text. When its payload would exceed max_event_bytes (the contract bounds
    the payload, events.payload), its large fields are cut (strings) or replaced by a truncation
    marker (other values) until it fits.
    """
    payload_text = dumps(payload)
    if utf8_length(payload_text) > max_event_bytes:
        payload = _shrink(payload, SHRINKABLE[type_], max_event_bytes)
        payload_text = dumps(payload)
    head = dumps(
        {
            "type": type_,
            "runId": run.run_id,
            "threadId": run.thread_id,
            "userId": run.user_id,
            "agentName": run.agent_name,
            "seq": seq,
            "ts": ts,
        }
    )
    # The payload is serialised once (it was measured as text): splice it into the envelope.
    text = f'{head[:-1]},"payload":{payload_text}}}'
    return Encoded(text=text, nbytes=utf8_length(text), payload=payload)


def replayed(text: str) -> str:
    """The same event text with `"replayed":true` (delivery.resume)."""
    return f'{text[:-1]},"replayed":true}}'


def _shrink(payload: dict[str, Any], fields: tuple[str, ...], budget: int) -> dict[str, Any]:
    """A copy of `payload` whose shrinkable fields were cut, in order, until it fits `budget`."""
    out = dict(payload)
    for field in fields:
        size = json_bytes(out)
        if size <= budget:
            break
        if field not in out:
            continue
        value = out[field]
        out[field] = fit_json(value, budget - (size - json_bytes(value)))
    return out
