/**
 * `crosstalk repro <token|file>`: replays one witness found by exploration (its scenario, on
 * its engine, over the transport it was found on, under its recorded schedule), says whether the same clause breaks with the same
 * witness, and prints the timeline. Exit 1 when it reproduces, 0 when the clause now holds (so
 * `git bisect run npx crosstalk repro <token>` finds the commit that broke or fixed it).
 */
import type { Command } from "commander";
import { renderTimeline } from "../../../reports/timeline.ts";
import { EngineLoadError } from "../../adapters/load.ts";
import { readWitnessFile } from "../../explore/corpus.ts";
import { replayWitness } from "../../explore/replay.ts";
import { makeTarget } from "../../explore/target.ts";
import { decodeToken, looksLikeToken, TokenError, type WitnessSpec } from "../../explore/token.ts";
import { EngineStartError } from "../../explore/trial.ts";
import { CliError, EXIT } from "../exit-codes.ts";

export interface ReproOptions {
  witness: string;
  timeline: boolean;
}

export async function reproCommand(
  options: ReproOptions,
  write: (text: string) => void = (text) => process.stdout.write(text),
): Promise<number> {
  const spec = await readSpec(options.witness);
  let target: Awaited<ReturnType<typeof makeTarget>>;
  try {
    target = await makeTarget(spec.engine, { baseline: false });
  } catch (error) {
    if (error instanceof EngineLoadError) throw new CliError(error.message, EXIT.engine);
    throw error;
  }
  let replay: Awaited<ReturnType<typeof replayWitness>>;
  try {
    replay = await replayWitness(spec, target);
  } catch (error) {
    if (error instanceof EngineStartError) throw new CliError(error.message, EXIT.engine);
    throw error;
  }
  const users = spec.scenario.users.length;
  const runs = spec.scenario.ops.filter((op) => op.op === "execute").length;
  const over = spec.transport === "ws" ? " over WebSockets" : "";
  write(
    `replaying ${spec.engine}${over}: ${spec.clause} (found with strategy ${spec.strategy}, seed ${spec.seed}, path ${spec.path}; ` +
      `${users} user${users === 1 ? "" : "s"}, ${runs} run${runs === 1 ? "" : "s"}, ${spec.picks.length} schedule deviation${spec.picks.length === 1 ? "" : "s"})\n`,
  );
  if (options.timeline) {
    write("\n");
    write(
      renderTimeline(replay.trial.history, {
        marked: replay.witness?.entries ?? [],
        ...(replay.witness ? { violation: `${spec.clause}: ${replay.witness.summary}` } : {}),
      }),
    );
    write("\n");
  }
  if (!replay.witness) {
    write(`✓ ${spec.clause} held: the witness no longer reproduces\n`);
    return EXIT.ok;
  }
  write(`✗ ${spec.clause} broken: ${replay.witness.summary}\n`);
  write(
    replay.same
      ? "  the same witness as recorded\n"
      : "  (a different witness than recorded: the engine or the harness changed since)\n",
  );
  return EXIT.unexpected;
}

async function readSpec(witness: string): Promise<WitnessSpec> {
  try {
    return looksLikeToken(witness) ? decodeToken(witness) : await readWitnessFile(witness);
  } catch (error) {
    if (error instanceof TokenError) throw new CliError(error.message, EXIT.usage);
    throw error;
  }
}

export function registerRepro(program: Command): void {
  program
    .command("repro")
    .description("replay a witness found by `crosstalk explore` and print its timeline")
    .argument("<witness>", "a replay token (ct1.…) or a witness file under reports/out/witnesses/")
    .option("--no-timeline", "do not print the timeline")
    .addHelpText(
      "after",
      `
A witness found with --transport ws is replayed over real WebSockets: the virtual timers follow
the recorded picks, the frames cross real sockets (see \`crosstalk explore --help\`).

Examples:
  $ crosstalk repro ct1.…                      # the line \`crosstalk explore\` printed
  $ crosstalk repro reports/out/witnesses/legacy-global/<clause>-<digest>.json --no-timeline
  $ git bisect run npx crosstalk repro ct1.…   # the commit that broke (or fixed) it

Exit codes: 1 the witness reproduces (the clause is broken), 0 it no longer does,
2 bad token or file, 3 the engine failed to load or start.`,
    )
    .action(async (witness: string, options: Record<string, unknown>) => {
      process.exitCode = await reproCommand({ witness, timeline: options.timeline as boolean });
    });
}
