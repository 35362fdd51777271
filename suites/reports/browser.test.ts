// The HTML report in a real browser: Debian's Chromium driven by playwright-core opens a report
// made from a real run (and a real, tiny benchmark run), checks the matrix against the results,
// clicks a broken cell, sees its SVG timeline with the violation highlighted, copies the replay
// command, and sees no console error and no request leave the page. A page whose every name is
// hostile runs none of it. The screenshot is kept as reports/out/report.png.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveEngines } from "../../harness/bench/compare/engines.ts";
import { runBench } from "../../harness/bench/compare/run.ts";
import { CLAUSE_IDS } from "../../harness/contract/index.ts";
import type { BenchDocument } from "../../reports/bench-schema.ts";
import { witnessId } from "../../reports/html/matrix.ts";
import { countOutcomes, outcomeOf } from "../../reports/outcome.ts";
import type { ResultsDocument } from "../../reports/results.ts";
import { writeReports } from "../../reports/write.ts";
import { HOSTILE, hostileDocument } from "./hostile.ts";
import { realResults, UNEXPECTED } from "./real-results.ts";

const CHROMIUM = "/usr/bin/chromium";
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const root = path.resolve(import.meta.dirname, "../..");
const SCREENSHOT = path.join(root, "reports/out/report.png");

let doc: ResultsDocument;
let bench: BenchDocument;
let work: string;
let context: BrowserContext | undefined;

/** What the page did that it must not: console errors, uncaught errors, requests, dialogs. */
interface Misdeeds {
  errors: string[];
  requests: string[];
  dialogs: string[];
}

async function open(file: string): Promise<{ page: Page; misdeeds: Misdeeds }> {
  if (!context) throw new Error(MISSING);
  const page = await context.newPage();
  const misdeeds: Misdeeds = { errors: [], requests: [], dialogs: [] };
  const url = pathToFileURL(file).href;
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") misdeeds.errors.push(m.text());
  });
  page.on("pageerror", (e) => misdeeds.errors.push(e.message));
  page.on("request", (r) => {
    if (r.url() !== url) misdeeds.requests.push(r.url());
  });
  page.on("dialog", (d) => {
    misdeeds.dialogs.push(d.message());
    void d.dismiss();
  });
  await page.goto(url);
  return { page, misdeeds };
}

const MISSING = `${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium), as .ci/run does; these tests fail without it, never skip`;

beforeAll(async () => {
  // Without the browser every test below fails with MISSING (a failed hook is not counted as a
  // failed test by every reporter).
  if (!existsSync(CHROMIUM)) return;
  doc = await realResults();
  bench = await runBench(await resolveEngines(["legacy-global"]), {
    budget: { timeMs: 1, iterations: 1, warmup: false },
    users: [1],
    ws: false,
    command: "crosstalk bench --engine legacy-global --users 1 --time 1 (test)",
    progress: () => {},
  });
  work = mkdtempSync(path.join(tmpdir(), "crosstalk-browser-"));
  context = await chromium.launchPersistentContext(path.join(work, "profile"), {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1360, height: 900 },
  });
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
}, 180_000);

