/**
 * The command of the container image .ci/container-image.sh builds: serves the reference engine
 * over the wire protocol inside a container, as the container launcher expects (the port from
 * CROSSTALK_PORT on all interfaces, so the published port reaches it; tokens signed with
 * CROSSTALK_SECRET; a `listening on` line; CROSSTALK_AUTH_TIMEOUT_MS as the Python engine reads
 * it). It is `crosstalk serve --engine ssot --host 0.0.0.0` (its serveCommand, real time), in
 * this process: one Node start-up, not two.
 */
import { serveCommand } from "../../cli/commands/serve.ts";

const port = Number(process.env.CROSSTALK_PORT);
const secret = process.env.CROSSTALK_SECRET;
if (!Number.isInteger(port) || port <= 0 || !secret) {
  process.stderr.write("serve-in-container: CROSSTALK_PORT and CROSSTALK_SECRET are required\n");
  process.exit(2);
}

// As the Python engine: how long a socket may take to authenticate before it is closed (4401).
const authTimeoutMs = Number(process.env.CROSSTALK_AUTH_TIMEOUT_MS ?? 5000);
const served = await serveCommand({
  engine: "ssot",
  port,
  host: "0.0.0.0",
  secret,
  limits: {},
  clock: "real",
  authTimeoutMs,
});
process.stdout.write(`listening on 0.0.0.0:${port} (reference engine ssot)\n`);

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    served.close().finally(() => process.exit(0));
  });
}
