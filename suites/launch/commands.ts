/** Shell commands that start the engines and fixtures these suites launch. */
import { fileURLToPath } from "node:url";

export const REPO = fileURLToPath(new URL("../..", import.meta.url));

/** The Python engine, as its README runs it (Debian's python3 and python3-websockets). */
export const PYTHON_ENGINE = "/usr/bin/python3 engines/python-ssot/server.py";

/** Accepts connections, then dies on its CRASH_AFTER-th frame (exit 70, a line on stderr). */
export const CRASHING_ENGINE = "/usr/bin/python3 -B suites/launch/fixtures/crash_on_frame.py";
