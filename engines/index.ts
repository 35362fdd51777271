/** The engines bundled with crosstalk, by name: the reference first, then the legacy models. */
import type { EngineModule } from "../harness/contract/index.ts";

type Loader = () => Promise<{ default: EngineModule }>;

export const BUNDLED_ENGINES: Readonly<Record<string, Loader>> = {
  ssot: () => import("./ssot/index.ts"),
};

export const REFERENCE_ENGINE = "ssot";
