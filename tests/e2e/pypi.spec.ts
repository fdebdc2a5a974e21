// `rotate pypi` end to end: the real CLI, real Chromium, the pypi.org and CircleCI replicas.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as OTPAuth from "otpauth";
import { DEMO, macaroonId } from "rotate-replicas";
import { ACCEPTED, upload } from "../../replicas/tests/support/upload.js";
import { freshDirs, startCli } from "../support/cli.js";
import { pypiOf } from "../support/replicas.js";
import { badInputTests, expect, heldToken, test } from "../support/world.js";

const TOOL_NAME = new RegExp(`^PYPI_TOKEN ${DEMO.projectSlug} \\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}Z$`);

test("happy path, --expires-days 30 in a project: PyPI holds exactly the new token, CircleCI an expiring one, the old one is dead; a teammate's status knows the expiry", async ({
  world,
  rotation,
  dirs,
}) => {
  const DAY_S = 86_400;
  const oldToken = heldToken(world, "pypi");
  mkdirSync(dirs.cwd, { recursive: true });
  writeFileSync(
    join(dirs.cwd, "rotate.config.json"),
    JSON.stringify({ circleci: { projectSlug: DEMO.projectSlug }, pypi: { project: "widget" } }),
  );
  const result = await rotation.run("pypi", ["--expires-days", "30"]);
  expect(result.code, result.stderr).toBe(0);

  const tokens = pypiOf(world)
    .tokens(world.drill("pypi").account.username)
    .filter((t) => !t.description.includes("@"));
  expect(tokens).toHaveLength(1);
  expect(tokens[0]?.description).toMatch(TOOL_NAME);
  expect(tokens[0]?.scope).toEqual({ kind: "project", project: "widget" });

  const newToken = heldToken(world, "pypi");
  expect(newToken).not.toBe(oldToken);
  expect(pypiOf(world).isLive(newToken)).toBe(true);
  expect(pypiOf(world).isLive(oldToken)).toBe(false);
  expect(result.stdout).toContain(`Rotated PYPI_TOKEN in project ${DEMO.projectSlug}`);
  expect(result.stdout).toContain(`…${newToken.slice(-4)}`);

  // CircleCI holds the new token restricted with an expiry; the value PyPI showed went nowhere.
  const shown = pypiOf(world).issuedSecrets().at(-1) ?? "";
  expect(macaroonId(newToken)).toBe(tokens[0]?.id);
  expect(newToken).not.toBe(shown);
  expect(JSON.stringify(world.circleci.calls)).not.toContain(shown.slice("pypi-".length));
  // The replica takes uploads with it until 30 days have passed, and refuses them after.
  expect(await upload(pypiOf(world).uploadUrl, newToken, "widget")).toEqual(ACCEPTED);
  pypiOf(world).settings.clockAheadSeconds = 30 * DAY_S - 60;
  expect(await upload(pypiOf(world).uploadUrl, newToken, "widget")).toEqual(ACCEPTED);
  pypiOf(world).settings.clockAheadSeconds = 30 * DAY_S + 1;
  expect(await upload(pypiOf(world).uploadUrl, newToken, "widget")).toEqual({ status: 403, reason: "Invalid API Token: token is expired" });
  pypiOf(world).settings.clockAheadSeconds = 0;

  const expires = /expires (\d{4}-\d{2}-\d{2})/.exec(result.stdout)?.[1];
  expect(expires).toBe(new Date(Date.now() + 30 * DAY_S * 1000).toISOString().slice(0, 10));
  expect(result.stdout).toContain(`which expires on ${expires}`);
  expect(result.stderr).toContain(
    `Recorded in ${join(dirs.cwd, "rotate.history.jsonl")}: commit this file so everyone's \`rotate status\` knows.`,
  );
  const history = readFileSync(join(dirs.cwd, "rotate.history.jsonl"), "utf8").trim().split("\n");
  expect(history.map((line) => JSON.parse(line))).toEqual([
    {
      at: expect.any(String),
      registry: "PyPI",
      envVar: "PYPI_TOKEN",
      target: DEMO.projectSlug,
      where: `project ${DEMO.projectSlug}`,
      tokenName: tokens[0]?.description,
      last4: newToken.slice(-4),
      created: expect.any(String),
      expires: expect.stringMatching(new RegExp(`^${expires}T`)),
      by: expect.any(String),
      drill: false,
    },
  ]);

  // A teammate's machine: the same project (its committed history), an empty HOME.
  const teammate = { ...freshDirs(), cwd: dirs.cwd };
  try {
    const status = (days: number) =>
      startCli(["status", "--trust-urls", "--circleci-url", world.circleci.apiUrl, "--expiring-within", String(days)], {
        dirs: teammate,
        env: { CIRCLECI_TOKEN: world.circleciToken },
      }).done;
    const calm = await status(14);
    expect(calm.code, calm.stderr).toBe(0);
    expect(calm.stdout).toMatch(
      new RegExp(
        `^PyPI  PYPI_TOKEN in project ${DEMO.projectSlug}: …${newToken.slice(-4)} expires ${expires} \\((29|30) day\\(s\\) left\\)\n$`,
      ),
    );
    const due = await status(31);
    expect(due.code, due.stderr).toBe(5);
    expect(due.stdout).toMatch(/day\(s\) left\): within 31 days, run rotate pypi\n$/);
  } finally {
    teammate.cleanup();
  }
});

