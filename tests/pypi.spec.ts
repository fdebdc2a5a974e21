// `rotate pypi` end to end: the real CLI, real Chromium, the pypi.org and CircleCI replicas.
import * as OTPAuth from "otpauth";
import { DEMO } from "rotate-replicas";
import { badInputTests, expect, heldToken, test } from "./support/world.js";

const TOOL_NAME = new RegExp(`^PYPI_TOKEN ${DEMO.projectSlug} \\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}Z$`);

test("happy path: PyPI holds exactly the new token, CircleCI holds its value, the old one is dead", async ({ world, rotation }) => {
  const oldToken = heldToken(world, "PYPI_TOKEN");
  const result = await rotation.run("pypi");
  expect(result.code, result.stderr).toBe(0);

  const tokens = world.pypi.tokens(DEMO.pypi.username);
  expect(tokens).toHaveLength(1);
  expect(tokens[0]?.description).toMatch(TOOL_NAME);
  expect(tokens[0]?.scope).toEqual({ kind: "project", project: DEMO.pypi.project });

  const newToken = heldToken(world, "PYPI_TOKEN");
  expect(newToken).not.toBe(oldToken);
  expect(world.pypi.isLive(newToken)).toBe(true);
  expect(world.pypi.isLive(oldToken)).toBe(false);
  expect(result.stdout).toContain(`Rotated PYPI_TOKEN in project ${DEMO.projectSlug}`);
  expect(result.stdout).toContain(`…${newToken.slice(-4)}`);
});

for (const [step, isDelete] of [["create", false], ["delete", true]] as const) {
  test(`"Confirm password to continue" forced on ${step}: the flow confirms and redoes the ${step}`, async ({ world, rotation }) => {
    world.pypi.faults.add({
      method: "POST",
      path: "/manage/account/token/",
      when: (req) => ("confirm_password" in (req.body as object)) === isDelete,
      fault: { kind: "reauth" },
    });
    const oldToken = heldToken(world, "PYPI_TOKEN");
    const result = await rotation.run("pypi");
    expect(result.code, result.stderr).toBe(0);
    expect(world.pypi.faults.hits.filter((h) => h.kind === "reauth")).toHaveLength(1);
    const tokens = world.pypi.tokens(DEMO.pypi.username);
    expect(tokens.map((t) => t.description)).toEqual([expect.stringMatching(TOOL_NAME)]);
    expect(world.pypi.isLive(heldToken(world, "PYPI_TOKEN"))).toBe(true);
    expect(world.pypi.isLive(oldToken)).toBe(false);
  });
}

badInputTests("pypi", [
  { name: "wrong password", env: () => ({ ROTATE_PYPI_PASSWORD: "not-the-password" }), says: /PyPI refused the sign-in .*The password is invalid\. Try again\./ },
  { name: "wrong TOTP code", env: () => ({ ROTATE_PYPI_TOTP_SECRET: new OTPAuth.Secret({ size: 20 }).base32 }), says: /PyPI rejected the one-time code \(Invalid TOTP code\.\)/ },
  { name: "bad CircleCI token", env: () => ({ CIRCLECI_TOKEN: "CCIPAT_not_a_real_token" }), says: /CircleCI rejected the API token \(401\)/ },
  { name: "unknown project slug", args: ["--project-slug", "gh/demo-org/no-such-repo"], says: /CircleCI found no project .*\(404\): check --project-slug/ },
  { name: "PyPI project not owned", args: ["--pypi-project", "someone-elses-project"], says: /cannot scope a token to project "someone-elses-project" \(it can: widget, widget-docs\)/ },
  { name: "missing CircleCI variable", args: ["--env-var", "PYPI_UPLOAD_TOKEN"], says: /PYPI_UPLOAD_TOKEN is not set in project .* \(CircleCI has: PYPI_TOKEN, NPM_TOKEN\): check --env-var/ },
  { name: "CircleCI unreachable", args: ["--circleci-url", "http://127.0.0.1:9/api/v2"], says: /cannot reach CircleCI at http:\/\/127\.0\.0\.1:9\/api\/v2 .*\(ECONNREFUSED\): check the network or --circleci-url/ },
  { name: "PyPI unreachable", args: ["--pypi-url", "http://127.0.0.1:9"], says: /cannot reach http:\/\/127\.0\.0\.1:9\/? \(ECONNREFUSED\): check the network/ },
  {
    name: "CircleCI rate-limits every try",
    arrange: (world) =>
      world.circleci.faults.add({ method: "GET", path: "/api/v2/me", times: 100, fault: { kind: "status", status: 429, headers: { "Retry-After": "1" }, body: '{"message" : "Rate limit exceeded."}' } }),
    says: /CircleCI kept rate-limiting checking the CircleCI token \(429\) after several tries: wait a few minutes and rerun/,
  },
]);

test("--context: the token goes to the context's variable, with a warning that the project has one too", async ({ world, rotation }) => {
  const projectValue = heldToken(world, "PYPI_TOKEN");
  const result = await rotation.run("pypi", ["--context", DEMO.context]);
  expect(result.code, result.stderr).toBe(0);
  const inContext = world.circleci.contextEnvVar(DEMO.context, "PYPI_TOKEN")?.value ?? "";
  expect(world.pypi.isLive(inContext)).toBe(true);
  expect(inContext).not.toBe(projectValue);
  expect(world.circleci.calls.filter((c) => c.method === "PUT").map((c) => [c.path, c.body])).toEqual([
    [expect.stringMatching(/^\/api\/v2\/context\/[0-9a-f-]+\/environment-variable\/PYPI_TOKEN$/), { value: inContext }],
  ]);
  expect(world.circleci.calls.some((c) => c.method === "POST")).toBe(false);
  expect(heldToken(world, "PYPI_TOKEN")).toBe(projectValue);
  expect(result.stdout).toContain(`warning    PYPI_TOKEN is also set on project ${DEMO.projectSlug}`);
  expect(result.stdout).toContain(`Rotated PYPI_TOKEN in context "${DEMO.context}"`);
});

test("--context naming no context of the organization: one clear line, nothing changed", async ({ world, rotation }) => {
  const result = await rotation.run("pypi", ["--context", "no-such-context"]);
  expect(result.code).toBe(1);
  expect(result.stderr).toContain('rotate: CircleCI has no context named "no-such-context" in gh/demo-org: check --context');
  expect(world.circleci.calls.some((c) => c.method !== "GET")).toBe(false);
});
