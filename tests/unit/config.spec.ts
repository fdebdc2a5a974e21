// Settings: flags > environment > .env > rotate.config.json > defaults, declared once per
// section; config-file errors name the file, the key and the problem; secrets never come from
// the file or from .env. Unit specs (no browser), plus one run of the CLI for the exit code.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "@playwright/test";
import { npm } from "../../flows/npm/index.js";
import { pypi } from "../../flows/pypi/index.js";
import { loadSources, resolveSection, validateConfig, type Sources } from "../../src/settings/config.js";
import { UsageError } from "../../src/errors.js";
import { browserSection, circleciSection } from "../../src/settings/declarations.js";
import { browserSettings, circleciSettings, destinationsFor } from "../../src/settings/run-settings.js";
import { freshDirs, startCli } from "../support/cli.js";

const sections = [circleciSection, browserSection, pypi.section, npm.section];

/** A working directory holding the given rotate.config.json and .env (when given). */
function workdir(files: { config?: unknown; dotenv?: string }): string {
  const dir = mkdtempSync(join(tmpdir(), "rotate-config-"));
  if (files.config !== undefined) writeFileSync(join(dir, "rotate.config.json"), JSON.stringify(files.config));
  if (files.dotenv !== undefined) writeFileSync(join(dir, ".env"), files.dotenv);
  return dir;
}

const dirs: string[] = [];
test.afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function sources(files: { config?: unknown; dotenv?: string }, env: NodeJS.ProcessEnv = {}, flags: Record<string, unknown> = {}): Sources {
  const cwd = workdir(files);
  dirs.push(cwd);
  return loadSources({ flags, env, cwd, fileSections: sections });
}

/** What a UsageError says, or a failure when the call does not throw one. */
function usageError(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error("expected a UsageError, but nothing was thrown");
}

// Each layer sets every setting; the test peels layers off from the top and checks that the next
// one down shows through, down to the default.
const layers = {
  flag: { flags: { pypiProject: "from-flag", stepTimeout: "5", headless: true } },
  env: { env: { ROTATE_PYPI_PROJECT: "from-env", ROTATE_STEP_TIMEOUT: "10", ROTATE_HEADLESS: "true" } },
  dotenv: { dotenv: "ROTATE_PYPI_PROJECT=from-dotenv\nROTATE_STEP_TIMEOUT=15\nROTATE_HEADLESS=yes\n" },
  file: { config: { pypi: { project: "from-file" }, browser: { stepTimeout: 20, headless: true } } },
} as const;
const order = ["flag", "env", "dotenv", "file"] as const;
const expected = {
  flag: { project: "from-flag", stepTimeout: 5 },
  env: { project: "from-env", stepTimeout: 10 },
  dotenv: { project: "from-dotenv", stepTimeout: 15 },
  file: { project: "from-file", stepTimeout: 20 },
  default: { project: undefined, stepTimeout: 30 },
};

for (const [index, top] of [...order, "default" as const].entries()) {
  test(`precedence: with the layers above it removed, the ${top} value wins`, () => {
    const present = order.slice(index);
    const has = (layer: (typeof order)[number]) => present.includes(layer);
    const source = sources(
      { ...(has("file") ? layers.file : {}), ...(has("dotenv") ? layers.dotenv : {}) },
      has("env") ? { ...layers.env.env } : {},
      has("flag") ? { ...layers.flag.flags } : {},
    );
    expect(resolveSection(pypi.section, source).project).toBe(expected[top].project);
    const browser = browserSettings(source);
    expect(browser.stepTimeout).toBe(expected[top].stepTimeout);
    expect(browser.headless).toBe(top !== "default");
  });
}

test("an empty environment variable does not hide the config file's value", () => {
  const source = sources({ config: { pypi: { project: "from-file" } } }, { ROTATE_PYPI_PROJECT: "" });
  expect(resolveSection(pypi.section, source).project).toBe("from-file");
});

test("a list setting is split from text in flags and env, and taken as an array from the file", () => {
  expect(resolveSection(npm.section, sources({}, {}, { npmPackages: "@acme/a, acme-b," })).packages).toEqual(["@acme/a", "acme-b"]);
  expect(resolveSection(npm.section, sources({}, { ROTATE_NPM_PACKAGES: "@acme/c" })).packages).toEqual(["@acme/c"]);
  expect(resolveSection(npm.section, sources({ config: { npm: { packages: ["@acme/d"] } } })).packages).toEqual(["@acme/d"]);
});