for (const [step, isDelete] of [
  ["create", false],
  ["delete", true],
] as const) {
  test(`"Confirm password to continue" forced on ${step}: the flow confirms and redoes the ${step}`, async ({ world, rotation }) => {
    pypiOf(world).faults.add({
      method: "POST",
      path: "/manage/account/token/",
      when: (req) => "confirm_password" in (req.body as object) === isDelete,
      fault: { kind: "reauth" },
    });
    const oldToken = heldToken(world, "pypi");
    const result = await rotation.run("pypi");
    expect(result.code, result.stderr).toBe(0);
    expect(pypiOf(world).faults.hits.filter((h) => h.kind === "reauth")).toHaveLength(1);
    const tokens = pypiOf(world).tokens(world.drill("pypi").account.username);
    expect(tokens.map((t) => t.description).filter((name) => TOOL_NAME.test(name))).toHaveLength(1);
    expect(pypiOf(world).isLive(heldToken(world, "pypi"))).toBe(true);
    expect(pypiOf(world).isLive(oldToken)).toBe(false);
  });
}

badInputTests("pypi", [
  {
    name: "wrong password",
    env: () => ({ ROTATE_PYPI_PASSWORD: "not-the-password" }),
    says: /PyPI refused the sign-in .*The password is invalid\. Try again\./,
  },
  {
    name: "wrong TOTP code",
    env: () => ({ ROTATE_PYPI_TOTP_SECRET: new OTPAuth.Secret({ size: 20 }).base32 }),
    says: /PyPI rejected the one-time code \(Invalid TOTP code\.\)/,
  },
  {
    name: "bad CircleCI token",
    env: () => ({ CIRCLECI_TOKEN: "CCIPAT_not_a_real_token" }),
    says: /CircleCI rejected the API token \(401\)/,
  },
  {
    name: "unknown project slug",
    args: ["--project-slug", "gh/demo-org/no-such-repo"],
    says: /CircleCI found no project .*\(404\): check --project-slug/,
  },
  {
    name: "PyPI project not owned",
    args: ["--pypi-project", "someone-elses-project"],
    says: /cannot scope a token to project "someone-elses-project" \(it can: widget, widget-docs\)/,
  },
  {
    name: "missing CircleCI variable",
    args: ["--env-var", "PYPI_UPLOAD_TOKEN"],
    says: /PYPI_UPLOAD_TOKEN in project gh\/demo-org\/widget is not set: check the variable name and --target, or pass --create-env-var/,
  },
  {
    name: "CircleCI unreachable",
    args: ["--circleci-url", "http://127.0.0.1:9/api/v2"],
    says: /cannot reach CircleCI at http:\/\/127\.0\.0\.1:9\/api\/v2 .*\(ECONNREFUSED\): check the network or --circleci-url/,
  },
  {
    name: "PyPI unreachable",
    args: ["--pypi-url", "http://127.0.0.1:9"],
    says: /cannot reach http:\/\/127\.0\.0\.1:9\/? \(ECONNREFUSED\): check the network/,
  },
  {
    name: "CircleCI rate-limits every try",
    arrange: (world) =>
      world.circleci.faults.add({
        method: "GET",
        path: "/api/v2/me",
        times: 100,
        fault: { kind: "status", status: 429, headers: { "Retry-After": "1" }, body: '{"message" : "Rate limit exceeded."}' },
      }),
    says: /CircleCI kept rate-limiting checking the CircleCI token \(429\) after several tries: wait a few minutes and rerun/,
  },
]);

test("--context: the token goes to the context's variable; the same-named project variable is named and left alone", async ({
  world,
  rotation,
}) => {
  const projectValue = heldToken(world, "pypi");
  const contextValue = world.circleci.contextEnvVar(DEMO.context, "PYPI_TOKEN")?.value ?? "";
  const result = await rotation.run("pypi", ["--context", DEMO.context, "--json"], { ROTATE_PYPI_OLD_TOKEN: contextValue });
  expect(result.code, result.stderr).toBe(0);
  const inContext = world.circleci.contextEnvVar(DEMO.context, "PYPI_TOKEN")?.value ?? "";
  expect(pypiOf(world).isLive(inContext)).toBe(true);
  // CircleCI's v3 answers here, so the context is written through it, and --json says so.
  const writes = world.circleci.calls.filter((c) => c.method !== "GET" && c.method !== "DELETE");
  expect(writes.map((c) => [c.method, c.path, c.body])).toEqual([
    ["POST", expect.stringMatching(/^\/api\/v3\/contexts\/[0-9a-f-]+\/env-vars\/set$/), { name: "PYPI_TOKEN", value: inContext }],
  ]);
  const summary = JSON.parse(result.stdout) as { circleci: { contextApi: string; destinations: Array<{ where: string }> } };
  expect(summary.circleci.contextApi).toBe("v3");
  expect(summary.circleci.destinations.map((d) => d.where)).toEqual([`context "${DEMO.context}"`]);
  // The old token is the one the context held; the project's own token is untouched and alive.
  expect(pypiOf(world).isLive(contextValue)).toBe(false);
  expect(heldToken(world, "pypi")).toBe(projectValue);
  expect(pypiOf(world).isLive(projectValue)).toBe(true);
  expect(result.stderr).toContain(`PYPI_TOKEN is set both in context "${DEMO.context}"`);
});

test("--context naming no context of the organization: one clear line, nothing changed", async ({ world, rotation }) => {
  const result = await rotation.run("pypi", ["--context", "no-such-context"]);
  expect(result.code).toBe(1);
  expect(result.stderr).toContain('rotate: CircleCI has no context named "no-such-context" in gh/demo-org: check the context name');
  expect(world.circleci.calls.some((c) => c.method !== "GET")).toBe(false);
});
