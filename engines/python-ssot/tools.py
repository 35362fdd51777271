"""
The tool calls of one run: tool_executing, the call through the registry, tool_completed.
Calls may overlap; each is open from its tool_executing to its tool_completed. Once the run has
ended, a call that settles emits nothing (events.no-late) and new calls are refused. A tool
runs in its own task, so a tool that ignores the abort signal keeps going after its run ended,
which is exactly the late settlement the engine must swallow.
"""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Mapping, Optional, Protocol

from abort import AbortError, AbortSignal
from errors import message_of
from jsonvalue import JsonError, JsonValue, clip, copy, js_string


class ToolError(Exception):
    """What the agent gets from a tool call that failed: the tool's own message."""


@dataclass(frozen=True)
class ToolInvocation:
    """What a tool is handed besides its arguments: its run's context and abort signal."""

    context: Mapping[str, Any]
    signal: AbortSignal
    tool_call_id: str


class Tool(Protocol):
    name: str

    async def call(self, args: JsonValue, invocation: ToolInvocation) -> Any: ...


class ToolRegistry(Protocol):
    def get(self, name: str) -> Optional[Tool]: ...


class ToolPort(Protocol):
    """What the tool calls need of their run."""

    run_id: str

    def active(self) -> bool: ...

    def invocation(self, tool_call_id: str) -> Optional[ToolInvocation]: ...

    def emit(self, type_: str, payload: dict[str, Any]) -> None: ...

    def fault(self) -> None:
        """End the run with an internal engine fault."""

    def spawn(self, work: Awaitable[Any]) -> "asyncio.Task[Any]":
        """Run `work` in a task the engine holds (and cancels at shutdown)."""


def _reject(future: "asyncio.Future[Any]", error: BaseException) -> None:
    """Fail a future nobody may be awaiting any more, without an 'exception never retrieved' log."""
    if not future.done():
        future.set_exception(error)
        future.exception()


class ToolCalls:
    def __init__(self, run: ToolPort, tools: ToolRegistry) -> None:
        self._run = run
        self._tools = tools
        self._open: dict[str, asyncio.Future[JsonValue]] = {}
        self._count = 0

    @property
    def open_count(self) -> int:
        return len(self._open)

    def call(self, name: Any, args: Any) -> "asyncio.Future[JsonValue]":
        """
        runtime.tool(): emits tool_executing now and returns a future of a copy of the result;
        it fails with ToolError (the tool's message) or AbortError (the run has ended).
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[JsonValue] = loop.create_future()
        if not self._run.active():
            _reject(future, AbortError("the run has ended"))
            return future
        try:
            parameters = copy(args)
        except JsonError:
            _reject(future, TypeError("the tool arguments are not JSON"))
            return future
        tool_name = js_string(name)
        self._count += 1
        tool_call_id = f"{self._run.run_id}:tool-{self._count}"
        self._open[tool_call_id] = future
        started = time.monotonic()
        try:
            self._run.emit(
                "tool_executing",
                {"toolCallId": tool_call_id, "toolName": tool_name, "parameters": parameters},
            )
        except Exception:
            self._run.fault()
        if not self._run.active():
            return future  # ended meanwhile: abandon() failed it
        task = self._run.spawn(self._invoke(tool_name, parameters, tool_call_id))
        task.add_done_callback(lambda done: self._settled(tool_call_id, tool_name, started, done))
        return future

    def abandon(self) -> None:
        """The run ended: fail every open call (the agent may be awaiting one); emit nothing."""
        open_calls = list(self._open.values())
        self._open.clear()
        for future in open_calls:
            _reject(future, AbortError("the run ended before the tool call completed"))

    async def _invoke(self, tool_name: str, parameters: JsonValue, tool_call_id: str) -> Any:
        """The tool's call; a missing tool is a failure of the call, not of the engine."""
        tool = self._tools.get(tool_name)
        invocation = self._run.invocation(tool_call_id)
        if tool is None or invocation is None:
            raise ToolError(f'unknown tool "{clip(tool_name)}"')
        return await tool.call(parameters, invocation)

    def _settled(self, tool_call_id: str, tool_name: str, started: float, task: "asyncio.Task[Any]") -> None:
        failure: Optional[str] = None
        timed_out = False
        value: Any = None
        if task.cancelled():
            failure = "the tool call was cancelled"
        else:
            error = task.exception()  # always read: nothing is left unretrieved
            if error is not None:
                failure = message_of(error, "the tool failed")
                timed_out = type(error).__name__ == "TimeoutError"
            else:
                value = task.result()
        future = self._open.get(tool_call_id)
        if future is None or not self._run.active():
            return  # the run ended: nothing more (events.no-late)
        del self._open[tool_call_id]
        try:
            duration_ms = max(0, round((time.monotonic() - started) * 1000))
            result: JsonValue = None
            if failure is None:
                try:
                    result = copy(value)  # the engine keeps nothing of the tool's own object
                except JsonError:
                    failure = "the tool returned a value that is not JSON"
            if failure is None:
                self._run.emit(
                    "tool_completed",
                    {
                        "toolCallId": tool_call_id,
                        "toolName": tool_name,
                        "status": "success",
                        "result": result,
                        "durationMs": duration_ms,
                    },
                )
                if not future.done():
                    future.set_result(result)
                return
            # A tool that fails with a TimeoutError timed out; any other failure is an error.
            self._run.emit(
                "tool_completed",
                {
                    "toolCallId": tool_call_id,
                    "toolName": tool_name,
                    "status": "timeout" if timed_out else "error",
                    "error": failure,
                    "durationMs": duration_ms,
                },
            )
            _reject(future, ToolError(failure))
        except Exception:
            _reject(future, AbortError("the tool call could not be completed"))
            self._run.fault()

