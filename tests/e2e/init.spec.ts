// `rotate init` in a pseudo-terminal: the real prompts, answered like a person typing. The file
// it writes holds the answers and nothing secret; a token typed by mistake stops it.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "@playwright/test";
import { npm } from "../../flows/npm/index.js";
import { pypi } from "../../flows/pypi/index.js";
import { validateConfig } from "../../src/settings/config.js";
import { browserSection, circleciSection } from "../../src/settings/declarations.js";
import { freshDirs, startCli, type Sandbox } from "../support/cli.js";
import { converse, plain, startPty } from "../support/pty.js";

const sections = [circleciSection, browserSection, pypi.section, npm.section];

let dirs: Sandbox;
test.beforeEach(() => {
  dirs = freshDirs();
});
test.afterEach(() => dirs.cleanup());

const configPath = () => join(dirs.cwd, "rotate.config.json");

test("rotate init asks the questions and writes rotate.config.json with the answers and no secret", async () => {
  const run = startPty(["init"], { dirs });
  await converse(run, [
    [/CircleCI project slug/, "gh/acme/widget"],
    [/CircleCI context holding the tokens/, "publishing"],
    [/publish to npm\?/, "y"],
    [/CircleCI variable for the npm token: \(NPM_TOKEN\)/, ""],
    [/npm packages and scopes/, "@acme/widget, acme-cli"],
    [/npm account username/, "acme-bot"],
    [/Which kind of npm token should CircleCI get\?/, ""],
    [/publish to PyPI\?/, "y"],
    [/CircleCI variable for the PyPI token: \(PYPI_TOKEN\)/, "PYPI_API_TOKEN"],
    [/PyPI project the token may upload to/, "acme-widget"],
    [/PyPI account username/, "acme-pypi"],
    [/Days the PyPI token CircleCI gets should live \(0: it never expires\): \(90\)/, "30"],
  ]);
  expect((await run.done).code, plain(run.screen())).toBe(0);
  expect(plain(run.screen())).toContain(`Wrote ${configPath()}.`);

  const written = JSON.parse(readFileSync(configPath(), "utf8")) as unknown;
  expect(written).toEqual({
    circleci: { projectSlug: "gh/acme/widget", context: "publishing" },
    npm: { envVar: "NPM_TOKEN", packages: ["@acme/widget", "acme-cli"], username: "acme-bot", permission: "publish" },
    pypi: { envVar: "PYPI_API_TOKEN", project: "acme-widget", username: "acme-pypi", expiresDays: 30 },
  });
  // What every run reads it with: known keys only, nothing that looks like a secret.
  expect(validateConfig(written, configPath(), sections)).toEqual(written);
});

test("rotate init leaves out a registry the project does not publish to, and unanswered questions", async () => {
  const run = startPty(["init"], { dirs });
  await converse(run, [
    [/CircleCI project slug/, "gh/acme/widget"],
    [/CircleCI context holding the tokens/, ""],
    [/publish to npm\?/, "n"],
    [/publish to PyPI\?/, "y"],
    [/CircleCI variable for the PyPI token/, ""],
    [/PyPI project the token may upload to/, "acme-widget"],
    [/PyPI account username/, ""],
    [/Days the PyPI token/, "0"],
  ]);
  expect((await run.done).code, plain(run.screen())).toBe(0);
  expect(JSON.parse(readFileSync(configPath(), "utf8"))).toEqual({
    circleci: { projectSlug: "gh/acme/widget" },
    pypi: { envVar: "PYPI_TOKEN", project: "acme-widget", expiresDays: 0 },
  });
});

test("a token typed as an answer is refused at the prompt and asked again; nothing else is lost", async () => {
  const token = `npm_${"Q7w8E9r0T1".repeat(3)}y2U3i4`;
  const run = startPty(["init"], { dirs });
  await converse(run, [
    [/CircleCI project slug/, "gh/acme/widget"],
    [/CircleCI context holding the tokens/, ""],
    [/publish to npm\?/, "y"],
    [/CircleCI variable for the npm token/, ""],
    [/npm packages and scopes/, token],
    [/that looks like a token: rotate.config.json never holds secrets/, "\u0015@acme/widget"],
    [/npm account username/, ""],
    [/Which kind of npm token should CircleCI get\?/, ""],
    [/publish to PyPI\?/, "n"],
  ]);
  expect((await run.done).code, plain(run.screen())).toBe(0);
  const written = readFileSync(configPath(), "utf8");
  expect(written).not.toContain(token);
  expect(JSON.parse(written)).toEqual({
    circleci: { projectSlug: "gh/acme/widget" },
    npm: { envVar: "NPM_TOKEN", packages: ["@acme/widget"], permission: "publish" },
  });
});

