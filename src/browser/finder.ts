// Finds a Chromium-family browser to drive, in the order DESIGN.md gives: an explicit path,
// Playwright's own Chromium, an installed Chrome or Edge, then a system Chromium. For a headless
// run the system's headless shell (Chromium's own headless build, what Playwright itself runs
// headless) comes before the system's full Chromium: it starts with less than half the work.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { UsageError } from "../errors.js";

export interface FoundBrowser {
  executablePath: string;
  source: "explicit" | "playwright" | "chrome" | "system" | "headless-shell";
}

const CHROME_PATHS = [
  "/opt/google/chrome/chrome",
  "/usr/bin/google-chrome",
  "/usr/bin/google-chrome-stable",
  "/opt/microsoft/msedge/msedge",
  "/usr/bin/microsoft-edge",
  "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
  "/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge",
];

const SYSTEM_HEADLESS_SHELL_PATHS = ["/usr/bin/chromium-headless-shell"];

const SYSTEM_CHROMIUM_PATHS = [
  "/usr/bin/chromium",
  "/usr/bin/chromium-browser",
  "/snap/bin/chromium",
  "/Applications/Chromium.app/Contents/MacOS/Chromium",
];

/**
 * The Playwright library, loaded once for the whole process. Synchronous on purpose: the test
 * config needs the browser's path before any async code runs. Everything else gets Playwright
 * here too, never by `import()`: an ESM import of this CommonJS package makes Node scan its
 * 3.6 MB bundle again for export names, even when require() has already loaded it.
 */
export function playwright(): typeof import("playwright") {
  return createRequire(import.meta.url)("playwright") as typeof import("playwright");
}

function playwrightChromium(): string | undefined {
  try {
    return playwright().chromium.executablePath();
  } catch {
    return undefined;
  }
}

export function findBrowser(explicitPath = process.env.ROTATE_BROWSER, options: { headless?: boolean } = {}): FoundBrowser {
  if (explicitPath) {
    if (existsSync(explicitPath)) return { executablePath: explicitPath, source: "explicit" };
    throw new UsageError(
      `no browser at ${explicitPath} (from --browser-path or ROTATE_BROWSER); point it at a Chrome or Chromium executable`,
    );
  }
  const candidates: Array<[string | undefined, FoundBrowser["source"]]> = [
    [playwrightChromium(), "playwright"],
    ...CHROME_PATHS.map((p): [string, FoundBrowser["source"]] => [p, "chrome"]),
    ...(options.headless ? SYSTEM_HEADLESS_SHELL_PATHS.map((p): [string, FoundBrowser["source"]] => [p, "headless-shell"]) : []),
    ...SYSTEM_CHROMIUM_PATHS.map((p): [string, FoundBrowser["source"]] => [p, "system"]),
  ];
  for (const [path, source] of candidates) {
    if (path && existsSync(path)) return { executablePath: path, source };
  }
  const tried = candidates
    .map(([p]) => p)
    .filter(Boolean)
    .join(", ");
  throw new UsageError(
    `no Chrome or Chromium found (tried ${tried}); install one with "npx playwright install chromium" or "apt-get install -y chromium", or pass --browser-path`,
  );
}
