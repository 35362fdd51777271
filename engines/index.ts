/** The engines bundled with crosstalk, by name: the reference first, then the legacy models. */
import type { EngineModule } from "../harness/contract/index.ts";

type Loader = () => Promise<{ default: EngineModule }>;

export const BUNDLED_ENGINES: Readonly<Record<string, Loader>> = {
  ssot: () => import("./ssot/index.ts"),
  "legacy-global": () => import("./legacy-global/index.ts"),
  "request-scoped": () => import("./request-scoped/index.ts"),
  mcp: () => import("./mcp/index.ts"),
  consolidated: () => import("./consolidated/index.ts"),
  "isolated-factory": () => import("./isolated-factory/index.ts"),
  "base-executor": () => import("./base-executor/index.ts"),
};

export const REFERENCE_ENGINE = "ssot";
