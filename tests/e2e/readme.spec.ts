// The README is a contract: every command in its fenced `sh` blocks and every rotate.config.json
// example runs here, so an example that stops working fails the suite.
//
// The rule for what cannot run as written (it is the only substitution this spec makes):
//   - a `rotate …` command is for a real account: it runs as its drill, the same command with
//     `--sandbox` (and `--yes`, since no one is at a terminal here), each in a world of its own;
//     what a person would answer at a question gets its flag (`rotate trust`: the drill project's
//     publishing pipeline definition, `--pipeline-definition build-and-publish`); a command that
//     picks rotations by name (`--only NAME`) runs beside the README's fleet example (the config
//     example with `rotations`), whose world the drill builds; `--all` runs where it is, on the
//     drill's own project (a fleet of one);
//   - `export CIRCLECI_TOKEN=…` sets what a drill provides itself;
//   - `rotate init` runs in a pseudo-terminal in a scratch checkout, every proposal accepted;
//   - `rotate sandbox` runs until its front desk answers, then is stopped;
//   - a cron line runs the rotate command in it;
//   - the clone's own commands: `npm start` runs `rotate demo` on the suite's build (what its
//     prestart would build), `npm test` is what .ci/run runs (CI itself), the install line is run
//     as written by pack.spec.ts, a spec file named must exist, `npm run bench` must be a script.
// A README command no rule covers fails the spec: add it to the README with a rule, or not at all.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { expect, test } from "@playwright/test";
import { registries } from "../../src/registries.js";
import { validateConfig } from "../../src/settings/config.js";
import { browserSection, circleciSection } from "../../src/settings/declarations.js";
import { freePort, freshDirs, startCli, type Sandbox } from "../support/cli.js";
import { plain, startPty } from "../support/pty.js";

const ROOT = resolve(".");
const README = readFileSync(join(ROOT, "README.md"), "utf8");

/** The fenced blocks of a language, in order. */
function blocks(language: string): string[] {
  return [...README.matchAll(new RegExp("```" + language + "\\n([\\s\\S]*?)```", "g"))].map((m) => m[1] ?? "");
}

