/**
 * The results document's schema, version 1: the contract between `crosstalk run` and every tool
 * that reads results.json (the HTML and JUnit reports, `report --merge`, other teams' CI). The
 * JSON Schema in reports/results.schema.json is generated from it (`npm run schema`); a test
 * keeps the two equal. Objects are open: a newer crosstalk may add fields, never remove them.
 */
import { z } from "zod";
import { CLAUSE_IDS } from "../harness/contract/index.ts";

const clauseId = z.enum(CLAUSE_IDS as [string, ...string[]]);

const witness = z.looseObject({
  summary: z.string().describe("one sentence naming the users, runs, events and canaries involved"),
  scenario: z.string().describe("the contract scenario that showed the break"),
  replay: z.string().optional().describe("the command that replays it"),
  entries: z.array(z.number().int().nonnegative()).optional().describe("history entries involved"),
  retainers: z
    .array(
      z.looseObject({
        path: z.string().describe("shortest path from a GC root, by constructor and field names"),
        count: z.number().int().positive().describe("objects held by paths of this shape"),
        kinds: z.array(z.string()).describe("what they are: context, request, input, ..."),
      }),
    )
    .optional()
    .describe("cleanup.*: who holds what the engine retained, most frequent path first"),
  timeline: z
    .looseObject({
      lanes: z.array(
        z.looseObject({
          kind: z.enum(["user", "connection", "engine"]),
          title: z.string().describe("the user, user/connection, or engine"),
        }),
      ),
      marks: z.array(
        z.looseObject({
          index: z.number().int().nonnegative().describe("the history entry: the logical instant"),
          ms: z.number().nonnegative().describe("virtual milliseconds since the scenario started"),
          lane: z.number().int().nonnegative().describe("position in lanes"),
          kind: z.enum(["call", "return", "deliver", "agent", "stats", "error"]),
          text: z.string(),
          violation: z.literal(true).optional().describe("one of the entries the witness names"),
          skipped: z
            .number()
            .int()
            .positive()
            .optional()
            .describe("marks left out just before this one (the history was cut)"),
        }),
      ),
      skippedAfter: z.number().int().positive().optional().describe("marks left out at the end"),
    })
    .optional()
    .describe("the witness's scenario as lanes and marks at logical instants, for the HTML report"),
});

const clause = z.looseObject({
  id: clauseId,
  verdict: z.enum(["held", "broken", "not-checked"]),
  witness: witness.optional(),
  reason: z.string().optional().describe("why the clause was not checked"),
  expected: z.boolean().optional().describe("on a broken clause: whether the baseline lists it"),
});

const engine = z.looseObject({
  name: z.string(),
  failure: z.string().optional().describe("the engine could not be loaded or created"),
  clauses: z.array(clause),
  scenarios: z.array(z.looseObject({ name: z.string(), failure: z.string().optional() })),
  stale: z
    .array(clauseId)
    .optional()
    .describe("clauses the baseline lists as broken that now hold (a stale baseline)"),
});

export const resultsSchema = z
  .looseObject({
    version: z.literal(1),
    engines: z.array(engine),
  })
  .describe("crosstalk conformance results");

export function resultsJsonSchema(): unknown {
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    $id: "https://crosstalk.invalid/results.schema.json",
    title: "crosstalk results, version 1",
    ...(z.toJSONSchema(resultsSchema) as Record<string, unknown>),
  };
}