test(".env gives non-secret settings only: secret names in it are ignored, and the real environment wins", () => {
  const source = sources(
    {
      dotenv: [
        "ROTATE_PROJECT_SLUG=gh/acme/from-dotenv",
        "ROTATE_PYPI_PROJECT=widget",
        "CIRCLECI_TOKEN=CCIPAT_dotenv_should_never_be_read",
        "ROTATE_PYPI_PASSWORD=hunter2",
        "ROTATE_NPM_TOTP_SECRET=JBSWY3DPEHPK3PXP",
        "ROTATE_NPM_OLD_TOKEN=npm_abc",
        "",
      ].join("\n"),
    },
    { ROTATE_PROJECT_SLUG: "gh/acme/from-env" },
  );
  expect(source.env.ROTATE_PYPI_PROJECT).toBe("widget");
  expect(circleciSettings(source).projectSlug).toBe("gh/acme/from-env");
  for (const name of ["CIRCLECI_TOKEN", "ROTATE_PYPI_PASSWORD", "ROTATE_NPM_TOTP_SECRET", "ROTATE_NPM_OLD_TOKEN"]) {
    expect(source.env[name], name).toBeUndefined();
  }
});

test("a missing setting names every place it can be given", async () => {
  expect(usageError(() => destinationsFor(circleciSettings(sources({})), "PYPI_TOKEN"))).toBe(
    "CircleCI project slug (vcs/org/repo, e.g. gh/mozilla/nimbus-shared) is not set: give it with --project-slug, ROTATE_PROJECT_SLUG, circleci.projectSlug in rotate.config.json, or name destinations with --target",
  );
  const websiteUrl = "http://127.0.0.1:9/";
  const missingProject = pypi.configure(sources({}, {}, { pypiUrl: websiteUrl, pypiUploadUrl: websiteUrl }));
  await expect(missingProject).rejects.toThrow(UsageError);
  await expect(missingProject).rejects.toThrow(
    "PyPI project the new token is scoped to is not set: give it with --pypi-project, ROTATE_PYPI_PROJECT, pypi.project in rotate.config.json",
  );
});

test("a bad flag or environment value names where it came from", () => {
  expect(usageError(() => browserSettings(sources({}, {}, { stepTimeout: "soon" })))).toMatch(/^--step-timeout: .*number/);
  expect(usageError(() => browserSettings(sources({}, { ROTATE_STEP_TIMEOUT: "soon" })))).toMatch(/^ROTATE_STEP_TIMEOUT: .*number/);
  expect(usageError(() => circleciSettings(sources({}, { ROTATE_CIRCLECI_URL: "not a url" })))).toMatch(/^ROTATE_CIRCLECI_URL: /);
});

const FILE = "/repo/rotate.config.json";

const invalid: Array<{ name: string; data: unknown; says: string | RegExp }> = [
  {
    name: "a value of the wrong kind",
    data: { browser: { stepTimeout: "slow" } },
    says: /^\/repo\/rotate\.config\.json: browser\.stepTimeout: .*expected number/,
  },
  {
    name: "a URL that is not one",
    data: { pypi: { websiteUrl: "pypi dot org" } },
    says: /^\/repo\/rotate\.config\.json: pypi\.websiteUrl: .*URL/i,
  },
  { name: "an empty package list", data: { npm: { packages: [] } }, says: /^\/repo\/rotate\.config\.json: npm\.packages: / },
  {
    name: "a section that is not an object",
    data: { circleci: "gh/acme/widget" },
    says: /^\/repo\/rotate\.config\.json: circleci: .*expected object/,
  },
  {
    name: "an unknown section",
    data: { pypy: { project: "widget" } },
    says: `${FILE}: pypy: unknown key; did you mean pypi? known here: circleci, browser, pypi, npm`,
  },
  {
    name: "an unknown key in a section",
    data: { pypi: { projct: "widget" } },
    says: `${FILE}: pypi.projct: unknown key; did you mean project? known here: envVar, project, username, websiteUrl, expiresDays, uploadUrl, rotations`,
  },
];