/** Each command line of the `sh` blocks, its trailing comment left off. */
const commands = blocks("sh")
  .flatMap((block) => block.split("\n"))
  .map((line) => line.replace(/\s+#\s.*$/, "").trim())
  .filter((line) => line !== "");

let dirs: Sandbox;
test.beforeEach(() => {
  dirs = freshDirs();
  mkdirSync(dirs.cwd, { recursive: true });
});
test.afterEach(() => dirs.cleanup());

/** A drill of a README command, in a world of its own (no running sandbox on that port). */
async function drill(words: string[]): Promise<void> {
  const env = { ROTATE_SANDBOX_PORT: String(await freePort()) };
  const answers = [
    ...(words.includes("status") ? [] : ["--yes"]),
    ...(words[0] === "trust" ? ["--pipeline-definition", "build-and-publish"] : []),
  ];
  const result = await startCli([...words, "--sandbox", ...answers, "--headless"], { dirs, env }).done;
  expect(result.code, `${words.join(" ")}\n${result.stderr}`).toBe(0);
  expect(result.stdout, words.join(" ")).toMatch(/^DRILL/);
}

/** rotate init as a person with a fresh checkout would run it: every proposal taken. */
async function init(): Promise<void> {
  execFileSync("git", ["init", "-q"], { cwd: dirs.cwd });
  execFileSync("git", ["remote", "add", "origin", "git@github.com:acme/widget.git"], { cwd: dirs.cwd });
  writeFileSync(join(dirs.cwd, "package.json"), JSON.stringify({ name: "@acme/widget", version: "1.0.0" }));
  writeFileSync(join(dirs.cwd, "pyproject.toml"), '[project]\nname = "acme-widget"\nversion = "1.0"\n');
  const run = startPty(["init"], { dirs });
  // A question waits at its end (a proposal in brackets), a pick list at its key hint.
  const { code } = await run.answerUntilDone([
    [/[?:]\s*(\([^)]*\))?\s*$/, () => ""],
    [/⏎ select\s*$/, () => ""],
  ]);
  expect(code, plain(run.screen())).toBe(0);
  expect(existsSync(join(dirs.cwd, "rotate.config.json"))).toBe(true);
}

async function sandbox(): Promise<void> {
  const port = await freePort();
  const running = startCli(["sandbox"], { dirs, env: { ROTATE_SANDBOX_PORT: String(port) }, timeoutMs: 60_000 });
  try {
    await running.waitFor(new RegExp(`front desk +http://127\\.0\\.0\\.1:${port}`));
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toContain("Drill front desk");
  } finally {
    running.child.kill("SIGINT");
    await running.done;
  }
}

const scripts = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;

/** What each README command is checked with; undefined: no rule covers it. */
function ruleFor(command: string): (() => Promise<void>) | undefined {
  const words = command.split(/\s+/);
  if (command === "npm ci && npm start")
    return async () => {
      expect(scripts.start).toBe("node dist/src/cli.js demo");
      const demo = await startCli(["demo"], { dirs, timeoutMs: 80_000 }).done;
      expect(demo.code, demo.stderr).toBe(0);
    };
  if (command === "npm ci && npm test") return async () => expect(readFileSync(join(ROOT, ".ci/run"), "utf8")).toMatch(/^npm test$/m);
  if (command.startsWith("npm install --global "))
    return async () => expect(readFileSync(join(ROOT, "tests/e2e/pack.spec.ts"), "utf8")).toContain(command);
  if (command === "npm test") return async () => expect(scripts.test).toBeDefined();
  if (command === "npm run bench") return async () => expect(scripts.bench).toBe("node dist/bench/bench.js");
  if (words[0] === "npx" && words[1] === "playwright" && words[2] === "test")
    return async () => expect(existsSync(join(ROOT, words[3] ?? ""))).toBe(true);
  if (/^export CIRCLECI_TOKEN=/.test(command)) return async () => undefined;
  if (command === "rotate init") return init;
  if (command === "rotate sandbox") return sandbox;
  if (words[0] === "rotate" && words.includes("--only"))
    return async () => {
      writeFileSync(join(dirs.cwd, "rotate.config.json"), JSON.stringify(fleetExample()));
      await drill(words.slice(1));
    };
  if (words[0] === "rotate") return () => drill(words.slice(1));
  // A cron line: the rotate command in it.
  const scheduled = /&& (rotate [^|&]+?)\s*(\|\||$)/.exec(command)?.[1];
  if (scheduled) return () => drill(scheduled.split(/\s+/).slice(1));
  return undefined;
}

test("every command in the README's sh blocks has a rule here", () => {
  expect(commands.length).toBeGreaterThan(10);
  expect(commands.filter((command) => !ruleFor(command))).toEqual([]);
});

for (const command of new Set(commands)) {
  test(`README: ${command}`, async () => {
    const rule = ruleFor(command);
    if (!rule) throw new Error(`no rule for ${command}`);
    await rule();
  });
}

const configs = blocks("json").map((block) => JSON.parse(block) as Record<string, unknown>);
const isFleet = (config: Record<string, unknown>) =>
  registries.some((r) => (config[r.section.section] as { rotations?: unknown } | undefined)?.rotations !== undefined);

/** The README's example of an organisation's fleet: the config example that names rotations. */
function fleetExample(): Record<string, unknown> {
  const found = configs.find(isFleet);
  if (!found) throw new Error("the README has no config example with rotations");
  return found;
}

test("the README's rotate.config.json examples are what every command reads", () => {
  expect(configs.length).toBeGreaterThan(1);
  const sections = [circleciSection, browserSection, ...registries.map((r) => r.section)];
  for (const config of configs) expect(validateConfig(config, join(dirs.cwd, "rotate.config.json"), sections)).toEqual(config);
});

test("a drill runs with the README's config of one project, as a real run would read it", async () => {
  const [config] = configs.filter((c) => !isFleet(c));
  writeFileSync(join(dirs.cwd, "rotate.config.json"), JSON.stringify(config));
  // The drill takes the world's accounts and project, and the file's shape as a real run would.
  await drill(["status"]);
  await drill(["pypi", "--dry-run"]);
});

test("in a directory holding only the README's fleet example, --all --sandbox rotates that fleet, every rotation of it", async () => {
  // npm's fleet pays a one-time code per create and delete: with several rotations, the codes of a
  // few 30-second steps (src/secrets/totp.ts).
  test.setTimeout(180_000);
  const fleet = fleetExample();
  writeFileSync(join(dirs.cwd, "rotate.config.json"), JSON.stringify(fleet));
  await drill(["status", "--all"]);
  for (const registry of registries) {
    const names = ((fleet[registry.section.section] as { rotations?: Array<{ name: string }> } | undefined)?.rotations ?? []).map(
      (r) => r.name,
    );
    const result = await startCli([registry.id, "--all", "--sandbox", "--yes", "--headless"], {
      dirs,
      env: { ROTATE_SANDBOX_PORT: String(await freePort()) },
      timeoutMs: 170_000,
    }).done;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`DRILL: ${names.length} ${registry.title} rotation(s)`);
    expect(result.stdout).toContain(`${names.length} rotated`);
    // Each rotation found the token its destinations held (its own packages, its own name) and deleted it.
    for (const name of names) expect(result.stdout).toMatch(new RegExp(`^  ${name} +"[^"]+" …\\S{4} +(\\d) of \\1 +"[^"]+" deleted`, "m"));
  }
});
