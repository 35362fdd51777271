/**
 * The engine in another language: engines/python-ssot, started with the process launcher (its
 * port and secret in its environment) and checked with the remote checker, over the wire only.
 * It must hold every clause that can be checked that way; the rest are not-checked with the
 * remote checker's reason, never held. (`npm test` runs the quick cover, quick-cover.ts;
 * `npm run test:wire` runs every scenario.)
 */
import { describe, it } from "vitest";
import { checkLaunched } from "../../harness/adapters/launch/check-launched.ts";
import { PYTHON_ENGINE, REPO } from "./commands.ts";
import { QUICK_ENGINE_ENV, wireCover } from "./quick-cover.ts";
import { expectWireClausesHeld } from "./wire-verdicts.ts";

const cover = wireCover();

describe("the Python engine, launched with --command", () => {
  it(
    "holds every clause that can be checked over the wire",
    async () => {
      const result = await checkLaunched(
        { command: PYTHON_ENGINE, options: { cwd: REPO, env: QUICK_ENGINE_ENV } },
        {
          seed: 7,
          maxScenarioMs: cover.maxScenarioMs,
          ...(cover.scenarios ? { scenarios: cover.scenarios } : {}),
        },
      );
      const summary = expectWireClausesHeld(result.report, cover);
      process.stdout.write(`python-ssot over the wire (${result.url}): ${summary}\n`);
    },
    cover.testTimeoutMs,
  );
});
