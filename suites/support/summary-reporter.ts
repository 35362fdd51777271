/**
 * Ends a vitest run with one plain line, `tests: N passed, N failed, N skipped`, that CI systems
 * read without knowing vitest. Unhandled errors count as failures: vitest fails the run on them.
 *
 * A failed hook counts too. When a beforeAll throws, vitest marks the tests it guarded as skipped
 * and puts the error on their suite (or module): those tests count as failed, not skipped. When
 * the error leaves no test to blame (an afterAll that threw after its tests passed, a module that
 * failed to load), the suite or module counts as one failure. And the line never says 0 failed
 * when vitest ends the run as failed.
 */
import type { Reporter, TestCase, TestModule, TestRunEndReason, TestSuite } from "vitest/node";

export default class SummaryReporter implements Reporter {
  onTestRunEnd(
    testModules: ReadonlyArray<TestModule>,
    unhandledErrors: ReadonlyArray<unknown>,
    reason?: TestRunEndReason,
  ) {
    const { passed, failed, skipped } = summarise(testModules, unhandledErrors.length);
    const shown = reason === "failed" && failed === 0 ? 1 : failed;
    process.stdout.write(`\ntests: ${passed} passed, ${shown} failed, ${skipped} skipped\n`);
  }
}

function summarise(
  testModules: ReadonlyArray<TestModule>,
  unhandledErrors = 0,
): { passed: number; failed: number; skipped: number } {
  let passed = 0;
  let failed = unhandledErrors;
  let skipped = 0;
  for (const module of testModules) {
    const failedTests = new Set<TestCase>();
    for (const test of module.children.allTests()) {
      const state = test.result().state;
      if (state === "passed") passed += 1;
      else if (state === "failed" || stoppedByHook(test)) failedTests.add(test);
      else skipped += 1;
    }
    failed += failedTests.size;
    // Errors of a suite or module that no failed test accounts for: one failure each.
    const entities: (TestModule | TestSuite)[] = [module, ...module.children.allSuites()];
    for (const entity of entities) {
      if (entity.errors().length === 0) continue;
      const tests = [...entity.children.allTests()];
      if (!tests.some((test) => failedTests.has(test))) failed += 1;
    }
    // A module vitest failed with nothing above to show for it still counts once.
    const accounted = failedTests.size > 0 || entities.some((e) => e.errors().length > 0);
    if (module.state() === "failed" && !accounted) failed += 1;
  }
  return { passed, failed, skipped };
}

/**
 * A test meant to run that never started, under a suite or module with errors: a beforeAll (or
 * the collection) failed, and vitest reported the test as skipped.
 */
function stoppedByHook(test: TestCase): boolean {
  const mode = test.options.mode;
  if (mode !== "run" && mode !== "only") return false;
  if (test.diagnostic() !== undefined) return false;
  for (let parent = test.parent; ; parent = parent.parent) {
    if (parent.errors().length > 0) return true;
    if (parent.type === "module") return false;
  }
}
