// `rotate status` against the CircleCI replica: what CircleCI holds (last four, when it was set),
// and the expiry rotate recorded for that value (this machine's audit record, the project's
// rotate.history.jsonl), with a warning when fewer than 14 days remain; --expiring-within for
// scheduled jobs. No browser, no changes. (A teammate's machine reading a real rotation's history
// is in pypi.spec.ts's happy path.)
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { userInfo } from "node:os";
import { dirname, join } from "node:path";
import { z } from "zod";
import { npm } from "../../flows/npm/index.js";
import type { AuditLine } from "../../src/audit.js";
import { DEMO, type SandboxWorld } from "rotate-replicas";
import { startCli, type CliResult, type Sandbox } from "../support/cli.js";
import { npmOf } from "../support/replicas.js";
import { expect, heldToken, snapshot, test } from "../support/world.js";

const DAY_MS = 86_400_000;

const VariableStatus = z
  .object({
    registry: z.enum(["npm", "PyPI"]),
    /** The rotation of a fleet's config; null for the single form. */
    rotation: z.string().nullable(),
    envVar: z.string(),
    where: z.string(),
    set: z.boolean(),
    last4: z.string().length(4).nullable(),
    setAt: z.iso.datetime().nullable(),
    lastRotation: z
      .object({
        at: z.iso.datetime(),
        by: z.string(),
        tokenName: z.string(),
        last4: z.string().length(4),
        expires: z.iso.datetime().nullable(),
        recordedIn: z.enum(["project history", "audit log"]),
      })
      .strict()
      .nullable(),
    daysLeft: z.number().int().nullable(),
    warning: z.string().nullable(),
    notes: z.array(z.string()),
    expiring: z.boolean().nullable(),
  })
  .strict();
const StatusJson = z
  .object({
    project: z.string().nullable(),
    variables: z.array(VariableStatus),
    expiringWithin: z
      .object({ days: z.number().int(), expiring: z.array(z.string()) })
      .strict()
      .optional(),
  })
  .strict();
type StatusJson = z.infer<typeof StatusJson>;

function status(world: SandboxWorld, dirs: Sandbox, extraArgs: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return startCli(["status", "--trust-urls", "--circleci-url", world.circleci.apiUrl, "--project-slug", DEMO.projectSlug, ...extraArgs], {
    dirs,
    env: { CIRCLECI_TOKEN: world.circleciToken, ...env },
  }).done;
}

async function statusJson(world: SandboxWorld, dirs: Sandbox, extraArgs: string[] = [], code = 0): Promise<StatusJson> {
  const result = await status(world, dirs, ["--json", ...extraArgs]);
  expect(result.code, result.stderr).toBe(code);
  return StatusJson.parse(JSON.parse(result.stdout));
}

const variable = (report: StatusJson, envVar: string) => {
  const found = report.variables.find((v) => v.envVar === envVar);
  if (!found) throw new Error(`status reported no ${envVar}: ${JSON.stringify(report)}`);
  return found;
};

const auditFile = (dirs: Sandbox) => join(dirs.home, ".local", "state", "rotate", "audit.jsonl");

function writeAudit(dirs: Sandbox, lines: AuditLine[]): void {
  mkdirSync(dirname(auditFile(dirs)), { recursive: true });
  appendFileSync(auditFile(dirs), lines.map((line) => `${JSON.stringify(line)}\n`).join(""));
}

/** A finished rotation of PYPI_TOKEN as the audit record keeps it. */
function doneLine(last4: string, expires: Date): AuditLine {
  return {
    at: new Date(Date.now() - 80 * DAY_MS).toISOString(),
    run: "3f1c5a8e-0000-4000-8000-000000000001",
    by: "someone-else",
    registry: "PyPI",
    envVar: "PYPI_TOKEN",
    where: `project ${DEMO.projectSlug}`,
    step: "done",
    outcome: "ok",
    newToken: { name: `PYPI_TOKEN ${DEMO.projectSlug} 2026-01-01T00:00Z`, last4, expires: expires.toISOString() },
  };
}

