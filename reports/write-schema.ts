/** `npm run schema`: regenerates reports/results.schema.json from the zod schema. */
import { writeFileSync } from "node:fs";
import { resultsJsonSchema } from "./results-schema.ts";

const file = new URL("./results.schema.json", import.meta.url);
writeFileSync(file, `${JSON.stringify(resultsJsonSchema(), null, 2)}\n`);
console.log(`wrote ${file.pathname}`);
