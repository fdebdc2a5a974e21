// Turns Playwright's JSON report into the one line CI reads: "N passed, N failed".
import { existsSync, readFileSync } from "node:fs";

const file = process.argv[2];
if (!file || !existsSync(file)) {
  console.log("0 passed, 1 failed (no test report: the build or the test runner failed before any test ran)");
  process.exit(0);
}
const { stats } = JSON.parse(readFileSync(file, "utf8"));
const passed = stats.expected + stats.flaky;
const failed = stats.unexpected;
const notes = [stats.flaky ? `${stats.flaky} flaky` : "", stats.skipped ? `${stats.skipped} skipped` : ""].filter(Boolean);
console.log(`${passed} passed, ${failed} failed${notes.length ? ` (${notes.join(", ")})` : ""}`);
