// The HTML report as a string: self-contained, escaped, and honest about a bench document it
// cannot read. (suites/reports/browser.test.ts opens it in Chromium.)
import { createHash } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { CLAUSE_IDS } from "../../harness/contract/index.ts";
import { renderHtml } from "../../reports/html/page.ts";
import { SCRIPT } from "../../reports/html/script.ts";
import type { ResultsDocument } from "../../reports/results.ts";
import { HOSTILE, hostileDocument } from "./hostile.ts";
import { realResults } from "./real-results.ts";

let doc: ResultsDocument;
beforeAll(async () => {
  doc = await realResults();
});

describe("the HTML report", () => {
  it("loads nothing from outside, and its policy admits only its own script", () => {
    const html = renderHtml(doc);
    expect(html).not.toMatch(/\b(src|href)="(?!#)/);
    expect(html).not.toMatch(/url\(|@import|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    const csp = html.match(/http-equiv="Content-Security-Policy" content="([^"]+)"/)?.[1] ?? "";
    expect(csp).toContain("default-src 'none'");
    const hash = createHash("sha256").update(SCRIPT).digest("base64");
    expect(csp).toContain(`script-src 'sha256-${hash}'`);
    expect(html.match(/<script/g)).toHaveLength(1);
  });

  it("has a cell per engine and clause, and a witness with a timeline per broken cell", () => {
    const html = renderHtml(doc);
    const cells = html.match(/<td class="cell /g) ?? [];
    expect(cells).toHaveLength(CLAUSE_IDS.length * doc.engines.length);
    const broken = doc.engines.flatMap((e) => e.clauses.filter((c) => c.verdict === "broken"));
    expect(html.match(/<section class="witness /g)).toHaveLength(broken.length);
    expect(html.match(/<svg [^>]*class="timeline"/g)).toHaveLength(broken.length);
  });

  it("escapes every outside string: engine names, witnesses, retainers, timelines", () => {
    const html = renderHtml(hostileDocument(doc));
    expect(html).not.toContain(HOSTILE);
    expect(html).not.toContain("<img");
    expect(html).not.toContain('onerror="');
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html.match(/<\/script>/g)).toHaveLength(1);
    expect(html).toContain("&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;");
    expect(html).toContain("&amp;amp;");
  });

  it("says so when the bench document does not match its schema", () => {
    const html = renderHtml(doc, { bench: { version: 1, engines: "nope" } });
    expect(html).toMatch(/the benchmark document does not match its schema: \w+/);
    expect(renderHtml(doc)).not.toContain('class="bench"');
  });
});
