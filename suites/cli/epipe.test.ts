// A reader that closes early (`crosstalk --help | head -1`) ends the command quietly: no EPIPE
// stack trace, and the exit code the command would have had.
import { spawn } from "node:child_process";
import path from "node:path";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { dropOutputOnClosedPipe } from "../../harness/cli/main.ts";
import { root } from "./cli.ts";

interface Closed {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/**
 * `crosstalk …` as a child process whose stdout reader goes away: at once (before the command
 * writes anything, so its first write fails: the case that crashed), or after the first chunk it
 * reads (as `head -1` does; help is written in one go, so that chunk is usually all of it).
 */
function crosstalkClosing(when: "at once" | "after the first chunk", ...args: string[]) {
  const main = path.join(root, "harness/cli/main.ts");
  const child = spawn(process.execPath, ["--import", "tsx", main, ...args], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, CI: "true", NO_COLOR: "1" },
  });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (text: string) => {
    stderr += text;
  });
  if (when === "at once") child.stdout.destroy();
  else child.stdout.once("data", () => child.stdout.destroy());
  return new Promise<Closed>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stderr }));
  });
}

describe("stdout closed by its reader", () => {
  for (const args of [["--help"], ["run", "--help"]]) {
    it(`crosstalk ${args.join(" ")}, reader gone at once: exit 0, no stack trace`, async () => {
      const { code, signal, stderr } = await crosstalkClosing("at once", ...args);
      expect(stderr).not.toMatch(/EPIPE|Error|\n\s+at /);
      expect({ code, signal }).toEqual({ code: 0, signal: null });
    });
  }

  it("crosstalk --help, reader gone after the first chunk: exit 0, no stack trace", async () => {
    const { code, signal, stderr } = await crosstalkClosing("after the first chunk", "--help");
    expect(stderr).not.toMatch(/EPIPE|Error|\n\s+at /);
    expect({ code, signal }).toEqual({ code: 0, signal: null });
  });

  it("drops a closed pipe's EPIPE, and throws any other error of the stream", () => {
    const stream = new PassThrough();
    dropOutputOnClosedPipe(stream);
    const epipe = Object.assign(new Error("write EPIPE"), { code: "EPIPE" });
    expect(() => stream.emit("error", epipe)).not.toThrow();
    const eio = Object.assign(new Error("write EIO"), { code: "EIO" });
    expect(() => stream.emit("error", eio)).toThrow("write EIO");
  });
});
