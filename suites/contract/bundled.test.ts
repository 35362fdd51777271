// The contract on every bundled engine, each held to its entry in the expected-verdict baseline:
// the reference must hold everything, each legacy model must break exactly what it lists.
import { readFileSync } from "node:fs";
import path from "node:path";
import { BUNDLED_ENGINES, REFERENCE_ENGINE } from "../../engines/index.ts";
import { parseBaseline } from "../../harness/conformance/baseline.ts";
import { describeContract } from "./describe-contract.ts";

const file = path.resolve(import.meta.dirname, "../../engines/baseline.json");
const baseline = parseBaseline(readFileSync(file, "utf8"), file);

for (const [name, load] of Object.entries(BUNDLED_ENGINES)) {
  const engine = (await load()).default;
  describeContract(engine, {
    engineSpec: name,
    expectedBreaks: baseline[name] ?? [],
    // The reference must let every clause be judged; a legacy model may make some unjudgeable.
    strict: name === REFERENCE_ENGINE,
  });
}
