import { defineConfig } from "@playwright/test";
import { findBrowser } from "./src/browser/finder.js";

// One runner for everything: unit specs (no browser) and end-to-end specs that run the real CLI.
export default defineConfig({
  // The tool's specs (tests/unit, tests/e2e) and the replicas' own (replicas/tests).
  testDir: ".",
  testMatch: ["tests/**/*.spec.ts", "replicas/tests/**/*.spec.ts"],
  timeout: 90_000,
  workers: 2,
  fullyParallel: true,
  forbidOnly: !!process.env.CI,
  reporter: process.env.CI ? [["line"], ["json", { outputFile: "test-results/results.json" }]] : [["list"]],
  use: {
    headless: true,
    launchOptions: {
      executablePath: findBrowser(undefined, { headless: true }).executablePath,
      args: ["--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"],
    },
    // Never record anything a secret could end up in.
    trace: "off",
    video: "off",
    screenshot: "off",
  },
});
