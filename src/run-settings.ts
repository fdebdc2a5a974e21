// Settings every rotation shares: where the token lives in CircleCI, and how to run the browser.
// Registry-specific settings are declared next to each flow.
import { z } from "zod";
import { parseSettings, resolveSection, type SettingsSection, type Sources } from "./config.js";

export const circleciSection: SettingsSection = {
  section: "circleci",
  settings: {
    projectSlug: { flag: "--project-slug", env: "ROTATE_PROJECT_SLUG", kind: "string", describe: "CircleCI project slug (vcs/org/repo, e.g. gh/mozilla/nimbus-shared)" },
    context: { flag: "--context", env: "ROTATE_CONTEXT", kind: "string", describe: "CircleCI context that holds the variable (default: a project variable)" },
    url: { flag: "--circleci-url", env: "ROTATE_CIRCLECI_URL", kind: "url", describe: "CircleCI API v2 base URL", default: "https://circleci.com/api/v2" },
  },
};

export const browserSection: SettingsSection = {
  section: "browser",
  settings: {
    path: { flag: "--browser-path", env: "ROTATE_BROWSER", kind: "string", describe: "Chrome or Chromium executable (default: found automatically)" },
    headless: { flag: "--headless", env: "ROTATE_HEADLESS", kind: "boolean", describe: "run the browser without a window (drills and tests)", default: false },
    stepTimeout: { flag: "--step-timeout", env: "ROTATE_STEP_TIMEOUT", kind: "number", describe: "seconds to wait for each element on a page", default: 30 },
  },
};

const CircleciSettings = z.object({ projectSlug: z.string(), context: z.string().optional(), url: z.url() });
const BrowserSettings = z.object({ path: z.string().optional(), headless: z.boolean(), stepTimeout: z.number().positive() });

export type CircleciSettings = z.infer<typeof CircleciSettings>;
export type BrowserSettings = z.infer<typeof BrowserSettings>;

export function circleciSettings(sources: Sources): CircleciSettings {
  return parseSettings(CircleciSettings, resolveSection(circleciSection, sources), circleciSection);
}

export function browserSettings(sources: Sources): BrowserSettings {
  return parseSettings(BrowserSettings, resolveSection(browserSection, sources), browserSection);
}