for (const { name, data, says } of invalid) {
  test(`invalid config, ${name}: the error names the file, the key and what is wrong`, () => {
    const message = usageError(() => validateConfig(data, FILE, sections));
    if (typeof says === "string") expect(message).toBe(says);
    else expect(message).toMatch(says);
  });
}

test("a config file that is not JSON names the file", () => {
  const cwd = workdir({});
  dirs.push(cwd);
  writeFileSync(join(cwd, "rotate.config.json"), "{ pypi: { project: 'widget' } }");
  expect(usageError(() => loadSources({ flags: {}, env: {}, cwd, fileSections: sections }))).toMatch(
    `${join(cwd, "rotate.config.json")}: not valid JSON (`,
  );
});

const npmToken = `npm_${"a1B2c3D4e5".repeat(3)}Zz9Yy8`;
const pypiToken = `pypi-AgEIcHlwaS5vcmcCJGUxYzQ5ZjBiLTk0NjEtNDVmYS1iNDJhLTc3ZjA2YjY4MWI1YQACKlszLCJk${"x".repeat(40)}`;

const secrets: Array<{ name: string; data: unknown; says: RegExp }> = [
  {
    name: "a password key",
    data: { pypi: { password: "hunter2" } },
    says: /: pypi\.password looks like a secret; the config file must never hold secrets/,
  },
  { name: "a passwd key", data: { npm: { passwd: "hunter2" } }, says: /: npm\.passwd looks like a secret/ },
  { name: "a TOTP secret key", data: { npm: { totpSecret: "JBSWY3DPEHPK3PXP" } }, says: /: npm\.totpSecret looks like a secret/ },
  { name: "a token key", data: { circleci: { token: "abc" } }, says: /: circleci\.token looks like a secret/ },
  {
    name: "an npm token as a value",
    data: { npm: { packages: ["@acme/widget", npmToken] } },
    says: /: npm\.packages\.1 holds what looks like a token/,
  },
  { name: "a PyPI token as a value", data: { pypi: { project: pypiToken } }, says: /: pypi\.project holds what looks like a token/ },
  {
    name: "a CircleCI token as a value",
    data: { circleci: { context: `CCIPAT_${"a".repeat(22)}_${"0".repeat(40)}` } },
    says: /: circleci\.context holds what looks like a token/,
  },
];

for (const { name, data, says } of secrets) {
  test(`the config file refuses ${name}, before any other check`, () => {
    const message = usageError(() => validateConfig(data, FILE, sections));
    expect(message.startsWith(`${FILE}: `)).toBe(true);
    expect(message).toMatch(says);
    // The refusal never repeats the value it refused.
    expect(message).not.toContain(npmToken);
    expect(message).not.toContain(pypiToken);
  });
}

test("names that merely start like a token are not refused", () => {
  const data = { pypi: { project: "pypi-simple-mirror" }, npm: { packages: ["npm_helpers"] }, circleci: { projectSlug: "gh/acme/widget" } };
  expect(validateConfig(data, FILE, sections)).toEqual(data);
});

test("--config is read relative to the working directory; a missing one says so", () => {
  const cwd = workdir({});
  dirs.push(cwd);
  mkdirSync(join(cwd, "conf"));
  writeFileSync(join(cwd, "conf", "team.json"), JSON.stringify({ pypi: { project: "from-team-file" } }));
  const source = loadSources({ flags: { config: "conf/team.json" }, env: {}, cwd, fileSections: sections });
  expect(resolveSection(pypi.section, source).project).toBe("from-team-file");
  expect(source.filePath).toBe(join(cwd, "conf", "team.json"));
  expect(usageError(() => loadSources({ flags: {}, env: { ROTATE_CONFIG: "conf/none.json" }, cwd, fileSections: sections }))).toBe(
    `config file ${join(cwd, "conf", "none.json")} does not exist: check --config or ROTATE_CONFIG, or run rotate init`,
  );
});

