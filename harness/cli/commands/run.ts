/** `crosstalk run`: check engines against the contract and print the conformance matrix. */
import type { Command } from "commander";
import { InvalidArgumentError, Option } from "commander";
import { resultsDocument } from "../../../reports/results.ts";
import { type ReporterName, writeReports } from "../../../reports/write.ts";
import {
  checkLaunched,
  type LaunchSpec,
  launchName,
} from "../../adapters/launch/check-launched.ts";
import { launchSpecFrom, parseMount } from "../../adapters/launch/spec.ts";
import { bundledEngineNames, EngineLoadError, loadEngine } from "../../adapters/load.ts";
import { checkRemote, type RemoteTarget } from "../../adapters/remote/check.ts";
import { RemoteUsageError, remoteTargetFrom } from "../../adapters/remote/cli-target.ts";
import { renderNotChecked } from "../../adapters/remote/render.ts";
import { type Baseline, readBaseline } from "../../conformance/baseline.ts";
import { scenariosFor, TRANSPORTS, type Transport } from "../../conformance/catalogue.ts";
import { checkEngine, type EngineReport } from "../../conformance/check-engine.ts";
import type { EngineModule } from "../../contract/index.ts";
import { CliError, EXIT } from "../exit-codes.ts";
import { judge } from "../judge.ts";
import {
  limitsFrom,
  maxHistoryEntriesOption,
  type ScenarioLimits,
  scenarioTimeoutOption,
} from "../limits.ts";
import { runProgress } from "../progress.ts";
import {
  benchOption,
  consoleColors,
  listReportFiles,
  outOption,
  type ReportOutputOptions,
  readBench,
  reporterOption,
} from "../reporters.ts";
import { shardOption } from "../shard/option.ts";
import { type Shard, shardPlan, shardUnits } from "../shard/plan.ts";

export interface RunCommandOptions extends ReportOutputOptions {
  engine: string[];
  scenario?: string[];
  seed: string;
  /** In process (default) or over real WebSockets. */
  transport?: Transport;
  /** Only this machine's part of the run (`--shard i/n`). */
  shard?: Shard;
  /** The harness's bounds on each scenario (`--scenario-timeout`, `--max-history-entries`). */
  limits?: ScenarioLimits;
  /** `--command`/`--image`: start this engine, check it over the wire, stop it (`engine` unused). */
  launch?: LaunchSpec;
  /** `--url`/`--secret`: an engine already running, checked over the wire. */
  remote?: RemoteTarget;
}

export interface RunOutcome {
  exitCode: number;
  reports: EngineReport[];
}

