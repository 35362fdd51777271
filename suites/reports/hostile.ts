/**
 * A results document whose every outside string is hostile: engine name, witness sentence,
 * scenario, replay command, retainer path, timeline lane and mark text. The page must show each
 * as text and run none of it.
 */
import type { ResultsDocument } from "../../reports/results.ts";

export const HOSTILE = `<img src=x onerror="window.__pwned=1">'"</script><script>window.__pwned=2</script>&amp;`;

export function hostileDocument(doc: ResultsDocument): ResultsDocument {
  const copy = structuredClone(doc);
  for (const engine of copy.engines) {
    engine.name = `${engine.name} ${HOSTILE}`;
    if (engine.failure) engine.failure = `${engine.failure} ${HOSTILE}`;
    for (const clause of engine.clauses) {
      const witness = clause.witness;
      if (!witness) continue;
      witness.summary = `${witness.summary} ${HOSTILE}`;
      witness.scenario = `${witness.scenario} ${HOSTILE}`;
      witness.replay = `${witness.replay ?? ""} ${HOSTILE}`;
      witness.retainers = [{ path: `engine (X) → ${HOSTILE}`, count: 2, kinds: [HOSTILE] }];
      for (const lane of witness.timeline?.lanes ?? []) lane.title = `${lane.title}${HOSTILE}`;
      for (const mark of witness.timeline?.marks ?? []) mark.text = `${HOSTILE}${mark.text}`;
    }
  }
  return copy;
}