test("without a rotation on this machine: each variable's last four and the day CircleCI set it", async ({ world, dirs }) => {
  const result = await status(world, dirs);
  expect(result.code, result.stderr).toBe(0);
  const held = (name: string) => world.circleci.envVar(DEMO.projectSlug, name)!;
  const line = (registry: string, name: string) =>
    `${registry.padEnd(5)} ${name} in project ${DEMO.projectSlug}: holds …${held(name).value.slice(-4)}, set ${held(name).createdAt.toISOString().slice(0, 10)}\n      no rotation by rotate recorded in the project's history or on this machine`;
  // npm's January 2027 change applies to a publish token, which is what a rotation makes by default.
  const [january2027] = npm.statusNotes({});
  expect(january2027).toMatch(/January 2027/);
  expect(result.stdout).toBe(`${line("npm", "NPM_TOKEN")}\n      note: ${january2027}\n${line("PyPI", "PYPI_TOKEN")}\n`);
  // --trust-urls accepts the replica's address, and names it.
  expect(result.stderr).toBe(
    `These addresses are not the official ones; --trust-urls accepts them, and rotate sends credentials there:\n  CircleCI API v2 base URL: ${world.circleci.apiUrl} (from --circleci-url)\n`,
  );
});

test("without a terminal, every retry is said on stderr: a scheduled job's log shows why status waited", async ({ world, dirs }) => {
  world.circleci.faults.add({
    method: "GET",
    path: "/api/v2/me",
    fault: { kind: "status", status: 503, headers: { "Retry-After": "0" }, body: "{}" },
  });
  const result = await status(world, dirs);
  expect(result.code, result.stderr).toBe(0);
  expect(result.stderr.split("\n")).toContain("CircleCI answered 503; trying again in 0.0s");
});

test("after a real rotation in the same HOME: the new token's expiry and the days left, no warning", async ({ world, dirs, rotation }) => {
  const run = await rotation.run("npm");
  expect(run.code, run.stderr).toBe(0);
  const before = Date.now();
  const report = await statusJson(world, dirs);
  const after = Date.now();

  const npmStatus = variable(report, "NPM_TOKEN");
  const newToken = heldToken(world, "npm");
  expect(npmStatus.last4).toBe(newToken.slice(-4));
  const expires = npmStatus.lastRotation?.expires;
  if (!expires) throw new Error(`no expiry recorded: ${JSON.stringify(npmStatus)}`);
  // The replica's own record of the token is the ground truth for its expiry day.
  const [created] = npmOf(world).tokens(world.drill("npm").account.username);
  expect(expires.slice(0, 10)).toBe(created?.expires.toISOString().slice(0, 10));
  const daysAt = (time: number) => Math.floor((new Date(expires).getTime() - time) / DAY_MS);
  expect([daysAt(before), daysAt(after)]).toContain(npmStatus.daysLeft);
  expect(npmStatus.daysLeft).toBeGreaterThanOrEqual(14);
  expect(npmStatus.lastRotation).toMatchObject({ by: userInfo().username, tokenName: created?.name, recordedIn: "audit log" });
  expect(npmStatus.warning).toBeNull();
  // PyPI was not rotated here: nothing recorded for it.
  expect(variable(report, "PYPI_TOKEN")).toMatchObject({ lastRotation: null, daysLeft: null, warning: null, set: true });

  const text = await status(world, dirs);
  expect(text.stdout).toContain(
    `      last rotated ${npmStatus.lastRotation?.at.slice(0, 10)} by ${userInfo().username} (audit log): "${created?.name}", expires ${expires.slice(0, 10)} (${npmStatus.daysLeft} day(s) left)`,
  );
  expect(text.stdout).not.toContain("warning");
});

