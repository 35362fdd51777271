/**
 * The cost of a user session opened and closed, on one engine instance:
 * - in process: attach a connection for a new user, detach it, closeUser (driven to settled);
 * - over WebSockets: open a socket to the gateway, authenticate, receive `welcome`, close it and
 *   wait for the close to complete (the gateway detaches it from the engine).
 * Each sample is one session's milliseconds.
 */
import type { EngineModule } from "../../contract/index.ts";
import { SimSocket } from "../../transport/client.ts";
import { serveEngine } from "../../transport/serve.ts";
import { Driver } from "./drive.ts";
import { type Budget, measure, type Stats } from "./stats.ts";

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

export async function sessionOverWs(module: EngineModule, budget: Budget): Promise<Stats> {
  const served = await serveEngine(module);
  let n = 0;
  try {
    const result = await measure(`${module.name} session over ws`, budget, async () => {
      const userId = `s${++n}`;
      const started = performance.now();
      let welcomed: () => void = () => {};
      const welcome = new Promise<void>((resolve) => {
        welcomed = resolve;
      });
      const socket = new SimSocket(served.url, {
        name: `${userId}-tab`,
        token: served.token(userId),
        record: false,
        onFrame: (frame) => {
          if (isWelcome(frame.text)) welcomed();
        },
      });
      const closed = socket.closed.then((info) => {
        throw new Error(`the gateway closed the socket before welcome (${info.code})`);
      });
      await Promise.race([welcome, closed]);
      closed.catch(() => {});
      await socket.close();
      const costMs = performance.now() - started;
      return { value: costMs, costMs };
    });
    return result.latency;
  } finally {
    await served.close();
  }
}

function isWelcome(text: string): boolean {
  try {
    return (JSON.parse(text) as { type?: unknown }).type === "welcome";
  } catch {
    return false;
  }
}
