// The responder's second pass: what a person at a terminal (or a script without one) meets on a
// real first run. Typos do not end the run, yes/no means yes or no, Ctrl-C at a question is
// rotate's own message, an exposed token can be proven dead, what is missing is named at once,
// and a machine without a screen says so before any browser starts.
import * as OTPAuth from "otpauth";
import { z } from "zod";
import { startCli, worldArgs } from "../support/cli.js";
import { converse, plain, startPty } from "../support/pty.js";
import { secretsIn, worldSecrets } from "../support/secrets.js";
import { errorLines, expect, heldToken, snapshot, test } from "../support/world.js";

const interactive = (args: string[]) => args.filter((arg) => arg !== "--yes");

test("a mistyped password and a mistyped code are asked again in the same browser; the run completes", async ({ world, dirs }) => {
  const { args, env } = worldArgs(world, "pypi");
  const { ROTATE_PYPI_PASSWORD: password, ROTATE_PYPI_TOTP_SECRET: totpSecret, ...rest } = env;
  if (!password || !totpSecret) throw new Error("the drill world gave no PyPI credentials");
  const code = () => new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(totpSecret) }).generate();
  const wrongCode = () => String((Number(code()) + 1) % 1_000_000).padStart(6, "0");
  const run = startPty([...interactive(args), "--routine"], { dirs, env: rest });
  await converse(run, [
    [/PyPI password:/, "not-the-password"],
    [/PyPI refused the sign-in \(The password is invalid\. Try again\.\); try the password again[\s\S]*PyPI password:/, password],
    [/PyPI one-time code/, wrongCode()],
    [/PyPI rejected that one-time code[\s\S]*PyPI one-time code/, code()],
    [/Go ahead\?/, "y"],
  ]);
  const { code: exit } = await run.done;
  expect(exit, plain(run.screen())).toBe(0);
  expect(world.drill("pypi").isLive(heldToken(world, "pypi"))).toBe(true);
  // The password is masked; only the one-time codes are echoed, as npm's own CLI does.
  expect(run.screen()).not.toContain(password);
  expect(secretsIn(run.screen(), worldSecrets(world))).toEqual([]);
});

test("yes/no questions take only yes or no: 'leaked' is asked again, not read as no", async ({ world, dirs }) => {
  const { args, env } = worldArgs(world, "pypi");
  const before = snapshot(world);
  const run = startPty(interactive(args), { dirs, env });
  await converse(run, [
    [/Was the old token exposed \(leaked\)\? \(y\/N\)/, "leaked"],
    [/answer yes or no/, "\u0015n"],
    [/Go ahead\?/, "n"],
  ]);
  const { code } = await run.done;
  expect(code, plain(run.screen())).toBe(4);
  expect(plain(run.screen())).toContain("rotate: Cancelled, nothing changed");
  expect(snapshot(world)).toEqual(before);
});

test("Ctrl-C at a question: rotate's own message, exit 130, nothing changed", async ({ world, dirs }) => {
  const { args, env } = worldArgs(world, "pypi");
  const before = snapshot(world);
  const run = startPty(interactive(args), { dirs, env });
  await run.expect(/Was the old token exposed/);
  run.pty.write("\x03");
  const { code } = await run.done;
  const screen = plain(run.screen());
  expect(code, screen).toBe(130);
  expect(screen).toContain("rotate: interrupted (Ctrl-C)");
  expect(screen).not.toMatch(/ExitPromptError|User force closed/);
  expect(snapshot(world)).toEqual(before);
});

test("--leaked in a terminal asks for the exposed value, probes it after the delete, and says it is proven dead", async ({
  world,
  dirs,
}) => {
  const { args, env } = worldArgs(world, "pypi");
  const { ROTATE_PYPI_OLD_TOKEN: exposed, ...rest } = env;
  if (!exposed) throw new Error("the drill world gave no old PyPI token");
  const run = startPty([...interactive(args), "--leaked"], { dirs, env: rest });
  await converse(run, [
    [/Paste the exposed PyPI token so rotate can prove it dead afterwards \(Enter to skip\)/, exposed],
    [/Go ahead\?/, "y"],
  ]);
  const { code } = await run.done;
  const screen = plain(run.screen());
  expect(code, screen).toBe(0);
  expect(screen).toMatch(/✔ Check the old token is gone \(\d+\.\ds\): PyPI rejects it/);
  expect(screen).toMatch(/old token +"PYPI_TOKEN .*" deleted; PyPI rejects it \(proven dead\)/);
  expect(world.drill("pypi").isLive(exposed)).toBe(false);
  expect(run.screen()).not.toContain(exposed);
});

