import ssot from "../../engines/ssot/index.ts";
import { describeContract } from "./describe-contract.ts";

// The reference engine holds every clause that can be checked in process.
describeContract(ssot, { engineSpec: "ssot" });
