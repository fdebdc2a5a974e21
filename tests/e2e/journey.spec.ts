// The responder's whole path as the README tells it, typed at a terminal as a person would, with the
// config `rotate init` wrote (its tokens in a context) and nothing more than `--sandbox`: init →
// rotate sandbox → status → rotate npm → rotate pypi --leaked → trust npm --dry-run → password npm →
// rotate npm again. Parts that each pass their own specs can still refuse each other's files; this
// walks them in one project, whose own project and context every drill rehearses.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "@playwright/test";
import { freePort, freshDirs, startCli, type Sandbox } from "../support/cli.js";
import { converse, plain, startPty } from "../support/pty.js";

let dirs: Sandbox;
test.beforeEach(() => {
  dirs = freshDirs();
});
test.afterEach(() => dirs.cleanup());

test("init, sandbox, status, rotate npm, rotate pypi --leaked, trust npm --dry-run, password npm, rotate npm: one project, one config, drills only", async () => {
  test.setTimeout(240_000);
  const port = await freePort();
  const desk = `http://127.0.0.1:${port}`;
  const env = { ROTATE_SANDBOX_PORT: String(port) };
  // A checkout of the project, as a responder has it.
  mkdirSync(dirs.cwd, { recursive: true });
  execFileSync("git", ["init", "-q"], { cwd: dirs.cwd });
  execFileSync("git", ["remote", "add", "origin", "git@github.com:acme/widget.git"], { cwd: dirs.cwd });
  writeFileSync(join(dirs.cwd, "package.json"), JSON.stringify({ name: "@acme/widget", version: "1.0.0" }));
  writeFileSync(join(dirs.cwd, "pyproject.toml"), '[project]\nname = "acme-widget"\nversion = "1.0"\n');

  const init = startPty(["init"], { dirs, env });
  await converse(init, [
    [/CircleCI project slug .*\(gh\/acme\/widget\)/, "acme/widget"],
    [/has no VCS prefix/, "gh/acme/widget"],
    [/CircleCI context holding the tokens/, "acme-publishing"],
    [/publish to npm\? \(Y\/n\)/, ""],
    [/CircleCI variable for the npm token/, ""],
    [/npm packages and scopes .*\(@acme\/widget\)/, ""],
    [/npm account username/, "widget-publisher"],
    [/Which kind of npm token should CircleCI get\?/, ""],
    [/publish to PyPI\? \(Y\/n\)/, ""],
    [/CircleCI variable for the PyPI token/, ""],
    [/PyPI project the token may upload to: \(acme-widget\)/, ""],
    [/PyPI account username: \(widget-publisher\)/, ""],
    [/Days the PyPI token CircleCI gets should live/, ""],
  ]);
  expect((await init.done).code, plain(init.screen())).toBe(0);
  const config = readFileSync(join(dirs.cwd, "rotate.config.json"), "utf8");

  // The drill world of this project: its context, its package and its PyPI project.
  const sandbox = startCli(["sandbox"], { dirs, env, timeoutMs: 230_000 });
  try {
    await sandbox.waitFor(/front desk +http:\/\/127\.0\.0\.1:\d+/);

    // What a person looks up while answering: the drill's password manager, authenticator and mailbox.
    // The front page shows each drill account's password as it is now, as a password manager would.
    const account = async (id: string) => {
      const page = await (await fetch(`${desk}/`)).text();
      return new RegExp(`<th scope="row">${id}</th><td>[^<]*</td><td><code>([^<]+)</code>`).exec(page)?.[1] ?? "";
    };
    const code = async (id: string) => (await (await fetch(`${desk}/code/${id}`)).text()).trim();
    const resetLink = async () =>
      /href="([^"]+)"/.exec(await (await fetch(`${desk}/outbox`)).text())?.[1]?.replaceAll("&amp;", "&") ?? "no link in the outbox";
    const answers: Array<[RegExp, () => string | Promise<string>]> = [
      [/npm password:\s*$/, () => account("npm")],
      [/PyPI password:\s*$/, () => account("pypi")],
      [/npm one-time code.*:\s*$/, () => code("npm")],
      [/PyPI one-time code.*:\s*$/, () => code("pypi")],
      [/Was the old token exposed \(leaked\)\? \(y\/N\)\s*$/, () => "n"],
      [/Paste the exposed .* token .*:\s*$/, () => ""],
      [/Paste the reset link .*:\s*$/, resetLink],
      // A pick list (which pipeline definition publishes, what the job may do): its first choice.
      [/⏎ select\s*$/, () => ""],
      [/Go ahead\? \(y\/N\)\s*$/, () => "y"],
    ];
    const drill = async (args: string[]) => {
      const run = startPty([...args, "--sandbox", "--headless"], { dirs, env });
      const { code: exit } = await run.answerUntilDone(answers);
      const screen = plain(run.screen());
      expect(exit, `${args.join(" ")}\n${screen}`).toBe(0);
      expect(screen, args.join(" ")).toContain("DRILL");
      // Every drill that asks for answers used the running sandbox, whose front desk gave them.
      if (args[0] !== "status") expect(screen, args.join(" ")).toContain("DRILL on local replicas (the running rotate sandbox)");
      return screen;
    };

    expect(await drill(["status"])).toContain('NPM_TOKEN in context "acme-publishing"');
    expect(await drill(["npm"])).toMatch(/DRILL: Rotated NPM_TOKEN/);
    expect(await drill(["pypi", "--leaked"])).toMatch(/DRILL: Rotated PYPI_TOKEN/);
    expect(await drill(["trust", "npm", "--dry-run"])).toContain("Dry run: nothing changed.");
    const before = await account("npm");
    expect(await drill(["password", "npm"])).toContain("New password of the drill account");
    expect(await account("npm")).not.toBe(before);
    // The next drill signs in with the account's new password.
    expect(await drill(["npm"])).toMatch(/DRILL: Rotated NPM_TOKEN/);

    // Every command read the file init wrote, as it was.
    expect(readFileSync(join(dirs.cwd, "rotate.config.json"), "utf8")).toBe(config);
  } finally {
    sandbox.child.kill("SIGINT");
    await sandbox.done;
  }
});
