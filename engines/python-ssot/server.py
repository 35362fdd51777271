#!/usr/bin/python3
"""
Entry point of the Python execution engine (engines/python-ssot): reads its configuration from
the environment, serves the wire protocol on 127.0.0.1, prints `listening on 127.0.0.1:<port>`
once ready, and exits cleanly on SIGTERM or SIGINT (runs cancelled, sockets closed with 1001).

    CROSSTALK_SECRET=s CROSSTALK_PORT=0 /usr/bin/python3 engines/python-ssot/server.py

Exit codes: 0 after a clean stop, 2 for a bad configuration, 1 when the port cannot be bound.
"""
from __future__ import annotations

import sys

sys.dont_write_bytecode = True  # the engine's folder stays clean; set before the imports below

import asyncio  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
from typing import Mapping  # noqa: E402

import websockets  # noqa: E402

from agent import AgentRegistry, ScriptedToolRegistry  # noqa: E402
from engine import Engine  # noqa: E402
from gateway import Gateway  # noqa: E402
from limits import GatewayBounds, Limits, bounds_from_env, limits_from_env  # noqa: E402

HOST = "127.0.0.1"


def port_from_env(environ: Mapping[str, str]) -> int:
    text = environ.get("CROSSTALK_PORT", "").strip() or "0"
    try:
        port = int(text)
    except ValueError:
        raise ValueError(f"CROSSTALK_PORT must be a port number, not {text!r}") from None
    if not 0 <= port <= 65535:
        raise ValueError(f"CROSSTALK_PORT must be 0..65535, not {port}")
    return port


async def serve(secret: str, port: int, limits: Limits, bounds: GatewayBounds) -> int:
    engine = Engine(AgentRegistry(), ScriptedToolRegistry(), limits)
    gateway = Gateway(engine, secret, bounds)
    try:
        server = await websockets.serve(
            gateway.handle,
            HOST,
            port,
            max_size=bounds.maxFrameBytes,  # a longer frame: the library closes with 1009
            compression=None,
            ping_interval=None,  # the harness measures liveness itself
            close_timeout=1.0,  # a close that cannot get through (slow reader) is cut after 1 s
        )
    except OSError as error:
        print(f"python-ssot: cannot listen on {HOST}:{port}: {error}", file=sys.stderr)
        return 1
    bound = server.sockets[0].getsockname()[1] if server.sockets else port
    print(f"listening on {HOST}:{bound}", flush=True)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()

    await gateway.shutdown()
    server.close()
    await server.wait_closed()
    await asyncio.sleep(0)  # let cancelled agent and tool tasks unwind
    return 0


def main() -> int:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="python-ssot: %(message)s")
    environ = os.environ
    secret = environ.get("CROSSTALK_SECRET", "")
    if not secret:
        print("python-ssot: CROSSTALK_SECRET is not set; refusing to serve without a secret", file=sys.stderr)
        return 2
    try:
        port = port_from_env(environ)
        limits = limits_from_env(environ)
        bounds = bounds_from_env(environ, limits)
    except ValueError as error:
        print(f"python-ssot: {error}", file=sys.stderr)
        return 2
    return asyncio.run(serve(secret, port, limits, bounds))


if __name__ == "__main__":
    sys.exit(main())