test("a token that expires in 10 days: status warns that fewer than 14 days remain", async ({ world, dirs }) => {
  writeAudit(dirs, [doneLine(heldToken(world, "pypi").slice(-4), new Date(Date.now() + 10 * DAY_MS + 3_600_000))]);
  const pypiStatus = variable(await statusJson(world, dirs), "PYPI_TOKEN");
  expect(pypiStatus.daysLeft).toBe(10);
  expect(pypiStatus.warning).toBe("expires in 10 day(s): run rotate pypi soon");

  const text = await status(world, dirs);
  expect(text.code).toBe(0);
  expect(text.stdout).toContain("      warning: expires in 10 day(s): run rotate pypi soon\n");
});

test("an audit line whose token expired: status says so and says to rotate now", async ({ world, dirs }) => {
  const expired = new Date(Date.now() - 3 * DAY_MS - 3_600_000);
  writeAudit(dirs, [doneLine(heldToken(world, "pypi").slice(-4), expired)]);
  const pypiStatus = variable(await statusJson(world, dirs), "PYPI_TOKEN");
  expect(pypiStatus.daysLeft).toBe(-4);
  expect(pypiStatus.warning).toBe(`expired on ${expired.toISOString().slice(0, 10)}: run rotate pypi now`);
  expect(pypiStatus.lastRotation?.by).toBe("someone-else");
});

test("a held token npm stopped before its expiry: revoked or invalidated by npm (not expired), and the fix", async ({ world, dirs }) => {
  const held = heldToken(world, "npm");
  const expires = new Date(Date.now() + 60 * DAY_MS);
  writeAudit(dirs, [
    {
      ...doneLine(held.slice(-4), expires),
      registry: "npm",
      envVar: "NPM_TOKEN",
      newToken: { name: "NPM_TOKEN earlier", last4: held.slice(-4), expires: expires.toISOString() },
    },
  ]);
  // As npm did to every bypass-2FA write token on 2026-05-19: listed still, rejected (401) by whoami.
  npmOf(world).revokeToken(held);
  const flags = world.flags("npm");
  const npmArgs = [
    "--npm-registry-url",
    String(flags.npmRegistryUrl),
    "--npm-packages",
    String(flags.npmPackages),
    "--npm-user",
    String(flags.npmUser),
  ];
  // The value CircleCI holds, given as a scheduled CircleCI job would (CircleCI never shows it).
  const result = await status(world, dirs, ["--json", ...npmArgs], { ROTATE_NPM_OLD_TOKEN: held });
  expect(result.code, result.stderr).toBe(0);
  expect(variable(StatusJson.parse(JSON.parse(result.stdout)), "NPM_TOKEN").warning).toBe(
    `no longer works: revoked or invalidated by npm (not expired): it would have expired on ${expires.toISOString().slice(0, 10)}; run rotate npm now`,
  );
});

test("an audit line for a value CircleCI no longer holds: no days left, and a warning that the value changed", async ({ world, dirs }) => {
  const soon = new Date(Date.now() + 5 * DAY_MS);
  const held = heldToken(world, "pypi").slice(-4);
  const other = held === "zzzz" ? "yyyy" : "zzzz";
  writeAudit(dirs, [doneLine(other, soon)]);
  const pypiStatus = variable(await statusJson(world, dirs), "PYPI_TOKEN");
  expect(pypiStatus.last4).toBe(held);
  expect(pypiStatus.daysLeft).toBeNull();
  expect(pypiStatus.warning).toBe(
    `changed outside rotate: expiry unknown (CircleCI shows …${held}; rotate last put …${other} there): check who changed it`,
  );
});

test("a damaged audit line is skipped, not fatal", async ({ world, dirs }) => {
  const soon = new Date(Date.now() + 5 * DAY_MS + 3_600_000);
  writeAudit(dirs, [doneLine(heldToken(world, "pypi").slice(-4), soon)]);
  appendFileSync(auditFile(dirs), '{"at": "truncated by a full disk\n');
  const pypiStatus = variable(await statusJson(world, dirs), "PYPI_TOKEN");
  expect(pypiStatus.daysLeft).toBe(5);
  expect(pypiStatus.warning).toBe("expires in 5 day(s): run rotate pypi soon");
});

