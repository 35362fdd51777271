"""
The conformance agent `scripted` and its built-in tool, as CONTRACT.md and the harness's
in-process world (harness/world/agent.ts, tools.ts, script.ts) define them. Input
`{canary?, steps}`; steps: think, tool, parallel, sleep, throw, hang. Output
`{canary, steps, results}`. Time is real here: delayMs and sleep are real milliseconds.

Neither keeps state between runs, so any cross-run or cross-user state is the engine's
(isolation.state). Over the wire the engine does not know users' canaries, so the tool answers
`"canary": null` where the in-process tool answers the calling user's canary.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Optional

from abort import AbortError, sleep, delay_ms
from jsonvalue import UNDEFINED, JsonValue, js_string, js_truthy
from tools import ToolInvocation

SCRIPTED_AGENT = "scripted"


class ScriptError(Exception):
    """A failure the script asked for (`throw`, a tool's `error`) or a malformed script."""


@dataclass(frozen=True)
class Script:
    canary: Optional[str]
    steps: list[Any]


def parse_script(input_: JsonValue) -> Script:
    if not isinstance(input_, dict):
        raise ScriptError("scripted agent input must be an object {canary?, steps}")
    steps = input_.get("steps")
    if not isinstance(steps, list):
        raise ScriptError("scripted agent input has no steps array")
    canary = input_.get("canary")
    return Script(canary=canary if isinstance(canary, str) else None, steps=steps)


def _has(step: Any, key: str) -> bool:
    """JavaScript's `key in step` for a parsed JSON value (a primitive raises a TypeError)."""
    if isinstance(step, dict):
        return key in step
    if isinstance(step, list):
        return False
    raise TypeError(f"Cannot use 'in' operator to search for '{key}' in {js_string(step)}")


class ScriptedAgent:
    name = SCRIPTED_AGENT

    async def run(self, runtime: Any) -> JsonValue:
        script = parse_script(runtime.input)
        results: list[JsonValue] = []
        steps = 0
        for step in script.steps:
            # Every step yields to the loop first, so concurrent runs interleave step by step.
            await asyncio.sleep(0)
            if runtime.signal.aborted:
                raise AbortError("run aborted")
            await self._step(runtime, step, results)
            steps += 1
        return {"canary": script.canary, "steps": steps, "results": results}

    async def _step(self, runtime: Any, step: Any, results: list[JsonValue]) -> None:
        if _has(step, "think"):
            await runtime.think(step["think"])
        elif _has(step, "tool"):
            results.append(await self._tool(runtime, step))
        elif _has(step, "parallel"):
            calls = step["parallel"]
            if not isinstance(calls, list):
                raise TypeError("step.parallel.map is not a function")
            # All calls start now, in order (tool_executing in list order), then run together.
            futures = [self._start_tool(runtime, call) for call in calls]
            results.extend(await asyncio.gather(*futures))
        elif _has(step, "sleep"):
            signal = None if js_truthy(step.get("ignoreAbort")) else runtime.signal
            await sleep(delay_ms(step["sleep"]), signal)
        elif _has(step, "throw"):
            raise ScriptError(js_string(step["throw"]))
        elif _has(step, "hang"):
            # Never settles and ignores the abort signal: only the engine's timeout or cancel
            # ends the run (the engine then cancels this task).
            await asyncio.get_running_loop().create_future()
        # Any other step does nothing but counts, as in the reference.

    async def _tool(self, runtime: Any, step: Any) -> JsonValue:
        return await self._start_tool(runtime, step)

    @staticmethod
    def _start_tool(runtime: Any, step: Any) -> "asyncio.Future[JsonValue]":
        """
        runtime.tool() for a tool step: its args plus its scripted behaviour. Like the async
        function it mirrors, a malformed step fails its own call, not the calls beside it.
        """
        try:
            if step is None:
                raise TypeError("Cannot read properties of null (reading 'args')")
            fields = step if isinstance(step, dict) else {}
            args = fields.get("args")
            script: dict[str, Any] = {"args": args if args is not None else None}
            for key in ("delayMs", "result", "error"):
                if key in fields:
                    script[key] = fields[key]
            if js_truthy(fields.get("ignoreAbort")):
                script["ignoreAbort"] = True
            return runtime.tool(fields.get("tool", UNDEFINED), script)
        except Exception as error:
            failed: asyncio.Future[JsonValue] = asyncio.get_running_loop().create_future()
            failed.set_exception(error)
            return failed


class ScriptedTool:
    """Behaves as its arguments say (latency, result or error); answers `{tool, value, canary}`."""

    def __init__(self, name: str) -> None:
        self.name = name

    async def call(self, args: JsonValue, invocation: ToolInvocation) -> JsonValue:
        script = args if isinstance(args, dict) else {"args": args}
        signal = None if js_truthy(script.get("ignoreAbort")) else invocation.signal
        await sleep(delay_ms(script.get("delayMs")), signal)
        if "error" in script:
            raise ScriptError(js_string(script["error"]))
        value = script.get("result")
        return {"tool": self.name, "value": value if value is not None else None, "canary": None}


class AgentRegistry:
    """The agents this engine serves: only the conformance agent."""

    def __init__(self) -> None:
        self._agents = {SCRIPTED_AGENT: ScriptedAgent()}

    def get(self, name: str) -> Optional[ScriptedAgent]:
        return self._agents.get(name)


class ScriptedToolRegistry:
    """Every tool name resolves to a scripted tool, except names starting with `missing`."""

    def get(self, name: str) -> Optional[ScriptedTool]:
        if name.startswith("missing"):
            return None
        return ScriptedTool(name)
