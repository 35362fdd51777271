"""
The engine. It admits requests, starts runs when the scheduler gives them a slot, and owns
every piece of per-user state; it is the one object shared by all connections. Every method is
synchronous and returns without waiting on anything, so a cancel, a timeout, a socket closing
or a shutdown can never deadlock on another (concurrency.no-deadlock). No method raises into
its caller except attach() on a malformed connection.
"""
from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Mapping

from delivery import Delivery
from errors import BAD_REQUEST, DUPLICATE_RUN, FORBIDDEN, QUEUE_FULL, SHUTTING_DOWN, Refusal, refusal_result
from events import Encoded
from limits import Limits
from run import Failed, Outcome, Run, RunSpec, Settle
from scheduler import Scheduler
from tools import ToolRegistry
from users import Connection, UserState, Users
from jsonvalue import UNDEFINED, clip
from validate import AgentRegistry, admit_context, admit_request

CANCELLED_BY_OWNER = "the run was cancelled by its user"
USER_CLOSED = "the run was cancelled because the user's session was closed"
SHUTTING_DOWN_MESSAGE = "the run was cancelled because the engine is shutting down"


class Engine:
    def __init__(self, agents: AgentRegistry, tools: ToolRegistry, limits: Limits) -> None:
        self.limits = limits
        self.tools = tools
        self._agents = agents
        self._users = Users()
        # Runs that are queued or active, by runId (ctx.unique-run, cancel).
        self._runs: dict[str, Run] = {}
        self._scheduler = Scheduler(limits.perUserConcurrency, limits.globalConcurrency)
        self._delivery = Delivery(self._users, limits.bufferPerUser)
        # Agent and tool tasks, held strongly (asyncio only keeps weak references) until done.
        self._tasks: set[asyncio.Task[Any]] = set()
        self._dispatching = False
        self.stopping = False

    # --- the RunHost side (run.py) ---

    def deliver(self, user: UserState, encoded: Encoded) -> None:
        self._delivery.publish(user, encoded)

    def end(self, run: Run, outcome: Outcome) -> None:
        self._finish(run, outcome)

    def spawn(self, work: Awaitable[Any]) -> "asyncio.Task[Any]":
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # --- the contract's engine interface ---

    def attach(self, connection: Connection) -> None:
        if self.stopping:
            raise RuntimeError("the engine is shut down")
        self._delivery.attach(connection)

    def detach(self, connection_id: str) -> None:
        self._delivery.detach(connection_id)

    def execute(self, context: Mapping[str, Any], request: Mapping[str, Any], settle: Settle) -> None:
        """
        Admit and queue (or start) a run; `settle` is called exactly once with its result. A
        refusal settles `rejected` at once, before any event, leaving no state.
        """
        run_id = context.get("runId")
        run_id = run_id if isinstance(run_id, str) else ""
        try:
            admitted = self._admit(context, request, settle)
        except Exception:
            admitted = Refusal(BAD_REQUEST, "the request could not be admitted")
        if isinstance(admitted, Refusal):
            try:
                settle(refusal_result(run_id, admitted))
            except Exception:
                pass

    def cancel(self, run_id: Any, by_user_id: str) -> bool:
        run = self._runs.get(run_id) if isinstance(run_id, str) else None
        if run is None or run.user_id != by_user_id:
            return False  # cancel.foreign, cancel.idempotent
        if run.state == "queued":
            self._drop_queued(run, CANCELLED_BY_OWNER)
            self._users.release(run.user)
            return True
        if run.state != "active":
            return False
        self._finish(run, Failed("cancelled", CANCELLED_BY_OWNER))
        return True

    def close_user(self, user_id: str) -> None:
        try:
            self._close(user_id, USER_CLOSED)
        except Exception:
            pass  # closing must settle whatever else fails

    def stats(self) -> dict[str, Any]:
        totals = {"activeRuns": 0, "queuedRuns": 0, "bufferedEvents": 0}
        users: list[str] = []
        per_user: dict[str, dict[str, int]] = {}
        for user in self._users.values():
            own = self.user_stats(user)
            for key in totals:
                totals[key] += own[key]
            users.append(user.id)
            per_user[user.id] = own
        return {**totals, "users": users, "perUser": per_user}

    @staticmethod
    def user_stats(user: UserState) -> dict[str, int]:
        return {
            "activeRuns": len(user.active),
            "queuedRuns": len(user.queue),
            "bufferedEvents": len(user.buffer),
        }

    def shutdown(self) -> None:
        """Idempotent. Afterwards every execute has settled and no run is left."""
        if self.stopping:
            return
        self.stopping = True  # from here on nothing is admitted and nothing queued starts
        try:
            users = self._users.values()
            for user in users:
                for run in list(user.queue):
                    self._drop_queued(run, SHUTTING_DOWN_MESSAGE)
            for user in users:
                self._close(user.id, SHUTTING_DOWN_MESSAGE)
        except Exception:
            pass  # shutdown must settle whatever else fails

    def cancel_tasks(self) -> None:
        """After shutdown: stop tools that ignored their abort signal (nothing may outlive us)."""
        for task in list(self._tasks):
            task.cancel()

    # --- internals ---

    def _admit(
        self, raw_context: Mapping[str, Any], request: Mapping[str, Any], settle: Settle
    ) -> Run | Refusal:
        if self.stopping:
            return Refusal(SHUTTING_DOWN, "the engine is shutting down")
        context = admit_context(raw_context)
        if isinstance(context, Refusal):
            return context
        user_id, run_id = context["userId"], context["runId"]
        connection_id = context.get("connectionId")
        # ctx.owner. An unknown connection is refused too: its user cannot be vouched for. The
        # message names only what the caller sent, never whose the connection is.
        if connection_id is not None and self._delivery.owner_of(connection_id) != user_id:
            return Refusal(
                FORBIDDEN, f'connection "{clip(connection_id)}" is not attached for user "{clip(user_id)}"'
            )
        admitted = admit_request(
            request.get("agentName", UNDEFINED),
            request.get("input", UNDEFINED),
            self._agents,
            self.limits.maxInputBytes,
        )
        if isinstance(admitted, Refusal):
            return admitted
        if run_id in self._runs:
            return Refusal(DUPLICATE_RUN, f"run {clip(run_id)} is already active or queued")
        existing = self._users.get(user_id)
        queued = len(existing.queue) if existing is not None else 0
        if self._scheduler.must_wait(existing) and queued >= self.limits.maxQueuedPerUser:
            limit = self.limits.maxQueuedPerUser
            return Refusal(QUEUE_FULL, f"user {clip(user_id)} already has {limit} queued runs")
        # Admitted: only now does the user gain state.
        spec = RunSpec(
            context=context,
            agent=admitted.agent,
            agent_name=admitted.agent_name,
            input=admitted.input,
            input_summary=admitted.input_summary,
        )
        run = Run(self._users.obtain(user_id), spec, self, settle)
        self._runs[run_id] = run
        self._scheduler.enqueue(run)
        self._dispatch()
        return run

    def _dispatch(self) -> None:
        """Start whatever the scheduler allows. A re-entrant call falls through to the outer loop."""
        if self._dispatching:
            return
        self._dispatching = True
        try:
            while not self.stopping:
                run = self._scheduler.next()
                if run is None:
                    break
                try:
                    run.start()
                except Exception:
                    self._finish(run, Failed("error", "internal engine fault: the run could not start"))
        finally:
            self._dispatching = False

    def _finish(self, run: Run, outcome: Outcome) -> None:
        """The one way an active run ends: slot back first, then the terminal, then the next run."""
        if run.state != "active":
            return
        self._scheduler.release(run)
        if self._runs.get(run.run_id) is run:
            del self._runs[run.run_id]
        try:
            run.terminate(outcome)
        except Exception:
            pass  # terminate guards each step; nothing may keep the next run waiting
        self._dispatch()
        self._users.release(run.user)

    def _drop_queued(self, run: Run, message: str) -> None:
        self._scheduler.unqueue(run)
        if self._runs.get(run.run_id) is run:
            del self._runs[run.run_id]
        run.drop(message)

    def _close(self, user_id: str, message: str) -> None:
        """closeUser: unregister first (new work starts a fresh record), then end what was theirs."""
        user = self._users.get(user_id)
        if user is None:
            return
        self._users.remove(user)
        user.closed = True
        for run in list(user.queue):
            self._drop_queued(run, message)
        for run in list(user.active):
            self._finish(run, Failed("cancelled", message))
        self._delivery.close(user)