test("with a config file that names only PyPI, status reports only PyPI", async ({ world, dirs }) => {
  mkdirSync(dirs.cwd, { recursive: true });
  writeFileSync(
    join(dirs.cwd, "rotate.config.json"),
    JSON.stringify({ circleci: { projectSlug: DEMO.projectSlug, url: world.circleci.apiUrl }, pypi: { project: "widget" } }),
  );
  const result = await startCli(["status", "--json", "--trust-urls"], { dirs, env: { CIRCLECI_TOKEN: world.circleciToken } }).done;
  expect(result.code, result.stderr).toBe(0);
  const report = StatusJson.parse(JSON.parse(result.stdout));
  expect(report.project).toBe(DEMO.projectSlug);
  expect(report.variables.map((v) => v.envVar)).toEqual(["PYPI_TOKEN"]);
});

test("a variable CircleCI does not hold is reported as not set", async ({ world, dirs }) => {
  const result = await status(world, dirs, ["--json"], { ROTATE_PYPI_ENV_VAR: "PYPI_UPLOAD_TOKEN" });
  expect(result.code, result.stderr).toBe(0);
  expect(variable(StatusJson.parse(JSON.parse(result.stdout)), "PYPI_UPLOAD_TOKEN")).toEqual({
    registry: "PyPI",
    rotation: null,
    envVar: "PYPI_UPLOAD_TOKEN",
    where: `project ${DEMO.projectSlug}`,
    set: false,
    last4: null,
    setAt: null,
    lastRotation: null,
    daysLeft: null,
    warning: null,
    notes: [],
    expiring: null,
  });
  expect((await status(world, dirs, [], { ROTATE_PYPI_ENV_VAR: "PYPI_UPLOAD_TOKEN" })).stdout).toContain(
    `PyPI  PYPI_UPLOAD_TOKEN in project ${DEMO.projectSlug}: not set\n`,
  );
});

test("status changes nothing and writes no audit line", async ({ world, dirs }) => {
  const before = snapshot(world);
  const callsBefore = world.circleci.calls.length;
  expect((await status(world, dirs)).code).toBe(0);
  expect(snapshot(world)).toEqual(before);
  expect(world.circleci.calls.slice(callsBefore).every((call) => call.method === "GET")).toBe(true);
  expect(() => readFileSync(auditFile(dirs))).toThrow(/ENOENT/);
});

test("a CircleCI token CircleCI rejects: exit 1, one line", async ({ world, dirs }) => {
  const result = await status(world, dirs, [], { CIRCLECI_TOKEN: "CCIPAT_not_a_real_token" });
  expect(result.code).toBe(1);
  expect(result.stdout).toBe("");
  const lines = result.stderr.split("\n").filter((line) => line.startsWith("rotate: "));
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^rotate: CircleCI rejected the API token \(401\)/);
});