afterAll(async () => {
  await context?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("the HTML report in Chromium", () => {
  it(`runs in Debian's Chromium at ${CHROMIUM}`, () => {
    expect(existsSync(CHROMIUM), MISSING).toBe(true);
  });

  it("shows the matrix, opens a broken cell's timeline, copies its replay, fetches nothing", async () => {
    if (!context) throw new Error(MISSING);
    const [file] = await writeReports(doc, {
      reporters: ["html"],
      out: path.join(work, "real"),
      bench,
    });
    const { page, misdeeds } = await open(file as string);

    // Every cell says what results.json says, and every engine header has its counts.
    const cells = await page.$$eval("td.cell", (tds) =>
      tds.map(
        (td) =>
          `${td.getAttribute("data-engine")}|${td.getAttribute("data-clause")}|${td.getAttribute("data-outcome")}`,
      ),
    );
    const expected = doc.engines.flatMap((engine, i) =>
      engine.failure
        ? []
        : CLAUSE_IDS.map(
            (id) => `${i}|${id}|${outcomeOf(engine.clauses.find((c) => c.id === id))}`,
          ),
    );
    expect(cells.filter((c) => !c.startsWith("null"))).toEqual(
      // The matrix is row by row (clause), the list engine by engine: compare as sets.
      expect.arrayContaining(expected),
    );
    expect(cells.filter((c) => !c.startsWith("null"))).toHaveLength(expected.length);
    expect(await page.locator("td.cell.failed").count()).toBe(CLAUSE_IDS.length);
    for (const [i, engine] of doc.engines.entries()) {
      if (engine.failure) continue;
      const n = countOutcomes(engine.clauses);
      const shown = await page
        .locator(`th.engine[data-engine="${i}"] .counts span`)
        .allTextContents();
      expect(shown, engine.name).toEqual(
        [n.held, n.expected, n.unexpected, n["not-checked"]].map(String),
      );
    }

    // Click the unexpected break: its witness opens with the timeline, the violation in red.
    const legacy = 1;
    const clause = doc.engines[legacy]?.clauses.find((c) => c.id === UNEXPECTED);
    const panel = page.locator(`#${witnessId(legacy, UNEXPECTED)}`);
    await expect.poll(() => panel.isVisible()).toBe(false);
    await page.click(`td.cell[data-engine="${legacy}"][data-clause="${UNEXPECTED}"] a`);
    await expect.poll(() => panel.isVisible()).toBe(true);
    expect(
      await page
        .locator(`td.cell[data-engine="${legacy}"][data-clause="${UNEXPECTED}"]`)
        .getAttribute("class"),
    ).toContain("selected");
    expect(await panel.locator(".summary").textContent()).toBe(clause?.witness?.summary);
    const svg = panel.locator("svg.timeline");
    expect(await svg.isVisible()).toBe(true);
    const lanes = await svg.locator(".lane-title").allTextContents();
    expect(lanes).toEqual(clause?.witness?.timeline?.lanes.map((l) => l.title));
    const flagged = await svg
      .locator("g.mark.violation")
      .evaluateAll((gs) => gs.map((g) => Number(g.getAttribute("data-index"))));
    expect(flagged).toEqual(clause?.witness?.entries);
    const red = await page.evaluate(
      `getComputedStyle(document.querySelector("#${witnessId(legacy, UNEXPECTED)} g.mark.violation .shape")).fill`,
    );
    expect(red).toBe("rgb(198, 40, 40)");
    expect(await svg.locator("rect.violation-band").count()).toBe(flagged.length);

    // The replay command, copied.
    await panel.locator("button.copy").click();
    await expect.poll(() => panel.locator(".copied").textContent()).toBe("copied");
    expect(await page.evaluate("navigator.clipboard.readText()")).toBe(clause?.witness?.replay);

    // A chart per benchmark figure.
    const ids = new Set(bench.engines.flatMap((e) => e.figures.map((f) => f.id)));
    expect(await page.locator("figure.chart").count()).toBe(ids.size);
    expect(await page.locator("figure.chart rect.bar").count()).toBeGreaterThan(0);

    await page.click(`td.cell[data-engine="${legacy}"][data-clause="${UNEXPECTED}"] a`);
    mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(misdeeds).toEqual({ errors: [], requests: [], dialogs: [] });
    await page.close();
  });

  it("shows hostile names as text and runs none of them", async () => {
    const [file] = await writeReports(hostileDocument(doc), {
      reporters: ["html"],
      out: path.join(work, "hostile"),
    });
    const { page, misdeeds } = await open(file as string);
    const legacy = 1;
    expect(await page.locator(`th.engine[data-engine="${legacy}"] .name`).textContent()).toBe(
      `legacy-global ${HOSTILE}`,
    );
    await page.click(`td.cell[data-engine="${legacy}"][data-clause="${UNEXPECTED}"] a`);
    const panel = page.locator(`#${witnessId(legacy, UNEXPECTED)}`);
    expect(await panel.locator(".summary").textContent()).toContain(HOSTILE);
    expect(await panel.locator(".replay-command").textContent()).toContain(HOSTILE);
    expect(await panel.locator(".retainers li code").first().textContent()).toBe(
      `engine (X) → ${HOSTILE}`,
    );
    expect(await panel.locator("svg.timeline .lane-head title").first().textContent()).toContain(
      HOSTILE,
    );
    expect(await page.evaluate("typeof window.__pwned")).toBe("undefined");
    expect(await page.locator("img").count()).toBe(0);
    expect(await page.locator("script").count()).toBe(1);
    expect(misdeeds).toEqual({ errors: [], requests: [], dialogs: [] });
    await page.close();
  });
});
