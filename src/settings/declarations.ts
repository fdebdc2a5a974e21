// Each setting is declared once (flag, env name, config key, kind); the flags and their help
// come from the declaration here, with no validation library loaded, so `rotate --help` stays
// fast. Resolving and validating values is config.ts's job, when a command runs.
import type { Command } from "commander";

export type Kind = "string" | "url" | "number" | "list" | "boolean" | "targets";

export interface SettingSpec {
  /** The long flag, e.g. "--pypi-project". */
  flag: string;
  env?: string;
  kind: Kind;
  describe: string;
  default?: string | number | boolean | string[];
  /** What is wrong with one value (each item of a list), in words that fix it; undefined when it is fine. */
  check?: (value: string) => string | undefined;
}

/** CircleCI's project slugs: `gh/org/repo`, `bb/org/repo`, or `circleci/<org-id>/<project-id>` for projects without a VCS slug. */
export function slugProblem(slug: string): string | undefined {
  const segments = slug.split("/");
  if (segments.length === 2 && segments.every(Boolean))
    return `"${slug}" has no VCS prefix: write gh/${slug} (GitHub) or bb/${slug} (Bitbucket)`;
  if (segments.length !== 3 || segments.some((s) => s === "" || /\s/.test(s)))
    return `"${slug}" is not a project slug: write vcs/org/repo, e.g. gh/mozilla/nimbus-shared`;
  if (!/^(gh|github|bb|bitbucket|circleci)$/.test(segments[0] ?? ""))
    return `"${slug}" starts with ${segments[0]}: the VCS is gh (or github), bb (or bitbucket), or circleci`;
  return undefined;
}

/** CircleCI's rule for variable names (docs/sites/circleci.md, "Names"). */
export function variableNameProblem(name: string): string | undefined {
  if (/^[A-Za-z_][A-Za-z0-9_]{0,299}$/.test(name)) return undefined;
  return `${JSON.stringify(name)} cannot be a CircleCI variable name: CircleCI takes letters, digits and _ only, not starting with a digit, at most 300 characters`;
}

/** A config-file section (e.g. "pypi") and its settings, keyed as in the file. */
export interface SettingsSection {
  section: string;
  settings: Record<string, SettingSpec>;
  /** The shape of the secrets this section's registry issues: never a value in the file. */
  tokenPattern?: RegExp;
  /**
   * The settings that describe one token (its variable, what it may publish, its kind, its expiry):
   * each of an organisation's `rotations` gives its own, while the account and the sites' addresses
   * stay shared at the section's level. Absent: the section has no `rotations`.
   */
  tokenSettings?: string[];
  /** Which of the token settings names what the token may publish (npm's packages, PyPI's project). */
  scopeSetting?: string;
}

/** commander's attribute name for a flag: --pypi-project → pypiProject. */
export function flagAttribute(flag: string): string {
  return flag.replace(/^--/, "").replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** The section with only these settings: a command that reads part of a registry's settings offers only those flags. */
export function onlySettings(section: SettingsSection, keys: string[]): SettingsSection {
  return { ...section, settings: Object.fromEntries(Object.entries(section.settings).filter(([key]) => keys.includes(key))) };
}

export function addSettingOptions(command: Command, section: SettingsSection): Command {
  for (const spec of Object.values(section.settings)) {
    const value =
      spec.kind === "boolean" ? "" : spec.kind === "list" ? " <items>" : spec.kind === "targets" ? " <destination>" : " <value>";
    const env = spec.env ? ` (env ${spec.env})` : "";
    // A destination flag may be given several times; each one adds to the list.
    if (spec.kind === "targets")
      command.option(`${spec.flag}${value}`, `${spec.describe}${env}`, (item: string, all: string[] = []) => [...all, item]);
    else command.option(`${spec.flag}${value}`, `${spec.describe}${env}`);
  }
  return command;
}

// The settings every rotation shares: where the token lives in CircleCI, and how to run the browser.
export const circleciSection: SettingsSection = {
  section: "circleci",
  settings: {
    projectSlug: {
      flag: "--project-slug",
      env: "ROTATE_PROJECT_SLUG",
      kind: "string",
      describe: "CircleCI project slug (vcs/org/repo, e.g. gh/mozilla/nimbus-shared)",
      check: slugProblem,
    },
    context: {
      flag: "--context",
      env: "ROTATE_CONTEXT",
      kind: "string",
      describe: "CircleCI context that holds the variable (default: a project variable)",
    },
    targets: {
      flag: "--target",
      env: "ROTATE_TARGETS",
      kind: "targets",
      describe:
        "a CircleCI destination of the token, gh/org/repo (project variable) or gh/org/repo@context; repeat for several (default: --project-slug and --context)",
    },
    url: {
      flag: "--circleci-url",
      env: "ROTATE_CIRCLECI_URL",
      kind: "url",
      describe: "CircleCI API v2 base URL",
      default: "https://circleci.com/api/v2",
    },
  },
};

export const browserSection: SettingsSection = {
  section: "browser",
  settings: {
    path: {
      flag: "--browser-path",
      env: "ROTATE_BROWSER",
      kind: "string",
      describe: "Chrome or Chromium executable (default: found automatically)",
    },
    headless: {
      flag: "--headless",
      env: "ROTATE_HEADLESS",
      kind: "boolean",
      describe: "run the browser without a window (drills and tests)",
      default: false,
    },
    stepTimeout: {
      flag: "--step-timeout",
      env: "ROTATE_STEP_TIMEOUT",
      kind: "number",
      describe: "seconds to wait for each element on a page",
      default: 30,
    },
  },
};