test("the project's history: drill lines are left out, the line of the value CircleCI holds gives its expiry, --expiring-within exits 5 only within the days", async ({
  world,
  dirs,
}) => {
  mkdirSync(dirs.cwd, { recursive: true });
  writeFileSync(
    join(dirs.cwd, "rotate.config.json"),
    JSON.stringify({ circleci: { projectSlug: DEMO.projectSlug }, pypi: { project: "widget" } }),
  );
  const last4 = heldToken(world, "pypi").slice(-4);
  const line = (at: number, expires: number | null, drill: boolean, tokenName: string) => ({
    at: new Date(at).toISOString(),
    registry: "PyPI",
    envVar: "PYPI_TOKEN",
    target: DEMO.projectSlug,
    where: `project ${DEMO.projectSlug}`,
    tokenName,
    last4,
    created: new Date(at).toISOString(),
    expires: expires === null ? null : new Date(expires).toISOString(),
    by: "a-teammate",
    drill,
  });
  const history = join(dirs.cwd, "rotate.history.jsonl");
  const append = (...lines: object[]) => appendFileSync(history, lines.map((l) => `${JSON.stringify(l)}\n`).join(""));
  append(line(Date.now() - 20 * DAY_MS, null, false, "never expires"), line(Date.now() - DAY_MS, Date.now() + 2 * DAY_MS, true, "a drill"));

  const within = (days: string, extra: string[] = []) => status(world, dirs, ["--expiring-within", days, ...extra]);
  const calm = await within("7");
  expect(calm.code, calm.stderr).toBe(0);
  expect(calm.stdout).toBe(`PyPI  PYPI_TOKEN in project ${DEMO.projectSlug}: …${last4} never expires (project history: "never expires")\n`);

  const expires = Date.now() + 5 * DAY_MS + 3_600_000;
  append(line(Date.now() - 3_600_000, expires, false, "expires in five days"));
  const report = await statusJson(world, dirs, ["--expiring-within", "7"], 5);
  expect(report.expiringWithin).toEqual({ days: 7, expiring: [`PYPI_TOKEN in project ${DEMO.projectSlug}`] });
  expect(variable(report, "PYPI_TOKEN")).toMatchObject({
    expiring: true,
    daysLeft: 5,
    lastRotation: { by: "a-teammate", tokenName: "expires in five days", recordedIn: "project history" },
  });
  const later = await within("3");
  expect(later.code, later.stderr).toBe(0);
  const day = new Date(expires).toISOString().slice(0, 10);
  expect(later.stdout).toBe(`PyPI  PYPI_TOKEN in project ${DEMO.projectSlug}: …${last4} expires ${day} (5 day(s) left)\n`);
  expect((await within("6")).stdout).toContain(`expires ${day} (5 day(s) left): within 6 days, run rotate pypi\n`);

  const bad = await within("soon");
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain("rotate: --expiring-within soon: give a whole number of days");
});

test("a drill's status in a world of its own: the drill lines of earlier worlds tell nothing of it, so nothing is said changed", async ({
  dirs,
}) => {
  mkdirSync(dirs.cwd, { recursive: true });
  writeFileSync(
    join(dirs.cwd, "rotate.config.json"),
    JSON.stringify({ circleci: { projectSlug: "gh/acme/widget" }, pypi: { project: "acme-widget" } }),
  );
  // A fresh HOME holds no sandbox key: every drill starts a world of its own.
  const drill = await startCli(["pypi", "--sandbox", "--yes", "--headless"], { dirs }).done;
  expect(drill.code, drill.stderr).toBe(0);
  expect(readFileSync(join(dirs.cwd, "rotate.history.jsonl"), "utf8")).toContain('"drill":true');
  const status = await startCli(["status", "--sandbox"], { dirs }).done;
  expect(status.code, status.stderr).toBe(0);
  expect(status.stdout).toContain("PYPI_TOKEN in project gh/acme/widget");
  expect(status.stdout).not.toContain("changed outside rotate");
});

test("--trust with a config that names rotations: one line that says which command reads one rotation's trusted publishers", async ({
  dirs,
}) => {
  mkdirSync(dirs.cwd, { recursive: true });
  const rotation = { name: "widget", packages: ["@acme/widget"], targets: ["gh/acme/widget"] };
  writeFileSync(join(dirs.cwd, "rotate.config.json"), JSON.stringify({ npm: { username: "acme-publisher", rotations: [rotation] } }));
  const status = await startCli(["status", "--trust", "--sandbox"], { dirs }).done;
  expect(status.code).toBe(2);
  expect(status.stderr).toContain("give --project-slug, or for one rotation of");
  expect(status.stderr).toContain("run rotate trust npm --only NAME --dry-run");
});