test("without a terminal, every missing setting is named in one message before any browser opens", async ({ world, dirs }) => {
  const { env } = worldArgs(world, "pypi");
  const result = await startCli(["pypi", "--yes", "--headless", "--trust-urls", "--circleci-url", world.circleci.apiUrl], { dirs, env })
    .done;
  expect(result.code, result.stderr).toBe(2);
  expect(errorLines(result)).toEqual([
    "rotate: 2 settings are not set: PyPI project the new token is scoped to is not set: give it with --pypi-project, ROTATE_PYPI_PROJECT, pypi.project in rotate.config.json; CircleCI project slug (vcs/org/repo, e.g. gh/mozilla/nimbus-shared) is not set: give it with --project-slug, ROTATE_PROJECT_SLUG, circleci.projectSlug in rotate.config.json, or name destinations with --target",
  ]);
  expect(result.stderr).not.toContain("browser");
  expect(world.circleci.calls).toEqual([]);
});

test("no display and no --headless: one line that says how to fix it, before any browser starts", async ({ world, dirs }) => {
  const { args, env } = worldArgs(world, "pypi");
  const result = await startCli(
    args.filter((arg) => arg !== "--headless"),
    { dirs, env },
  ).done;
  expect(result.code, result.stderr).toBe(2);
  expect(errorLines(result)).toEqual(["rotate: no display: run from a desktop session, under `xvfb-run`, or with --headless"]);
});

test("--json on a failure: one JSON object with ok false, the error, the exit code and where things stand", async ({ world, dirs }) => {
  world.drill("pypi").faults.add({ ...world.drill("pypi").points.check, fault: world.drill("pypi").points.deadAnswer });
  const { args, env } = worldArgs(world, "pypi");
  const result = await startCli([...args, "--json"], { dirs, env }).done;
  expect(result.code, result.stderr).toBe(1);
  const failure = z
    .object({ ok: z.literal(false), error: z.string(), exitCode: z.number(), whereThingsStand: z.array(z.string()), nextStep: z.string() })
    .strict()
    .parse(JSON.parse(result.stdout));
  expect(failure.error).toBe("PyPI does not accept the new token (its check says dead)");
  expect(failure.exitCode).toBe(1);
  expect(failure.whereThingsStand.some((line) => /new token ".*": deleted again during clean-up/.test(line))).toBe(true);
  expect(failure.nextStep).toMatch(/^Nothing changed\. Fix the cause above, then run `rotate pypi` again\.$/);
});

test("rotate --help into a pipe that closes early exits quietly", async ({ dirs }) => {
  const result = await startCli(["--help"], { dirs, closeStdoutAfterFirstChunk: true }).done;
  expect(result.code).toBe(0);
  expect(result.stderr).toBe("");
});

test("at 80 columns: lines fit without cutting a last four, each question on its own line, keys typed early are not shown", async ({
  world,
  dirs,
}) => {
  const { args, env } = worldArgs(world, "pypi");
  const { ROTATE_PYPI_PASSWORD: password, ...rest } = env;
  if (!password) throw new Error("the drill world gave no PyPI password");
  const run = startPty([...args, "--routine"], { dirs, env: rest, cols: 80 });
  // Typed while rotate is busy, before any question: the terminal must not show it.
  await run.expect(/Preflight CircleCI/);
  run.pty.write("typed-too-early");
  await run.expect(/PyPI password:/);
  run.answer(password);
  const { code } = await run.done;
  const screen = run.screen();
  expect(code, plain(screen)).toBe(0);
  expect(plain(screen)).not.toContain("typed-too-early");
  // What each line shows once the terminal has drawn it: the text after its last carriage return.
  const shown = plain(screen)
    .split(/\r?\n/)
    .map((line) => line.slice(line.lastIndexOf("\r") + 1));
  const checklist = shown.filter((line) => /^[✔✖–] /.test(line));
  expect(checklist.length).toBeGreaterThan(8);
  for (const line of checklist) expect(line.length, line).toBeLessThanOrEqual(80);
  const created = checklist.find((line) => line.startsWith("✔ Create"));
  expect(created).toMatch(new RegExp(`…${heldToken(world, "pypi").slice(-4)}$`));
  expect(shown.find((line) => line.includes("PyPI password:"))).toMatch(/^\W{0,2}PyPI password:/);
});
