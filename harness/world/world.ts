/** The world an engine runs in: the harness's agents, tools, canaries and virtual clock. */
import type { Agent, AgentRegistry } from "../contract/index.ts";
import { ScriptedAgent } from "./agent.ts";
import { canariesFor } from "./canary.ts";
import { type TimerChooser, VirtualClock } from "./clock.ts";
import { silentObserver, type WorldObserver } from "./observer.ts";
import { ScriptedToolRegistry } from "./tools.ts";

export interface WorldOptions {
  seed: string | number;
  users: readonly string[];
  observer?: WorldObserver;
  chooser?: TimerChooser;
}

export class World {
  readonly clock: VirtualClock;
  readonly canaries: ReadonlyMap<string, string>;
  readonly agents: AgentRegistry;
  readonly tools: ScriptedToolRegistry;

  constructor(options: WorldOptions) {
    const observer = options.observer ?? silentObserver;
    this.clock = new VirtualClock(options.chooser);
    this.canaries = canariesFor(options.seed, options.users);
    const scripted: Agent = new ScriptedAgent(this.clock, observer);
    this.agents = { get: (name) => (name === scripted.name ? scripted : undefined) };
    this.tools = new ScriptedToolRegistry(this.clock, this.canaries, observer);
  }

  canaryOf(userId: string): string | undefined {
    return this.canaries.get(userId);
  }
}
