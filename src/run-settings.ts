// Settings every rotation shares: where the token lives in CircleCI, and how to run the browser.
// Registry-specific settings are declared next to each flow.
import { z } from "zod";
import { parseTarget, type TargetSpec } from "./circleci-target.js";
import { MissingSettingsError, parseSettings, resolveSection, type SettingsSection, type Sources } from "./config.js";
import { UsageError } from "./errors.js";

export const circleciSection: SettingsSection = {
  section: "circleci",
  settings: {
    projectSlug: { flag: "--project-slug", env: "ROTATE_PROJECT_SLUG", kind: "string", describe: "CircleCI project slug (vcs/org/repo, e.g. gh/mozilla/nimbus-shared)" },
    context: { flag: "--context", env: "ROTATE_CONTEXT", kind: "string", describe: "CircleCI context that holds the variable (default: a project variable)" },
    targets: {
      flag: "--target",
      env: "ROTATE_TARGETS",
      kind: "targets",
      describe: "a CircleCI destination of the token, gh/org/repo (project variable) or gh/org/repo@context; repeat for several (default: --project-slug and --context)",
    },
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

const Target = z.union([z.string(), z.object({ projectSlug: z.string(), context: z.string().optional(), envVar: z.string().optional() })]);
const CircleciSettings = z.object({ projectSlug: z.string().optional(), context: z.string().optional(), targets: z.array(Target).optional(), url: z.url() });
const BrowserSettings = z.object({ path: z.string().optional(), headless: z.boolean(), stepTimeout: z.number().positive() });

export type CircleciSettings = z.infer<typeof CircleciSettings>;
export type BrowserSettings = z.infer<typeof BrowserSettings>;

export function circleciSettings(sources: Sources): CircleciSettings {
  return parseSettings(CircleciSettings, resolveSection(circleciSection, sources), circleciSection);
}

export function browserSettings(sources: Sources): BrowserSettings {
  return parseSettings(BrowserSettings, resolveSection(browserSection, sources), browserSection);
}

/**
 * The destinations of one registry's token: the listed targets whose variable is this registry's
 * (a target without one takes the registry's), else the one project (or context) variable.
 */
export function destinationsFor(circle: CircleciSettings, envVar: string): TargetSpec[] {
  if (circle.targets) {
    const specs = circle.targets.map((target) => (typeof target === "string" ? parseTarget(target, envVar) : { ...target, envVar: target.envVar ?? envVar }));
    const mine = specs.filter((spec) => spec.envVar === envVar);
    if (mine.length === 0) throw new UsageError(`none of the CircleCI targets holds ${envVar}: add one for it to circleci.targets, or pass --target`);
    return mine;
  }
  if (!circle.projectSlug) throw new MissingSettingsError([{ section: circleciSection, key: "projectSlug", orElse: "name destinations with --target" }]);
  return [{ projectSlug: circle.projectSlug, envVar, ...(circle.context ? { context: circle.context } : {}) }];
}
