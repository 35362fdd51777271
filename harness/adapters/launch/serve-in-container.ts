/**
 * The command of the container image .ci/container-image.sh builds: serves the reference engine
 * over the wire protocol inside a container, as the container launcher expects (the port from
 * CROSSTALK_PORT on all interfaces, tokens signed with CROSSTALK_SECRET, a `listening on` line;
 * CROSSTALK_AUTH_TIMEOUT_MS as the Python engine reads it).
 *
 * It is `crosstalk serve --engine ssot` (its serveCommand, real time). That listens on loopback
 * only, which a published container port cannot reach, so it takes a free loopback port and a
 * byte-for-byte TCP relay exposes it on CROSSTALK_PORT.
 */
import { createConnection, createServer, type Socket } from "node:net";
import { serveCommand } from "../../cli/commands/serve.ts";

const port = Number(process.env.CROSSTALK_PORT);
const secret = process.env.CROSSTALK_SECRET;
if (!Number.isInteger(port) || port <= 0 || !secret) {
  process.stderr.write("serve-in-container: CROSSTALK_PORT and CROSSTALK_SECRET are required\n");
  process.exit(2);
}

// As the Python engine: how long a socket may take to authenticate before it is closed (4401).
const authTimeoutMs = Number(process.env.CROSSTALK_AUTH_TIMEOUT_MS ?? 5000);
// What `crosstalk serve --engine ssot --port 0` runs, in this process (one Node start-up, not two).
const served = await serveCommand({
  engine: "ssot",
  port: 0,
  secret,
  limits: {},
  clock: "real",
  authTimeoutMs,
});
const inner = Number(new URL(served.url).port);

const relay = createServer((client) => {
  const upstream = createConnection(inner, "127.0.0.1");
  const cut = (other: Socket) => () => other.destroy();
  client.on("error", cut(upstream)).on("close", cut(upstream));
  upstream.on("error", cut(client)).on("close", cut(client));
  client.pipe(upstream).pipe(client);
});
relay.listen(port, "0.0.0.0", () => {
  process.stdout.write(`listening on 0.0.0.0:${port} (reference engine ssot)\n`);
});

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    relay.close();
    served.close().finally(() => process.exit(0));
  });
}
