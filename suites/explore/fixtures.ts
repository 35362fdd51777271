/**
 * Engines and scenarios for the exploration suites. `deferredSend` has a defect that only some
 * interleavings show: it hands each frame to the connection from a 0 ms timer of the engine's
 * clock (a send queue), so when two frames are due at one instant and the scheduler fires the
 * later one first, a connection gets a run's events out of seq order (delivery.order). Under
 * FIFO it is indistinguishable from the reference.
 */
import type { EngineModule } from "../../harness/contract/index.ts";
import type { Scenario } from "../../harness/run/scenario.ts";
import { mutant } from "../fixtures/mutant.ts";

export const deferredSend: EngineModule = mutant("deferred-send", (inner, deps) => ({
  attach(connection) {
    inner.attach({
      id: connection.id,
      userId: connection.userId,
      send: (event) => {
        deps.clock.setTimeout(() => connection.send(event), 0);
      },
    });
  },
}));

/** A module `crosstalk explore --engine` and `repro` can load. */
export default deferredSend;

/** One user, one connection, one run that thinks twice: two frames due at one instant. */
export const twoThoughts: Scenario = {
  name: "two-thoughts",
  users: ["u1"],
  ops: [
    { op: "attach", connectionId: "c1", userId: "u1", at: 0 },
    {
      op: "execute",
      at: 0,
      context: { userId: "u1", threadId: "t1", runId: "r1", requestId: "q1", metadata: {} },
      request: { agentName: "scripted", input: { steps: [{ think: "a" }, { think: "b" }] } },
    },
  ],
};
