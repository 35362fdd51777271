// The README's clause table is the catalogue, in the README's words: they must not drift apart.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CLAUSE_IDS, CLAUSES } from "../../harness/contract/index.ts";

const readme = readFileSync(path.resolve(import.meta.dirname, "../../README.md"), "utf8");

describe("README", () => {
  it("lists every clause of the catalogue with its one-line description", () => {
    const missing = CLAUSE_IDS.filter((id) => !readme.includes(`| \`${id}\` | ${CLAUSES[id]} |`));
    expect(missing).toEqual([]);
  });

  it("lists no clause that the catalogue does not have", () => {
    const listed = [...readme.matchAll(/^\| `([a-z-]+\.[a-z-]+)` \|/gm)].map((m) => m[1]);
    expect(listed.filter((id) => !(CLAUSE_IDS as string[]).includes(id as string))).toEqual([]);
  });
});
