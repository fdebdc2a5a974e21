// What a finished run leaves for people and machines: the --json summary's exact shape, the
// plain checklist without a terminal, the team note, the audit record (and that none of them
// holds a secret), and NO_COLOR in a terminal.
import { readFileSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { DEMO, type SandboxWorld } from "rotate-replicas";
import { npm } from "../../flows/npm/index.js";
import type { IO } from "../../src/io.js";
import { Progress } from "../../src/rotation/progress.js";
import { worldArgs, type CliResult, type Sandbox } from "../support/cli.js";
import { plain, startPty } from "../support/pty.js";
import { npmOf } from "../support/replicas.js";
import { expect, heldToken, test } from "../support/world.js";

const ANSI = /\x1b\[/;
const SPINNER_FRAME = /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/;
const TOOL_NAME = (envVar: string) => new RegExp(`^${envVar} ${DEMO.projectSlug} \\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}Z$`);
const last4 = z.string().regex(/^[\w-]{4}$/);

const Summary = z
  .object({
    ok: z.literal(true),
    drill: z.boolean(),
    registry: z.enum(["npm", "PyPI"]),
    order: z.enum(["routine", "incident"]),
    durationMs: z.number().int().nonnegative(),
    circleci: z
      .object({
        user: z.string(),
        contextApi: z.enum(["v3", "v2"]).nullable(),
        destinations: z.array(
          z.object({ envVar: z.string(), where: z.string(), target: z.string(), before: last4.nullable(), now: last4.nullable() }).strict(),
        ),
      })
      .strict(),
    newToken: z.object({ name: z.string(), last4, expires: z.iso.datetime().nullable() }).strict(),
    oldToken: z
      .object({ name: z.string(), deleted: z.literal(true), provenDead: z.boolean() })
      .strict()
      .nullable(),
    orphansDeleted: z.array(z.string()),
    warnings: z.array(z.string()),
    needsHuman: z.array(z.string()),
    advisories: z.array(z.string()),
    addresses: z.array(z.object({ describe: z.string(), url: z.string(), from: z.string(), official: z.boolean() }).strict()),
    steps: z.array(
      z
        .object({
          at: z.iso.datetime(),
          step: z.string(),
          outcome: z.enum(["ok", "failed", "skipped", "warning"]),
          detail: z.string().optional(),
        })
        .strict(),
    ),
    // A person's time: the one-time codes the run asked for, and the wait for them.
    oneTimeCodes: z.object({ asked: z.number().int().nonnegative(), waitedMs: z.number().int().nonnegative() }).strict(),
  })
  .strict();

const AuditLineShape = z
  .object({
    at: z.iso.datetime(),
    run: z.uuid(),
    by: z.string(),
    registry: z.enum(["npm", "PyPI"]),
    envVar: z.string(),
    where: z.string(),
    step: z.string(),
    outcome: z.enum(["ok", "failed", "skipped", "warning"]),
    detail: z.string().optional(),
    newToken: z.object({ name: z.string(), last4, expires: z.iso.datetime().nullable() }).strict().optional(),
  })
  .strict();

/** Every secret of a drill world's run: CircleCI token, the accounts' passwords and TOTP secrets, the old tokens. */
function worldSecrets(world: SandboxWorld): Record<string, string> {
  return Object.fromEntries([
    ["CircleCI token", world.circleciToken],
    ...world.drills.flatMap((d) => [
      [`${d.id} password`, d.account.password],
      [`${d.id} TOTP secret`, d.account.totpSecret],
      [`old ${d.id} token`, heldToken(world, d.id)],
    ]),
  ]);
}

function expectNoSecret(text: string, secrets: Record<string, string>, where: string): void {
  for (const [label, value] of Object.entries(secrets)) expect(text.includes(value), `${label} in ${where}`).toBe(false);
}

const auditFile = (dirs: Sandbox) => join(dirs.home, ".local", "state", "rotate", "audit.jsonl");
const stepNames = (steps: Array<{ step: string }>) => steps.map((s) => s.step);

/** Whether `order` appears in `names` in that order (other steps may come between). */
function inOrder(names: string[], order: string[]): boolean {
  let at = -1;
  return order.every((name) => (at = names.indexOf(name, at + 1)) !== -1);
}

test("rotate pypi --json: one JSON object on stdout, in its exact shape, and nothing else", async ({ world, rotation }) => {
  const before = heldToken(world, "pypi");
  const result = await rotation.run("pypi", ["--json"]);
  expect(result.code, result.stderr).toBe(0);
  expect(result.stdout.endsWith("\n")).toBe(true);
  expect(result.stdout.trim().split("\n")).toHaveLength(1);
  const summary = Summary.parse(JSON.parse(result.stdout));

  const held = heldToken(world, "pypi");
  expect(summary).toMatchObject({
    drill: false,
    registry: "PyPI",
    order: "routine",
    circleci: {
      user: DEMO.circleciUser.login,
      // A project destination only: no context, so no API for contexts was used.
      contextApi: null,
      destinations: [
        {
          envVar: "PYPI_TOKEN",
          where: `project ${DEMO.projectSlug}`,
          target: DEMO.projectSlug,
          before: before.slice(-4),
          now: held.slice(-4),
        },
      ],
    },
    newToken: { last4: held.slice(-4), expires: null },
    oldToken: { deleted: true, provenDead: true },
    orphansDeleted: [],
    needsHuman: [],
    warnings: [],
    advisories: [],
  });
  expect(summary.newToken.name).toMatch(TOOL_NAME("PYPI_TOKEN"));
  expect(
    world
      .drill("pypi")
      .tokenNames()
      .filter((name) => TOOL_NAME("PYPI_TOKEN").test(name)),
  ).toEqual([summary.newToken.name]);
  // Routine order: the new token is in CircleCI before the old one goes; done comes last.
  expect(inOrder(stepNames(summary.steps), ["preflight", "sign-in", "create", "push", "verify-circleci", "delete-old", "verify-old"])).toBe(
    true,
  );
  expect(summary.steps.at(-1)).toMatchObject({ step: "done", outcome: "ok" });
  const times = summary.steps.map((s) => Date.parse(s.at));
  expect(times).toEqual([...times].sort((a, b) => a - b));
  // The report for people is not printed as well.
  expect(result.stdout).not.toContain("Note for the team");
  expect(result.stderr).not.toContain("Note for the team");
});

test("rotate npm without a terminal: plain ✔ lines, no ANSI escapes, the summary, the team note and the January 2027 note", async ({
  world,
  rotation,
}) => {
  const result = await rotation.run("npm");
  expect(result.code, result.stderr).toBe(0);
  expect(result.stdout + result.stderr).not.toMatch(ANSI);
  expect(result.stderr).not.toMatch(SPINNER_FRAME);

  const progress = result.stderr.trimEnd().split("\n");
  const finished = progress.filter((line) => line.startsWith("✔ "));
  expect(finished.length).toBeGreaterThanOrEqual(10);
  for (const line of finished) expect(line).toMatch(/^✔ \S.* \(\d+\.\ds\)(: .+)?$/);
  // Each step is announced on its own line before it finishes: the order a log reader sees.
  expect(progress.indexOf("• Sign in to npm …")).toBeLessThan(progress.findIndex((line) => line.startsWith("✔ Sign in to npm (")));
  expect(progress.every((line) => /^(• |✔ |– | {2})/.test(line))).toBe(true);

  const held = heldToken(world, "npm");
  const [created] = npmOf(world).tokens(world.drill("npm").account.username);
  const expiry = created?.expires.toISOString().slice(0, 10);
  const [january2027] = npm.statusNotes({});
  expect(result.stdout).toContain(`Rotated NPM_TOKEN in project ${DEMO.projectSlug} (routine order, `);
  expect(result.stdout).toContain(`  new token  "${created?.name}" …${held.slice(-4)}, CircleCI holds it, expires ${expiry}\n`);
  expect(result.stdout).toContain(`  note       ${january2027}\n`);

  const note = result.stdout.slice(result.stdout.indexOf("Note for the team (paste to the mailing list):"));
  const noteLines = note.trim().split("\n");
  expect(noteLines).toHaveLength(5);
  expect(noteLines[1]).toMatch(
    new RegExp(
      `^  \\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2} UTC — ${userInfo().username} \\(CircleCI user ${DEMO.circleciUser.login}\\) rotated the npm publishing token as routine maintenance\\.$`,
    ),
  );
  expect(noteLines[2]).toBe(
    `  CircleCI NPM_TOKEN in project ${DEMO.projectSlug} now holds "${created?.name}" (ending …${held.slice(-4)}), which expires on ${expiry}.`,
  );
  expect(noteLines[3]).toMatch(/^ {2}Old token: "NPM_TOKEN .*" deleted; npm rejects it \(proven dead\)\.$/);
  expect(noteLines[4]).toBe(`  ${january2027}`);
});

test("the audit record after a pypi and an npm run: one parsable line per step, names and last four only, no secret", async ({
  world,
  dirs,
  rotation,
}) => {
  const secrets = worldSecrets(world);
  const results: CliResult[] = [await rotation.run("pypi", ["--json"]), await rotation.run("npm", ["--leaked"])];
  for (const result of results) expect(result.code, result.stderr).toBe(0);
  const newTokens = { "new PyPI token": heldToken(world, "pypi"), "new npm token": heldToken(world, "npm") };
  // The scan below must be able to fail: these really are different values now.
  expect(newTokens["new PyPI token"]).not.toBe(secrets["old pypi token"]);
  expect(newTokens["new npm token"]).not.toBe(secrets["old npm token"]);

  const text = readFileSync(auditFile(dirs), "utf8");
  expectNoSecret(text, { ...secrets, ...newTokens }, "the audit file");
  for (const [index, result] of results.entries())
    expectNoSecret(result.stdout + result.stderr, { ...secrets, ...newTokens }, `the output of run ${index + 1}`);

  const lines = text
    .trim()
    .split("\n")
    .map((line) => AuditLineShape.parse(JSON.parse(line)));
  const runs = [...new Set(lines.map((line) => line.run))];
  expect(runs).toHaveLength(2);
  for (const [run, id, registry, envVar, order] of [
    [runs[0], "pypi", "PyPI", "PYPI_TOKEN", ["create", "push", "verify-circleci", "delete-old", "verify-old"]],
    [runs[1], "npm", "npm", "NPM_TOKEN", ["delete-old", "verify-old", "create", "push", "verify-circleci"]],
  ] as const) {
    const ofRun = lines.filter((line) => line.run === run);
    expect(
      ofRun.every((line) => line.registry === registry && line.envVar === envVar && line.where === `project ${DEMO.projectSlug}`),
    ).toBe(true);
    expect(ofRun.every((line) => line.by === userInfo().username && line.outcome === "ok")).toBe(true);
    expect(inOrder(stepNames(ofRun), [...order])).toBe(true);
    const done = ofRun.at(-1);
    expect(done?.step).toBe("done");
    const held = heldToken(world, id);
    expect(done?.newToken?.last4).toBe(held.slice(-4));
    expect(done?.newToken?.name).toMatch(TOOL_NAME(envVar));
  }
  // npm tokens expire; the record keeps when, for `rotate status`.
  expect(lines.filter((line) => line.step === "done").map((line) => line.newToken?.expires === null)).toEqual([true, false]);
});

test("in a terminal, NO_COLOR gives plain lines and no spinner; without it the spinner draws and a prompt mid-step still works", async ({
  world,
  dirs,
}) => {
  const { args, env } = worldArgs(world, "pypi");
  const plainRun = startPty([...args, "--routine"], { dirs, env: { ...env, NO_COLOR: "1" } });
  expect((await plainRun.done).code, plain(plainRun.screen())).toBe(0);
  const screen = plainRun.screen();
  expect(screen).not.toMatch(ANSI);
  expect(screen).not.toMatch(SPINNER_FRAME);
  expect(screen).toContain("• Sign in to PyPI …");
  expect(screen).toMatch(/✔ Sign in to PyPI \(\d+\.\ds\)/);

  // The password is asked in the middle of "Sign in": the spinner must leave the prompt alone.
  // (npm this time: a second PyPI sign-in within 30 s would replay the same one-time code.)
  const npmRun = worldArgs(world, "npm");
  const { ROTATE_NPM_PASSWORD: password, ...withoutPassword } = npmRun.env;
  if (!password) throw new Error("the drill world gave no npm password");
  const colourRun = startPty([...npmRun.args, "--routine"], { dirs, env: withoutPassword });
  await colourRun.expect(/npm password:/);
  const promptShown = colourRun.screen().length;
  colourRun.answer(password);
  // Between the question and the masked answer the spinner drew nothing over it.
  await colourRun.expect(/\*{8,}/, { from: promptShown });
  expect(colourRun.screen().slice(promptShown, colourRun.screen().lastIndexOf("*") + 1)).not.toMatch(SPINNER_FRAME);
  expect((await colourRun.done).code, plain(colourRun.screen())).toBe(0);
  const colour = colourRun.screen();
  expect(colour).toMatch(SPINNER_FRAME);
  expect(colour).toContain("\x1b[2K");
  expect(colour).not.toContain(password);
  expect(plain(colour)).toMatch(/✔ Sign in to npm \(\d+\.\ds\)/);
  expect(plain(colour)).toContain(`Rotated NPM_TOKEN in project ${DEMO.projectSlug}`);
});

test("while a prompt holds the terminal, spinner ticks draw nothing over it", () => {
  const written: string[] = [];
  const io = {
    color: true,
    prompting: false,
    quietKeys: () => undefined,
    stderr: {},
    err: (text: string) => void written.push(text),
  } as unknown as IO;
  let tick = () => {};
  const progress = new Progress(
    io,
    () => 0,
    (next) => ((tick = next), { stop: () => undefined }),
  );
  void progress.step("Sign in to npm", () => new Promise<void>(() => undefined));
  io.prompting = true; // the password prompt is open
  const before = written.length;
  for (let i = 0; i < 5; i++) tick();
  expect(written.slice(before)).toEqual([]);
  io.prompting = false;
  tick();
  expect(written.at(-1)).toMatch(SPINNER_FRAME);
});

test("on a terminal the spinner goes on under a note (a retry, an instruction) until its step ends", async () => {
  const written: string[] = [];
  const io = {
    color: true,
    prompting: false,
    quietKeys: () => undefined,
    stderr: {},
    err: (text: string) => void written.push(text),
  } as unknown as IO;
  let tick = () => {};
  let stopped = false;
  const progress = new Progress(
    io,
    () => 0,
    (next) => ((tick = next), { stop: () => void (stopped = true) }),
  );
  let finish = () => {};
  const step = progress.step("Put it in NPM_TOKEN", () => new Promise<void>((resolve) => (finish = resolve)));
  progress.note("CircleCI answered 429; trying again in 1.0s");
  const afterNote = written.length;
  expect(written.slice(afterNote - 2)).toEqual(["  CircleCI answered 429; trying again in 1.0s\n", "\r\x1b[2K⠙ Put it in NPM_TOKEN (0s)"]);
  // Two ticks of the spinner's clock: it still draws.
  tick();
  tick();
  expect(written.slice(afterNote).filter((text) => SPINNER_FRAME.test(text))).toHaveLength(2);
  finish();
  await step;
  expect(written.at(-1)).toBe("✔ Put it in NPM_TOKEN (0.0s)\n");
  expect(stopped).toBe(true);
});
