// Where a served engine listens: loopback by default, so only this machine reaches it; every
// interface with `host: "0.0.0.0"` (`crosstalk serve --host 0.0.0.0`), as a container needs.
import os from "node:os";
import { afterEach, describe, expect, it } from "vitest";
import ssot from "../../engines/ssot/index.ts";
import { hello } from "../../harness/adapters/remote/hello.ts";
import { type LiveServed, serveLive } from "../../harness/adapters/remote/serve-live.ts";

/** An address of this machine other than loopback, if it has one. */
const external = Object.values(os.networkInterfaces())
  .flat()
  .find((i) => i && !i.internal && i.family === "IPv4")?.address;

let served: LiveServed | undefined;
afterEach(async () => {
  await served?.close();
  served = undefined;
});

const at = (host: string, url: string) => `ws://${host}:${new URL(url).port}`;

describe("the address a served engine listens on", () => {
  it("is loopback by default: another interface's address is refused", async (ctx) => {
    served = await serveLive(ssot, { secret: "s" });
    expect(served.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
    expect((await hello(served.url, "s", "u1", 2_000)).ok).toBe(true);
    if (!external) return ctx.skip("this machine has no address but loopback");
    const outside = await hello(at(external, served.url), "s", "u1", 2_000);
    expect(outside.ok).toBe(false);
  });

  it("is every interface with host 0.0.0.0, and its URL is still one this machine connects to", async (ctx) => {
    served = await serveLive(ssot, { secret: "s", host: "0.0.0.0" });
    expect(served.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
    expect((await hello(served.url, "s", "u1", 2_000)).ok).toBe(true);
    if (!external) return ctx.skip("this machine has no address but loopback");
    expect((await hello(at(external, served.url), "s", "u1", 2_000)).ok).toBe(true);
  });
});
