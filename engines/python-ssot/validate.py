"""
Admission checks that need no engine state: the context (ctx.valid), the request
(errors.bad-request). Each reads what it was handed once, never writes to it (ctx.immutable),
and returns either fresh copies for the run or a typed Refusal.
"""
from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Mapping, Optional, Protocol, Union

from errors import BAD_REQUEST, INVALID_CONTEXT, Refusal
from jsonvalue import (
    UNDEFINED,
    JsonError,
    JsonValue,
    clip,
    copy,
    dumps,
    js_typeof,
    loads,
    truncation_marker,
    utf8_length,
)

MAX_ID_LENGTH = 256

# harness/contract/ids.ts: ids that are placeholders, compared case-insensitively.
PLACEHOLDER_IDS = frozenset(
    {
        "registry", "placeholder", "default", "temp", "none", "null", "undefined", "0", "1",
        "xxx", "example", "test", "demo", "sample", "template", "mock", "fake", "dummy", "unknown",
    }
)

CONTEXT_ID_FIELDS = ("userId", "threadId", "runId", "requestId")

# agent_started carries the input itself when it is this small, else a truncation marker.
INPUT_SUMMARY_BYTES = 1024


class Agent(Protocol):
    """What the engine runs; see agent.py for the conformance agent."""

    name: str

    async def run(self, runtime: Any) -> Any: ...


class AgentRegistry(Protocol):
    def get(self, name: str) -> Optional[Agent]: ...


@dataclass(frozen=True)
class AdmittedRequest:
    agent: Agent
    agent_name: str
    input: JsonValue  # the agent's own copy
    input_summary: JsonValue  # what agent_started shows: at most INPUT_SUMMARY_BYTES serialised


def id_problem(value: Any) -> Optional[str]:
    """Why `value` is not a valid id, or None (same texts as harness/contract/ids.ts)."""
    if not isinstance(value, str):
        return f"is {js_typeof(value)}, not a string"
    if value == "":
        return "is empty"
    if len(value) > MAX_ID_LENGTH:
        return f"is {len(value)} characters (max {MAX_ID_LENGTH})"
    if value.lower() in PLACEHOLDER_IDS:
        return f'is the placeholder "{clip(value)}"'
    return None


def admit_context(raw: Mapping[str, Any]) -> Union[Mapping[str, Any], Refusal]:
    """A read-only deep copy of a valid context, or why it is not one."""
    fields = {name: raw.get(name, UNDEFINED) for name in (*CONTEXT_ID_FIELDS, "connectionId", "metadata")}
    for name in CONTEXT_ID_FIELDS:
        problem = id_problem(fields[name])
        if problem:
            return Refusal(INVALID_CONTEXT, f"{name} {problem}")
    connection_id = fields["connectionId"]
    if connection_id is not UNDEFINED:
        problem = id_problem(connection_id)
        if problem:
            return Refusal(INVALID_CONTEXT, f"connectionId {problem}")
    metadata = fields["metadata"]
    if not isinstance(metadata, dict):
        return Refusal(INVALID_CONTEXT, "metadata is not a plain object")
    try:
        metadata_copy = copy(metadata)
    except JsonError:
        return Refusal(INVALID_CONTEXT, "metadata is not JSON")
    context: dict[str, Any] = {name: fields[name] for name in CONTEXT_ID_FIELDS}
    if connection_id is not UNDEFINED:
        context["connectionId"] = connection_id
    context["metadata"] = MappingProxyType(metadata_copy)
    return MappingProxyType(context)


def admit_request(
    agent_name: Any, input_value: Any, agents: AgentRegistry, max_input_bytes: int
) -> Union[AdmittedRequest, Refusal]:
    """The agent and fresh copies of the input, or why the request is refused."""
    if not isinstance(agent_name, str) or agent_name == "":
        return Refusal(BAD_REQUEST, "agentName is not a non-empty string")
    try:
        agent = agents.get(agent_name)
    except Exception:  # a registry that raises knows no such agent
        agent = None
    if agent is None:
        return Refusal(BAD_REQUEST, f'unknown agent "{clip(agent_name)}"')
    if input_value is UNDEFINED:
        return Refusal(BAD_REQUEST, "input is not JSON: it contains undefined")
    try:
        text = dumps(input_value)
    except JsonError:
        return Refusal(BAD_REQUEST, "input is not JSON")
    size = utf8_length(text)
    if size > max_input_bytes:
        return Refusal(BAD_REQUEST, f"input is {size} bytes, more than the limit of {max_input_bytes}")
    summary = loads(text) if size <= INPUT_SUMMARY_BYTES else truncation_marker(text, INPUT_SUMMARY_BYTES)
    return AdmittedRequest(agent=agent, agent_name=agent_name, input=loads(text), input_summary=summary)
