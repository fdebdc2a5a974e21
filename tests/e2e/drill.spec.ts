// Drills rehearse the real thing: `--sandbox` in a terminal asks for the password and the code as
// a real run does (and says where to find them), it uses a `rotate sandbox` that is already
// running, the reset email of `rotate password --sandbox` is in the drill's outbox, and every
// summary and team note of a drill says DRILL first.
import { existsSync } from "node:fs";
import { expect, test } from "@playwright/test";
import { join } from "node:path";
import { z } from "zod";
import { askRunningSandbox } from "../../src/drill/open.js";
import { freePort, freshDirs, startCli, type Sandbox } from "../support/cli.js";
import { plain, startPty, type PtyRun } from "../support/pty.js";

let dirs: Sandbox;
test.beforeEach(() => {
  dirs = freshDirs();
});
test.afterEach(() => dirs.cleanup());

/** The drill instructions rotate printed: the account's password and where the codes are. */
function drillAccount(run: PtyRun): { password: string; codeUrl: string } {
  const screen = plain(run.screen());
  const password = /The drill account is \S+, password (\S+)\./.exec(screen)?.[1];
  const codeUrl = /One-time codes: (http:\/\/127\.0\.0\.1:\d+\/code\/\w+)/.exec(screen)?.[1];
  if (!password || !codeUrl) throw new Error(`no drill instructions on screen:\n${screen}`);
  return { password, codeUrl };
}

test("--sandbox in a terminal asks for the password and code like a real run, and the summary and note say DRILL", async () => {
  const run = startPty(["pypi", "--sandbox", "--headless", "--step-timeout", "10"], {
    dirs,
    env: { ROTATE_SANDBOX_PORT: String(await freePort()) },
  });
  await run.expect(/PyPI password:/);
  const { password, codeUrl } = drillAccount(run);
  run.answer(password);
  await run.expect(/PyPI one-time code/);
  run.answer((await (await fetch(codeUrl)).text()).trim());
  await run.expect(/Was the old token exposed/);
  run.answer("n");
  await run.expect(/Go ahead\?/);
  run.answer("y");
  const { code } = await run.done;
  const screen = plain(run.screen());
  expect(code, screen).toBe(0);
  expect(screen).toMatch(/DRILL: Rotated PYPI_TOKEN in project gh\/demo-org\/widget/);
  expect(screen).toContain("DRILL — a rehearsal on local replicas; no real token changed.");
  // Shown once, by the drill's instructions; the masked prompt never echoed it.
  expect(run.screen().split(password)).toHaveLength(2);
});

test("--sandbox uses the rotate sandbox already running; a reset is rehearsed to the end through its outbox", async () => {
  const port = await freePort();
  const env = { ROTATE_SANDBOX_PORT: String(port) };
  const sandbox = startCli(["sandbox"], { dirs, env, timeoutMs: 120_000 });
  try {
    await sandbox.waitFor(/front desk +http:\/\/127\.0\.0\.1:(\d+)/);
    // Its front desk answers only who proves knowing the key in this user's state directory.
    expect((await fetch(`http://127.0.0.1:${port}/drill`)).status).toBe(403);
    const found = await askRunningSandbox({ HOME: dirs.home, XDG_STATE_HOME: join(dirs.home, ".local", "state") }, port);
    if (!found || !("directory" in found)) throw new Error("the sandbox did not prove it is ours");
    const drill = found.directory;
    const circleciUrl = z.string().parse(drill.registries.pypi?.flags.circleciUrl);
    const held = async () =>
      (
        (await (
          await fetch(`${circleciUrl}/project/gh%2Fdemo-org%2Fwidget/envvar/PYPI_TOKEN`, {
            headers: { "Circle-Token": drill.circleciToken },
          })
        ).json()) as { value: string }
      ).value;
    const before = await held();

    const result = await startCli(["pypi", "--sandbox", "--yes", "--headless", "--step-timeout", "10"], { dirs, env }).done;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^DRILL: Rotated PYPI_TOKEN/);
    // The running sandbox's CircleCI now holds another value: the run used that world, not its own.
    expect(await held()).not.toBe(before);

    // npm's account, whose codes the PyPI rotation above did not use: the rotation after the reset signs in at once.
    const reset = startPty(["password", "npm", "--sandbox", "--headless", "--step-timeout", "10"], { dirs, env });
    await reset.expect(/DRILL: the reset email is in the drill's outbox, (http:\/\/\S+\/outbox)[\s\S]*Paste the reset link/);
    const outbox = /outbox, (http:\/\/\S+\/outbox)/.exec(plain(reset.screen()))?.[1] ?? "";
    const link = /href="([^"]+)"/.exec(await (await fetch(outbox)).text())?.[1]?.replaceAll("&amp;", "&");
    if (!link) throw new Error("the outbox holds no reset link");
    // A mistyped link is asked for again, as a mistyped code is.
    reset.answer("htps//oops");
    await reset.expect(/what was pasted is not a link[\s\S]*paste the link again \(try 2 of 3\)[\s\S]*Paste the reset link/);
    reset.answer(link);
    const { code } = await reset.done;
    const screen = plain(reset.screen());
    expect(code, screen).toBe(0);
    // A drill like every other: marked on the terminal and in the note, and kept out of the audit record.
    expect(screen).toContain("DRILL on local replicas (the running rotate sandbox)");
    expect(screen).toContain("DRILL — Note for the team");
    const password = /New password of the drill account: (\S+)/.exec(screen)?.[1] ?? "";
    expect(password.length).toBeGreaterThanOrEqual(32);
    expect(existsSync(join(dirs.home, ".local", "state", "rotate", "audit.jsonl"))).toBe(false);
    // The sandbox's front desk shows the account's new password, and the next drill signs in with it.
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toContain(`<code>${password}</code>`);
    const again = await startCli(["npm", "--sandbox", "--yes", "--headless", "--step-timeout", "10"], { dirs, env }).done;
    expect(again.code, again.stderr).toBe(0);
  } finally {
    sandbox.child.kill("SIGINT");
    await sandbox.done;
  }
});