test("the CLI turns a bad config file into exit code 2 and one line, before asking or opening anything", async () => {
  const sandbox = freshDirs();
  try {
    mkdirSync(sandbox.cwd, { recursive: true });
    writeFileSync(join(sandbox.cwd, "rotate.config.json"), JSON.stringify({ pypi: { project: "widget", password: "hunter2" } }));
    const result = await startCli(["pypi", "--yes", "--headless"], { dirs: sandbox }).done;
    expect(result.code, result.stderr).toBe(2);
    expect(result.stdout).toBe("");
    const lines = result.stderr.trim().split("\n");
    expect(lines).toEqual([
      `rotate: ${join(sandbox.cwd, "rotate.config.json")}: pypi.password looks like a secret; the config file must never hold secrets (give them in the environment or at the prompt)`,
    ]);
    expect(result.stderr).not.toContain("hunter2");
  } finally {
    sandbox.cleanup();
  }
});

test("one rotate.config.json serves every command: each reads the sections it uses, and a typo in any section is caught by all", async () => {
  const sandbox = freshDirs();
  try {
    mkdirSync(sandbox.cwd, { recursive: true });
    const file = join(sandbox.cwd, "rotate.config.json");
    // The README's example, as `rotate init` writes it: every registry's section in one file.
    writeFileSync(
      file,
      JSON.stringify({
        circleci: { projectSlug: "gh/mozilla/nimbus-shared" },
        npm: { packages: ["@mozilla/nimbus-shared"], username: "mozilla-nimbus-publisher" },
        pypi: { project: "mozilla-nimbus-shared", username: "mozilla-nimbus-publisher" },
      }),
    );
    const env = { CIRCLECI_TOKEN: "" };
    for (const args of [["npm"], ["pypi"], ["trust", "npm"]]) {
      // Without a terminal the run stops at the first thing it needs (the CircleCI token), after the config was read.
      const result = await startCli([...args, "--yes", "--headless", "--no-input"], { dirs: sandbox, env }).done;
      expect(result.stderr, args.join(" ")).not.toContain("unknown key");
      expect(result.stderr, args.join(" ")).toContain("CIRCLECI_TOKEN");
    }
    writeFileSync(file, JSON.stringify({ npm: { packages: ["widget"] }, pypi: { projcet: "widget" } }));
    const typo = await startCli(["npm", "--yes", "--headless", "--no-input"], { dirs: sandbox, env }).done;
    expect(typo.code).toBe(2);
    expect(typo.stderr.trim()).toBe(
      `rotate: ${file}: pypi.projcet: unknown key; did you mean project? known here: envVar, project, username, websiteUrl, expiresDays, uploadUrl, rotations`,
    );
  } finally {
    sandbox.cleanup();
  }
});

test("--json prints exactly one object in every outcome: a flag commander refuses, a bad value (naming the flag and what it accepts), a CircleCI that cannot be reached", async () => {
  const sandbox = freshDirs();
  try {
    mkdirSync(sandbox.cwd, { recursive: true });
    const env = { CIRCLECI_TOKEN: "not-a-real-token" };
    const rotation = ["--no-input", "--yes", "--npm-packages", "widget", "--project-slug", "gh/a/b"];
    const outcomes = [
      { args: ["npm", "--bogus", ...rotation], code: 2, error: "unknown option '--bogus'" },
      { args: ["npm", "--permission", "everything", ...rotation], code: 2, error: "--permission must be publish or stage-only" },
      {
        args: ["status", "--project-slug", "gh/a/b", "--circleci-url", "http://127.0.0.1:9/api/v2", "--trust-urls"],
        code: 1,
        error: /^cannot reach CircleCI at http:\/\/127\.0\.0\.1:9\/api\/v2/,
      },
    ];
    for (const { args, code, error } of outcomes) {
      const result = await startCli([...args, "--json"], { dirs: sandbox, env }).done;
      expect(result.code, result.stderr).toBe(code);
      const lines = result.stdout.trim().split("\n");
      expect(lines, args.join(" ")).toHaveLength(1);
      const object = JSON.parse(lines[0] ?? "") as { ok: boolean; error: string; exitCode: number };
      expect(object).toMatchObject({ ok: false, exitCode: code });
      if (typeof error === "string") expect(object.error).toBe(error);
      else expect(object.error).toMatch(error);
    }
  } finally {
    sandbox.cleanup();
  }
});
