"""
One run: its own read-only context copy, event sequence, runtime, timeout and abort signal. It
ends exactly once (terminate); from then on its runtime is inert (events.no-late) and it holds
nothing it was handed (cleanup.run).

An agent runs in its own asyncio task. When the run ends the engine aborts the signal (the
contract's cooperative stop) and then cancels the task: Python cannot simply drop a pending
coroutine the way JavaScript drops a promise, and a `hang` step would otherwise live forever.
"""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Mapping, Optional, Protocol, Union

from abort import AbortSignal
from errors import message_of
from events import Encoded, encode_event
from jsonvalue import JsonError, JsonValue, copy, js_string
from limits import Limits
from tools import ToolCalls, ToolInvocation, ToolRegistry
from users import UserState
from validate import Agent


@dataclass(frozen=True)
class Completed:
    result: JsonValue


@dataclass(frozen=True)
class Failed:
    status: str  # "error" | "timeout" | "cancelled"
    message: str


Outcome = Union[Completed, Failed]
ENGINE_FAULT = Failed("error", "internal engine fault")

# What execute reports back: called exactly once with the run's result.
Settle = Callable[[dict], None]


class RunHost(Protocol):
    """What a run needs from its engine."""

    limits: Limits
    tools: ToolRegistry

    def deliver(self, user: UserState, encoded: Encoded) -> None: ...

    def end(self, run: "Run", outcome: Outcome) -> None:
        """End the run: the engine gives back its slot, then calls terminate()."""

    def spawn(self, work: Awaitable[Any]) -> "asyncio.Task[Any]": ...


@dataclass(frozen=True)
class RunSpec:
    """What admission checked and copied for the run."""

    context: Mapping[str, Any]
    agent: Agent
    agent_name: str
    input: JsonValue
    input_summary: JsonValue


class Runtime:
    """
    What the agent sees: its context, its input, the abort signal, think() and tool().
    tool() emits tool_executing when it is called (as the reference does) and returns an
    awaitable, so several calls started together overlap (a `parallel` step).
    """

    __slots__ = ("context", "input", "signal", "_run")

    def __init__(
        self, run: "Run", context: Mapping[str, Any], input_: JsonValue, signal: AbortSignal
    ) -> None:
        self.context = context
        self.input = input_
        self.signal = signal
        self._run = run

    async def think(self, text: Any) -> None:
        self._run.think(text)

    def tool(self, name: Any, args: Any) -> "asyncio.Future[JsonValue]":
        return self._run.tools.call(name, args)


def now_ms() -> int:
    """The envelope's `ts`: wall-clock milliseconds, as Date.now() in the reference gateway."""
    return int(time.time() * 1000)