export async function runCommand(
  options: RunCommandOptions,
  write = stdoutWrite,
): Promise<RunOutcome> {
  for (const name of options.scenario ?? []) {
    if (!scenariosFor(options.transport ?? "memory").some((s) => s.scenario.name === name)) {
      const wireOnly = scenariosFor("ws").some((s) => s.scenario.name === name);
      const hint = wireOnly ? " (it runs over the wire only: add --transport ws)" : "";
      throw new CliError(`unknown scenario "${name}"${hint}`, EXIT.usage);
    }
  }
  const baseline: Baseline = await readBaseline(options.baseline).catch((error: Error) => {
    throw new CliError(error.message, EXIT.usage);
  });
  // Read before the run, so a bad --bench is reported at once, not after every scenario.
  const bench = options.reporters.includes("html")
    ? await readBench(options.bench, options.out)
    : undefined;
  const transport = options.transport ?? "memory";
  const shape = {
    engines: options.engine,
    scenarios: scenariosFor(transport)
      .map((s) => s.scenario.name)
      .filter((name) => !options.scenario || options.scenario.includes(name)),
    transport,
    seed: options.seed,
  };
  const units = options.shard ? shardUnits(shape, options.shard) : undefined;
  const progress = runProgress(
    units ? units.size : shape.engines.length,
    units
      ? [...units.values()].reduce((n, list) => n + list.length, 0)
      : shape.engines.length * shape.scenarios.length,
  );
  const reports: EngineReport[] = [];
  const specs: string[] = [];
  if (options.launch) {
    progress.engineStarted(launchName(options.launch));
    const { report } = await checkLaunched(options.launch, {
      seed: options.seed,
      ...(options.scenario ? { scenarios: options.scenario } : {}),
      onHistory: (_history, verdicts) => progress.verdicts(verdicts),
      onScenario: (_done, _total, name) => progress.scenarioDone(name),
    });
    reports.push(report);
  }
  if (options.remote) {
    progress.engineStarted(options.remote.url);
    const report = await checkRemote(options.remote, {
      seed: options.seed,
      ...(options.scenario ? { scenarios: options.scenario } : {}),
      onHistory: (_history, verdicts) => progress.verdicts(verdicts),
      onScenario: (_done, _total, name) => progress.scenarioDone(name),
    });
    reports.push(report);
  }
  for (const spec of options.launch || options.remote ? [] : options.engine) {
    const scenarios = units ? units.get(spec) : options.scenario;
    if (units && !scenarios) continue;
    specs.push(spec);
    progress.engineStarted(spec);
    let module: EngineModule;
    try {
      module = await loadEngine(spec);
    } catch (error) {
      if (!(error instanceof EngineLoadError)) throw error;
      reports.push({ name: spec, failure: error.message, clauses: [], scenarios: [] });
      continue;
    }
    const report = await checkEngine(module, {
      engineSpec: spec,
      seed: options.seed,
      ...(options.transport ? { transport: options.transport } : {}),
      ...(scenarios ? { scenarios } : {}),
      ...(options.limits ? { limits: options.limits } : {}),
      onHistory: (_history, verdicts) => progress.verdicts(verdicts),
      onScenario: (_done, _total, name) => progress.scenarioDone(name),
    });
    reports.push(report);
  }
  progress.stop();
  // A shard cannot tell a stale entry: the break may be another shard's (judged at the merge).
  const { exitCode } = judge(reports, baseline, { stale: !options.shard });
  const document = resultsDocument(reports);
  if (options.shard) Object.assign(document, { shard: shardPlan(shape, options.shard, specs) });
  const files = await writeReports(document, {
    reporters: options.reporters,
    out: options.out,
    colors: consoleColors(),
    write,
    ...(bench !== undefined ? { bench } : {}),
  });
  if (options.shard) {
    write(
      `shard ${options.shard.index}/${options.shard.count}: ${units?.size ?? 0} engine(s); merge every shard's results.json with crosstalk report --merge\n`,
    );
  }
  if (options.remote) for (const report of reports) write(renderNotChecked(report));
  listReportFiles(files, write);
  return { exitCode, reports };
}

function stdoutWrite(text: string): void {
  process.stdout.write(text);
}

