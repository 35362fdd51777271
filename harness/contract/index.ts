export * from "./clauses.ts";
export * from "./context.ts";
export * from "./engine.ts";
export * from "./errors.ts";
export * from "./events.ts";
export * from "./ids.ts";
