/**
 * How both runners (runner.ts in process, ws-runner.ts over the wire) start a scenario: the
 * history they fill in, the watch on what the engine creates, the capture of what it lets escape,
 * and the engine from its module's factory. A factory that throws, or returns no engine, ends the
 * run there, with the history's failure saying so (phase "create").
 */
import type { Engine, EngineModule, Limits } from "../contract/index.ts";
import { type ResourceMark, resourceMark } from "../memory/leftovers.ts";
import type { World } from "../world/world.ts";
import { errorMessage } from "./copy.ts";
import type { EngineFailure, History } from "./history.ts";
import type { Recorder } from "./recorder.ts";
import { activeResources, EngineResourceWatch, type ResourceCounts } from "./resources.ts";
import type { Scenario } from "./scenario.ts";
import { captureEscapes } from "./unhandled.ts";

export interface StartedEngine {
  engine: Engine;
  history: History;
  /** Records the run's first failure; later ones are dropped. */
  fail: (failure: EngineFailure) => void;
  /** Resources alive before the engine was created: the leftovers are what was added since. */
  resourcesBefore: ResourceCounts;
  /** Attributes to the engine what it creates; stopped at the end for the leftovers. */
  watch: EngineResourceWatch;
  /** Where to start looking when naming leftovers. */
  mark: ResourceMark;
  /** Stops recording what the engine lets escape (unhandled rejections, uncaught exceptions). */
  releaseEscapes: () => void;
}

/** The engine could not be created: the history (with its "create" failure) is the run's. */
export interface EngineNotStarted {
  engine: undefined;
  history: History;
}

export function startEngine(
  module: EngineModule,
  run: { scenario: Scenario; limits: Limits; world: World; recorder: Recorder },
): StartedEngine | EngineNotStarted {
  const { scenario, limits, world, recorder } = run;
  const clock = world.clock;
  const history: History = {
    engine: module.name,
    scenario,
    limits,
    canaries: Object.fromEntries(world.canaries),
    entries: recorder.entries,
    retention: { checked: false, reason: "not requested", retained: [] },
    leftovers: { virtualTimers: 0, resources: [] },
  };
  const resourcesBefore = activeResources();
  const watch = new EngineResourceWatch();
  const mark = resourceMark();
  const releaseEscapes = captureEscapes((error, source) => recorder.unhandled(error, source));
  const fail = (failure: EngineFailure) => {
    history.failure ??= failure;
  };

  let engine: Engine;
  try {
    engine = watch.during(() =>
      module.create({ agents: world.agents, tools: world.tools, clock, limits }),
    );
    if (!engine || typeof engine.execute !== "function") {
      throw new Error("the factory did not return an object with an execute() method");
    }
  } catch (error) {
    releaseEscapes();
    watch.stop();
    fail({ phase: "create", message: `engine factory threw: ${errorMessage(error)}` });
    return { engine: undefined, history };
  }
  return { engine, history, fail, resourcesBefore, watch, mark, releaseEscapes };
}