export function registerRun(program: Command): void {
  program
    .command("run")
    .description("check engines against the contract and print the conformance matrix")
    .option(
      "-e, --engine <name|path...>",
      `bundled engine name (${bundledEngineNames().join(", ")}) or path to a module exporting an engine factory`,
    )
    .option("--all", "check every bundled engine (the default when no --engine is given)")
    .addOption(
      new Option(
        "--command <cmd>",
        "start the engine with this shell command (CROSSTALK_PORT, CROSSTALK_SECRET in its environment), check it over the wire, stop it",
      ).conflicts(["engine", "all", "image"]),
    )
    .addOption(
      new Option(
        "--image <name>",
        "start the engine from this container image (testcontainers; CROSSTALK_PORT, CROSSTALK_SECRET), check it over the wire, remove it",
      ).conflicts(["engine", "all"]),
    )
    .addOption(
      new Option(
        "--url <ws://host:port>",
        "check an engine already running there, over the wire protocol (harness/transport/PROTOCOL.md)",
      ).conflicts(["engine", "all", "command", "image"]),
    )
    .addOption(
      new Option("--secret <secret>", "with --url: the secret the engine verifies tokens with").env(
        "CROSSTALK_SECRET",
      ),
    )
    .option(
      "--mount <host:container...>",
      "with --image: bind-mount a host path read-only",
      (value: string, previous: ReturnType<typeof parseMount>[] = []) => {
        try {
          return [...previous, parseMount(value)];
        } catch (error) {
          throw new InvalidArgumentError((error as Error).message);
        }
      },
    )
    .option("-s, --scenario <name...>", "only these contract scenarios (to replay a witness)")
    .option("--baseline <file>", "expected-verdict baseline", "engines/baseline.json")
    .addOption(reporterOption())
    .addOption(outOption())
    .addOption(benchOption())
    .addOption(shardOption())
    .addOption(scenarioTimeoutOption())
    .addOption(maxHistoryEntriesOption())
    .addOption(new Option("--seed <seed>", "seed for canaries").default("1"))
    .addOption(
      new Option(
        "-t, --transport <transport>",
        "in process, or over real WebSockets (adds the security clauses)",
      )
        .choices(TRANSPORTS)
        .default("memory"),
    )
    // Before --reporter existed; kept so older scripts work: takes json out of the reporters.
    .addOption(new Option("--no-json", "do not write results.json").hideHelp())
    .addHelpText(
      "after",
      `
Examples:
  $ crosstalk run --all
  $ crosstalk run --engine ./my-engine.ts
  $ crosstalk run --engine legacy-global --scenario isolation-same-input-two-users   # replay a witness
  $ crosstalk run --all --transport ws
  $ crosstalk run --command "python3 engines/python-ssot/server.py"   # an engine in any language
  $ crosstalk run --image my-engine:latest                            # in a container
  $ crosstalk run --url ws://127.0.0.1:8765 --secret s3cret           # an engine already running
  $ crosstalk run --all --reporter console,junit,html --out reports/out
  $ crosstalk run --all --shard 2/3 --out shard-2     # then: crosstalk report --merge shard-*/results.json
  $ crosstalk run --config ci/crosstalk.config.ts     # settings from a config file; flags override it

Exit codes: 0 as expected, 1 unexpected break or stale baseline, 2 bad usage, 3 engine failed to load or start.`,
    )
    .action(async (options: Record<string, unknown>) => {
      const engines = (options.engine as string[] | undefined) ?? [];
      const launch = launchSpecFrom(options);
      let remote: RemoteTarget | undefined;
      try {
        remote = remoteTargetFrom(options as { url?: string; secret?: string });
      } catch (error) {
        if (error instanceof RemoteUsageError) throw new CliError(error.message, EXIT.usage);
        throw error;
      }
      if (options.mount && !options.image) throw new CliError("--mount needs --image", EXIT.usage);
      const outcome = await runCommand({
        ...(launch ? { launch } : {}),
        ...(remote ? { remote } : {}),
        engine: remote
          ? [remote.url]
          : launch
            ? [launchName(launch)]
            : options.all || engines.length === 0
              ? [...bundledEngineNames(), ...engines]
              : engines,
        ...(options.scenario ? { scenario: options.scenario as string[] } : {}),
        baseline: options.baseline as string,
        out: options.out as string,
        ...(options.bench ? { bench: options.bench as string } : {}),
        seed: options.seed as string,
        // A launched engine is reached over the wire: its scenarios are the ws ones.
        transport: launch || remote ? "ws" : (options.transport as Transport),
        reporters: (options.reporter as ReporterName[]).filter(
          (r) => options.json !== false || r !== "json",
        ),
        ...(options.shard ? { shard: options.shard as Shard } : {}),
        ...(limitsFrom(options) ? { limits: limitsFrom(options) } : {}),
      });
      process.exitCode = outcome.exitCode;
    });
}