class Run:
    def __init__(self, user: UserState, spec: RunSpec, host: RunHost, settle: Settle) -> None:
        self.user = user
        self.run_id: str = spec.context["runId"]
        self.thread_id: str = spec.context["threadId"]
        self.user_id: str = spec.context["userId"]
        self.agent_name = spec.agent_name
        self.state = "queued"  # queued → active → done
        self._host = host
        self._seq = 0
        self._steps = 0
        self.tools = ToolCalls(self, host.tools)
        # Everything below is let go of when the run ends.
        self._spec: Optional[RunSpec] = spec
        self._context: Optional[Mapping[str, Any]] = None
        self._signal: Optional[AbortSignal] = None
        self._timer: Optional[asyncio.TimerHandle] = None
        self._task: Optional[asyncio.Task[Any]] = None
        self._settle: Optional[Settle] = settle

    # --- the ToolPort side (tools.py) ---

    def active(self) -> bool:
        return self.state == "active"

    def invocation(self, tool_call_id: str) -> Optional[ToolInvocation]:
        if self._context is None or self._signal is None:
            return None
        return ToolInvocation(context=self._context, signal=self._signal, tool_call_id=tool_call_id)

    def fault(self) -> None:
        self._end(ENGINE_FAULT)

    def spawn(self, work: Awaitable[Any]) -> "asyncio.Task[Any]":
        return self._host.spawn(work)

    # --- life cycle ---

    def start(self) -> None:
        """agent_started, the timeout, then the agent. The engine has already counted the slot."""
        spec = self._spec
        if self.state != "queued" or spec is None:
            raise RuntimeError("a run can start only once")
        self.state = "active"
        self._spec = None
        self._context = spec.context
        signal = AbortSignal()
        self._signal = signal
        limits = self._host.limits
        timeout = Failed("timeout", f"the run exceeded its time limit of {limits.runTimeoutMs} ms")
        # Armed before anything is emitted; time.timeout counts from agent_started.
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(limits.runTimeoutMs / 1000.0, self._end, timeout)
        self.emit("agent_started", {"input": spec.input_summary})
        if self.state != "active":
            return
        runtime = Runtime(self, spec.context, spec.input, signal)
        task = self._host.spawn(spec.agent.run(runtime))
        self._task = task
        task.add_done_callback(self._agent_done)

    def terminate(self, outcome: Outcome) -> None:
        """Emit the terminal, abort, settle and let go. Called once, after the slot was released."""
        if self.state != "active":
            return
        self.state = "done"
        signal, settle, timer, task = self._signal, self._settle, self._timer, self._task
        self._context = self._signal = self._settle = self._timer = self._task = None
        if timer is not None:
            timer.cancel()
        try:
            result = self._emit_terminal(outcome)
        except Exception:
            result = _result_of(self.run_id, outcome)
        if signal is not None and not isinstance(outcome, Completed):
            signal.abort(f"the run ended: {outcome.status}")
        self.tools.abandon()
        if task is not None and not task.done():
            task.cancel()
        if settle is not None:
            try:
                settle(result)
            except Exception:
                pass  # the requester is gone; the run is over regardless

    def drop(self, message: str) -> None:
        """End a run that never started: no events (cancel.owner), only its result."""
        if self.state != "queued":
            return
        self.state = "done"
        self._spec = None
        settle, self._settle = self._settle, None
        if settle is not None:
            try:
                settle(_result_of(self.run_id, Failed("cancelled", message)))
            except Exception:
                pass

    # --- runtime calls ---

    def think(self, text: Any) -> None:
        if self.state != "active":
            return  # inert after the end
        try:
            self._steps += 1
            self.emit("agent_thinking", {"reasoning": js_string(text), "step": self._steps})
        except Exception:
            self._end(ENGINE_FAULT)

    def emit(self, type_: str, payload: dict[str, Any]) -> Encoded:
        encoded = encode_event(self, type_, self._seq + 1, now_ms(), payload, self._host.limits.maxEventBytes)
        self._seq += 1
        self._host.deliver(self.user, encoded)
        return encoded

    # --- internals ---

    def _agent_done(self, task: "asyncio.Task[Any]") -> None:
        if task.cancelled():
            if self.state == "active":
                self._end(Failed("error", "the agent was cancelled"))
            return
        error = task.exception()  # always read: nothing is left unretrieved
        if self.state != "active":
            return  # finished after its end (timeout, cancel): nothing more
        if error is not None:
            self._end(Failed("error", message_of(error, "the agent failed")))
            return
        if self.tools.open_count > 0:
            # agent_completed must leave no open tool call, and the engine may not invent completions.
            self._end(Failed("error", f"agent returned with {self.tools.open_count} tool call(s) still open"))
            return
        try:
            result = copy(task.result())
        except JsonError:
            self._end(Failed("error", "the agent returned a value that is not JSON"))
            return
        self._end(Completed(result))

    def _emit_terminal(self, outcome: Outcome) -> dict:
        if isinstance(outcome, Completed):
            encoded = self.emit("agent_completed", {"status": "completed", "result": outcome.result})
            # The output is what the event carries (possibly truncated), so the two always agree.
            return {"runId": self.run_id, "status": "completed", "output": encoded.payload.get("result")}
        message = outcome.message
        if self._seq > 0:
            encoded = self.emit("agent_error", {"reason": outcome.status, "message": message})
            message = js_string(encoded.payload.get("message"))
        return _result_of(self.run_id, Failed(outcome.status, message))

    def _end(self, outcome: Outcome) -> None:
        try:
            self._host.end(self, outcome)
        except Exception:
            pass  # the engine contains its own faults; none may reach the agent or a timer


def _result_of(run_id: str, outcome: Outcome) -> dict:
    if isinstance(outcome, Completed):
        return {"runId": run_id, "status": "completed", "output": outcome.result}
    error = {"code": outcome.status, "message": outcome.message}
    return {"runId": run_id, "status": outcome.status, "error": error}
