/**
 * Issuing a scenario's operations over real sockets: an attach opens a tab (a socket that
 * authenticates), a detach closes it, executes and cancels go out as frames of one of the user's
 * open tabs. What no socket can carry goes to the engine directly (ws-direct.ts).
 */
import { SimSocket } from "../transport/client.ts";
import { executeFrame } from "../transport/execute-frame.ts";
import { mintToken } from "../transport/token.ts";
import type { WireSent, WireSocket } from "../transport/wire-log.ts";
import type { Operation } from "./scenario.ts";
import { direct } from "./ws-direct.ts";
import { arrived, clientClosed } from "./ws-frames.ts";
import { cut, isPlainJson } from "./ws-record.ts";
import type { ExecuteOp, Sock, WireState } from "./ws-state.ts";

/** Issues one scenario operation, over a socket when one can carry it. */
export async function issue(state: WireState, operation: Operation, epilogue = false) {
  switch (operation.op) {
    case "attach":
      return attach(state, operation);
    case "detach":
      return detach(state, operation);
    case "execute":
      return execute(state, operation);
    case "cancel":
      return cancel(state, operation);
    case "closeUser":
    case "stats":
    case "shutdown":
      return direct(state, operation, "an operator's call, not a client's", epilogue);
  }
}

async function attach(state: WireState, operation: Extract<Operation, { op: "attach" }>) {
  const existing = state.byName.get(operation.connectionId);
  if (existing && !existing.closed) {
    await detach(state, { op: "detach", connectionId: existing.name });
  }
  const sock = open(state, operation.connectionId, operation.userId, {
    token: mintToken(state.o.secret, operation.userId),
  });
  sock.ops[0] = { operation };
}

async function detach(state: WireState, operation: Extract<Operation, { op: "detach" }>) {
  const sock = state.byName.get(operation.connectionId);
  if (!sock || sock.closed || !sock.usable) {
    return direct(state, operation, "no open socket has this connection id");
  }
  sock.detachOp = { operation };
  sock.usable = false;
  // What the engine sent before the tab closed reached it (the in-process detach is instant).
  await state.quiet.until(() => sock.slots.size === 0 || sock.closed);
  await sock.sim.close();
}

async function execute(state: WireState, operation: ExecuteOp) {
  const { context, request } = operation;
  if (!isPlainJson(context) || !isPlainJson(request)) {
    return direct(state, operation, "the request is not JSON: no frame can carry it");
  }
  const named = context.connectionId;
  const own = named !== undefined ? state.byName.get(named) : undefined;
  const sock =
    own?.usable && own.user === context.userId ? own : state.firstSocketOf(context.userId);
  if (!sock) return direct(state, operation, "the user has no open socket");
  // Named connections travel as the gateway knows them; unknown names as they are.
  const frame = executeFrame(operation, sock.name, (name) => {
    const target = state.byName.get(name);
    return target?.usable && target.gatewayId ? target.gatewayId : name;
  });
  sendOp(state, sock, operation, frame, "execute");
}

async function cancel(state: WireState, operation: Extract<Operation, { op: "cancel" }>) {
  const sock = state.firstSocketOf(operation.byUserId);
  if (!sock || typeof operation.runId !== "string") {
    return direct(state, operation, "the user has no open socket");
  }
  sendOp(state, sock, operation, { type: "cancel", runId: operation.runId }, "cancel");
}

function sendOp(
  state: WireState,
  sock: Sock,
  operation: Operation,
  frame: object,
  kind: WireSent["kind"],
): void {
  sock.ops[sock.frames] = { operation };
  sentLog(state, sock, kind, undefined, frame);
  sock.frames += 1;
  sock.sim.send(frame);
}

/** Opens a tab: a real socket that records what it receives; it authenticates with `token`. */
export function open(
  state: WireState,
  name: string,
  user: string | undefined,
  options: { token?: string },
): Sock {
  const log: WireSocket = { name, authenticated: false, sent: [], received: [] };
  if (user !== undefined) log.user = user;
  state.log.sockets.push(log);
  const sock: Sock = {
    name,
    user,
    log,
    ops: [],
    frames: 0,
    handled: 0,
    slots: new Map(),
    usable: false,
    closed: false,
    gatewayClosed: false,
    sim: new SimSocket(state.gateway.url, {
      name,
      ...options,
      onFrame: (frame) => arrived(state, sock, frame),
      onClose: (info) => clientClosed(state, sock, info),
    }),
  };
  if (options.token !== undefined) {
    sentLog(state, sock, "auth", undefined, { type: "auth" });
    sock.frames = 1;
  }
  sock.sim.opened.then(
    (port) => state.byPort.set(port, sock),
    () => {},
  );
  state.socks.push(sock);
  state.byName.set(name, sock);
  return sock;
}

function sentLog(
  state: WireState,
  sock: Sock,
  kind: WireSent["kind"],
  probe: WireSent["probe"],
  frame: object,
): void {
  const sent: WireSent = { no: sock.frames, at: state.o.clock.now(), kind };
  if (probe) sent.probe = probe;
  if (kind === "probe" || probe) sent.text = cut(JSON.stringify(frame));
  sock.log.sent.push(sent);
}
