/** Reads a results.json for `crosstalk report`, with a message naming the file when it cannot. */
import { readFile } from "node:fs/promises";
import { resultsSchema } from "../../../reports/results-schema.ts";
import type { EngineReport } from "../../conformance/check-engine.ts";
import type { ShardDocument } from "./merge.ts";
import { shardPlanSchema } from "./plan.ts";

export class ResultsFileError extends Error {
  override name = "ResultsFileError";
}

export async function readResultsFile(file: string): Promise<ShardDocument> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ResultsFileError(
      `cannot read results file ${file}: ${code === "ENOENT" ? "no such file" : (error as Error).message}`,
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new ResultsFileError(`${file} is not JSON: ${(error as Error).message}`);
  }
  const parsed = resultsSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const at = issue?.path.join(".") || "(the document)";
    throw new ResultsFileError(
      `${file} is not a crosstalk results document: field ${at}: ${issue?.message ?? "invalid"}`,
    );
  }
  // The document as written (zod's copy would reorder its fields), now known to be well formed.
  const { engines, shard } = data as { engines: EngineReport[]; shard?: unknown };
  if (shard === undefined) return { file, engines };
  const plan = shardPlanSchema.safeParse(shard);
  if (!plan.success || plan.data.specs.length !== engines.length) {
    throw new ResultsFileError(`${file}: its "shard" field is not one crosstalk run --shard wrote`);
  }
  return { file, engines, shard: plan.data };
}
