/**
 * The cost of a user session opened and closed, on one engine instance:
 * - in process: attach a connection for a new user, detach it, closeUser (driven to settled);
 * - over WebSockets: open a socket to the gateway, authenticate, receive `welcome`, close it and
 *   wait for the close to complete (the gateway detaches it from the engine).
 * Each sample is one session's milliseconds.
 */
import type { EngineModule } from "../../contract/index.ts";
import { serveEngine } from "../../transport/serve.ts";
import { Driver } from "./drive.ts";
import { type Budget, measure, type Stats } from "./stats.ts";
import { sessionOverUrl } from "./url.ts";

export async function sessionInProcess(module: EngineModule, budget: Budget): Promise<Stats> {
  const driver = new Driver(module, 1);
  let n = 0;
  try {
    const result = await measure(`${module.name} session in process`, budget, async () => {
      const userId = `s${++n}`;
      const started = performance.now();
      const connectionId = driver.attach(userId);
      driver.engine.detach(connectionId);
      await driver.settle([driver.engine.closeUser(userId)]);
      const costMs = performance.now() - started;
      return { value: costMs, costMs };
    });
    return result.latency;
  } finally {
    await driver.shutdown();
  }
}

/** The same session as at a URL, against this engine behind the gateway (virtual-time pump). */
export async function sessionOverWs(module: EngineModule, budget: Budget): Promise<Stats> {
  const served = await serveEngine(module);
  try {
    return await sessionOverUrl({ url: served.url, secret: served.secret }, budget);
  } finally {
    await served.close();
  }
}
