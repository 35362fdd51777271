import ssot from "../../engines/ssot/index.ts";
import { describeContract } from "../contract/describe-contract.ts";

// The reference engine holds every clause over real WebSockets too, the security clauses included.
describeContract(ssot, { engineSpec: "ssot", transport: "ws", strict: true });