test("answers are checked as typed: a slug without its VCS, a variable name CircleCI refuses, an npm name npm refuses, a PyPI name PyPI refuses; a refused answer is cleared, a yes/no answer shown", async () => {
  const run = startPty(["init"], { dirs });
  await converse(run, [
    [/CircleCI project slug/, "mozilla/nimbus-shared"],
    // Typed again without clearing the line: the refused answer was cleared.
    [/"mozilla\/nimbus-shared" has no VCS prefix: write gh\/mozilla\/nimbus-shared \(GitHub\)/, "gh/mozilla/nimbus-shared"],
    [/CircleCI context holding the tokens/, ""],
    [/publish to npm\?/, "y"],
    // The package typed one question early: no variable CircleCI would take.
    [/CircleCI variable for the npm token/, "@mozilla/nimbus-shared"],
    [/"@mozilla\/nimbus-shared" cannot be a CircleCI variable name: CircleCI takes letters, digits and _ only/, "NPM_TOKEN"],
    [/npm packages and scopes/, "Nimbus Shared!"],
    [/"Nimbus Shared!" is not an npm package or scope/, "@mozilla/nimbus-shared"],
    [/npm account username/, "nimbus-publisher"],
    [/Which kind of npm token should CircleCI get\?/, "\u001b[B"],
    [/publish to PyPI\?/, "y"],
    [/CircleCI variable for the PyPI token/, ""],
    [/PyPI project the token may upload to/, "nimbus shared"],
    [/"nimbus shared" is not a PyPI project name/, "mozilla-nimbus-shared"],
    // One account often publishes everywhere: the npm username is proposed.
    [/PyPI account username: \(nimbus-publisher\)/, ""],
    [/Days the PyPI token CircleCI gets should live/, ""],
  ]);
  expect((await run.done).code, plain(run.screen())).toBe(0);
  const screen = plain(run.screen());
  expect(screen).toContain("Does the project publish to npm? (y/N) yes");
  expect(screen).toContain("Does the project publish to PyPI? (y/N) yes");
  expect(screen).toContain("January 2027");
  expect(screen).toContain("`rotate trust npm`");
  expect(JSON.parse(readFileSync(configPath(), "utf8"))).toEqual({
    circleci: { projectSlug: "gh/mozilla/nimbus-shared" },
    npm: { envVar: "NPM_TOKEN", packages: ["@mozilla/nimbus-shared"], username: "nimbus-publisher", permission: "stage-only" },
    pypi: { envVar: "PYPI_TOKEN", project: "mozilla-nimbus-shared", username: "nimbus-publisher", expiresDays: 90 },
  });
});

test("what the checkout says is proposed: the slug from the git remote, the npm package, the PyPI project", async () => {
  mkdirSync(dirs.cwd, { recursive: true });
  execFileSync("git", ["init", "-q"], { cwd: dirs.cwd });
  execFileSync("git", ["remote", "add", "origin", "git@github.com:acme/widget.git"], { cwd: dirs.cwd });
  writeFileSync(join(dirs.cwd, "package.json"), JSON.stringify({ name: "@acme/widget", version: "1.0.0" }));
  writeFileSync(
    join(dirs.cwd, "pyproject.toml"),
    '[build-system]\nrequires = ["hatchling"]\n\n[project]\nname = "acme-widget"\nversion = "1.0"\n',
  );
  const run = startPty(["init"], { dirs });
  await converse(run, [
    [/CircleCI project slug .*\(gh\/acme\/widget\)/, ""],
    [/CircleCI context holding the tokens/, ""],
    [/publish to npm\? \(Y\/n\)/, ""],
    [/CircleCI variable for the npm token/, ""],
    [/npm packages and scopes .*\(@acme\/widget\)/, ""],
    [/npm account username/, ""],
    [/Which kind of npm token should CircleCI get\?/, ""],
    [/publish to PyPI\? \(Y\/n\)/, ""],
    [/CircleCI variable for the PyPI token/, ""],
    [/PyPI project the token may upload to: \(acme-widget\)/, ""],
    [/PyPI account username/, ""],
    [/Days the PyPI token .*\(90\)/, ""],
  ]);
  expect((await run.done).code, plain(run.screen())).toBe(0);
  expect(JSON.parse(readFileSync(configPath(), "utf8"))).toEqual({
    circleci: { projectSlug: "gh/acme/widget" },
    npm: { envVar: "NPM_TOKEN", packages: ["@acme/widget"], permission: "publish" },
    pypi: { envVar: "PYPI_TOKEN", project: "acme-widget", expiresDays: 90 },
  });
});

test("an existing rotate.config.json is not replaced without --force, and no question is asked", async () => {
  mkdirSync(dirs.cwd, { recursive: true });
  const existing = `${JSON.stringify({ pypi: { project: "keep-me" } })}\n`;
  writeFileSync(configPath(), existing);
  const run = startPty(["init"], { dirs });
  expect((await run.done).code).toBe(2);
  const screen = plain(run.screen());
  expect(screen).toContain(`rotate: ${configPath()} exists already: edit it, or pass --force to write it again`);
  expect(screen).not.toContain("CircleCI project slug");
  expect(readFileSync(configPath(), "utf8")).toBe(existing);
});

test("--force asks again and replaces the file", async () => {
  mkdirSync(dirs.cwd, { recursive: true });
  writeFileSync(configPath(), `${JSON.stringify({ pypi: { project: "old" } })}\n`);
  const run = startPty(["init", "--force"], { dirs });
  await converse(run, [
    [/CircleCI project slug/, "gh/acme/other"],
    [/CircleCI context holding the tokens/, ""],
    [/publish to npm\?/, "n"],
    [/publish to PyPI\?/, "n"],
  ]);
  expect((await run.done).code, plain(run.screen())).toBe(0);
  expect(JSON.parse(readFileSync(configPath(), "utf8"))).toEqual({ circleci: { projectSlug: "gh/acme/other" } });
});

test("without a terminal, rotate init says how else to write the file", async () => {
  const result = await startCli(["init"], { dirs }).done;
  expect(result.code).toBe(2);
  expect(result.stderr.trim()).toBe(
    'rotate: no terminal to ask "CircleCI project slug (vcs/org/repo, e.g. gh/mozilla/nimbus-shared)": run rotate init in a terminal, or write rotate.config.json by hand (see README)',
  );
  expect(existsSync(configPath())).toBe(false);
});
