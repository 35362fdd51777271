/** The in-memory transport: a connection is an object whose send() records a copy of the frame. */
import type { AgentEvent, Connection } from "../contract/index.ts";

export type FrameSink = (connectionId: string, userId: string, frame: unknown) => void;

export function memoryConnection(id: string, userId: string, sink: FrameSink): Connection {
  return {
    id,
    userId,
    send(event: AgentEvent) {
      sink(id, userId, event);
    },
  };
}
