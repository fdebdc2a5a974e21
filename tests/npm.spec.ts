// `rotate npm` end to end: the real CLI, real Chromium, the npmjs.com and CircleCI replicas.
import * as OTPAuth from "otpauth";
import { DEMO, startSandboxWorld } from "rotate-replicas";
import { startCli, worldArgs } from "./support/cli.js";
import { npmOf } from "./support/replicas.js";
import { badInputTests, errorLines, expect, heldToken, REGISTRY_IDS, snapshot, test } from "./support/world.js";

const TOOL_NAME = new RegExp(`^NPM_TOKEN ${DEMO.projectSlug} \\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}Z$`);
/** The token the organization's context holds (the drill world seeds one); these runs leave it alone. */
const CONTEXT_TOKEN = expect.stringMatching(new RegExp(`^NPM_TOKEN ${DEMO.projectSlug}@${DEMO.context} `));
const PACKAGES = ["@demo-org/widget", "demo-widget"];
const DAY = 86_400_000;
const WEBSITE = ["--via", "website"];

test("happy path: a read-and-write token on just the packages, bypassing 2FA, 90 days; the old one dead", async ({ world, rotation }) => {
  const oldToken = heldToken(world, "npm");
  const result = await rotation.run("npm", WEBSITE);
  expect(result.code, result.stderr).toBe(0);

  const tokens = npmOf(world).tokens(world.drill("npm").account.username);
  expect(tokens.map((t) => t.name)).toEqual(expect.arrayContaining(["laptop (read-only)", expect.stringMatching(TOOL_NAME), CONTEXT_TOKEN]));
  expect(tokens).toHaveLength(3);
  const created = tokens.find((t) => TOOL_NAME.test(t.name));
  expect(created).toMatchObject({ permission: "read-write", packagesAll: false, bypass2fa: true });
  expect(created?.packages.sort()).toEqual([...PACKAGES].sort());
  expect(Math.round(((created?.expires.getTime() ?? 0) - Date.now()) / DAY)).toBe(90);

  const newToken = heldToken(world, "npm");
  expect(newToken).toMatch(/^npm_[A-Za-z0-9]{36}$/);
  expect(created?.redacted.endsWith(newToken.slice(-4))).toBe(true);
  expect(npmOf(world).isLive(newToken)).toBe(true);
  expect(npmOf(world).isLive(oldToken)).toBe(false);
  // The whoami checks ran: new live before the push, old dead after the delete.
  expect(result.stderr).toMatch(/✔ Check the new token works/);
  expect(result.stderr).toMatch(/✔ Check the old token is gone .*: npm rejects it/);
  expect(result.stdout).toContain(`expires ${created?.expires.toISOString().slice(0, 10)}`);
});

test("escalation on create and on delete: each dropped action is redone after a fresh code", async ({ world, rotation }) => {
  npmOf(world).settings.escalate = { create: true, delete: true };
  // The cooldown box would spare the delete its escalation; a fault forces it anyway.
  npmOf(world).faults.add({ method: "POST", path: "/settings/~/tokens", fault: { kind: "reauth" } });
  npmOf(world).faults.add({ method: "POST", path: `/settings/${world.drill("npm").account.username}/tokens`, fault: { kind: "reauth" } });
  const oldToken = heldToken(world, "npm");
  const result = await rotation.run("npm", WEBSITE);
  expect(result.code, result.stderr).toBe(0);
  expect(result.stderr).toContain("npm asks for a one-time password again to generate a token");
  expect(result.stderr).toContain("npm asks for a one-time password again to delete a token");
  expect(npmOf(world).isLive(heldToken(world, "npm"))).toBe(true);
  expect(npmOf(world).isLive(oldToken)).toBe(false);
  expect(npmOf(world).tokens(world.drill("npm").account.username).filter((t) => TOOL_NAME.test(t.name))).toHaveLength(1);
});

test("the old token is the one whose last four match CircleCI's, among several of ours", async ({ world, rotation }) => {
  const held = heldToken(world, "npm");
  // An older token of ours that CircleCI does not hold: newest-by-name would pick wrongly.
  npmOf(world).issueToken(world.drill("npm").account.username, { name: `NPM_TOKEN ${DEMO.projectSlug} 2026-11-01T00:00Z`, packages: [...PACKAGES], expiresDays: 30 });
  const leftover = npmOf(world).tokens(world.drill("npm").account.username).find((t) => t.name.endsWith("2026-11-01T00:00Z"));
  const heldRecord = npmOf(world).tokens(world.drill("npm").account.username).find((t) => t.redacted.endsWith(held.slice(-4)));

  const result = await rotation.run("npm", WEBSITE);
  expect(result.code, result.stderr).toBe(0);
  const names = npmOf(world).tokens(world.drill("npm").account.username).map((t) => t.name);
  expect(names).not.toContain(heldRecord?.name);
  expect(names).toContain(leftover?.name);
  expect(names).toContain("laptop (read-only)");
  expect(result.stderr).toContain(`Leftover tokens from earlier runs that CircleCI does not hold: "${leftover?.name}"`);
});

test("--delete-orphans also removes the leftover tokens of earlier runs", async ({ world, rotation }) => {
  npmOf(world).issueToken(world.drill("npm").account.username, { name: `NPM_TOKEN ${DEMO.projectSlug} 2026-11-01T00:00Z`, packages: [...PACKAGES], expiresDays: 30 });
  const result = await rotation.run("npm", [...WEBSITE, "--delete-orphans"]);
  expect(result.code, result.stderr).toBe(0);
  const names = npmOf(world).tokens(world.drill("npm").account.username).map((t) => t.name);
  expect(names).toEqual(expect.arrayContaining(["laptop (read-only)", expect.stringMatching(TOOL_NAME), CONTEXT_TOKEN]));
  expect(names).toHaveLength(3);
  expect(result.stdout).toContain(`leftovers  deleted "NPM_TOKEN ${DEMO.projectSlug} 2026-11-01T00:00Z"`);
});

test("an expiry over 90 days is refused before anything starts", async ({ world, rotation }) => {
  const before = snapshot(world);
  const result = await rotation.run("npm", [...WEBSITE, "--expires-days", "120"]);
  expect(result.code).toBe(2);
  expect(errorLines(result)).toEqual(["rotate: npm refuses write tokens that live longer than 90 days (--expires-days 120): choose 1 to 90"]);
  expect(result.stderr).not.toContain("Sign in");
  expect(world.circleci.calls).toHaveLength(0);
  expect(snapshot(world)).toEqual(before);
});

test("a custom expiry is picked on the form and reported", async ({ world, rotation }) => {
  const result = await rotation.run("npm", [...WEBSITE, "--expires-days", "45"]);
  expect(result.code, result.stderr).toBe(0);
  const created = npmOf(world).tokens(world.drill("npm").account.username).find((t) => TOOL_NAME.test(t.name));
  expect(Math.round(((created?.expires.getTime() ?? 0) - Date.now()) / DAY)).toBe(45);
  expect(result.stdout).toContain(`expires ${created?.expires.toISOString().slice(0, 10)}`);
});

badInputTests("npm", [
  { name: "wrong password", args: WEBSITE, env: () => ({ ROTATE_NPM_PASSWORD: "not-the-password" }), says: /npm refused the sign-in for widget-publisher \(.+\)/ },
  { name: "wrong one-time password", args: WEBSITE, env: () => ({ ROTATE_NPM_TOTP_SECRET: new OTPAuth.Secret({ size: 20 }).base32 }), says: /npm rejected the one-time password at sign-in \(.+\)/ },
  { name: "package not owned", args: [...WEBSITE, "--npm-packages", "@demo-org/widget,left-pad"], says: /npm account widget-publisher cannot grant left-pad/ },
]);

test("a security-key account in a headless run: stops at the key, says a human must use it, nothing changed", async ({ dirs }) => {
  const world = await startSandboxWorld({ registries: REGISTRY_IDS, knobs: { npm: { twoFactor: "webauthn" } } });
  try {
    const before = snapshot(world);
    const { args, env } = worldArgs(world, "npm");
    const result = await startCli([...args, ...WEBSITE], { env, dirs }).done;
    expect(result.code, result.stderr).toBe(1);
    expect(errorLines(result)).toEqual([
      'rotate: npm asks for the account\'s security key: a human has to press "Use security key" and touch your key; run again without --headless to do it in the browser window',
    ]);
    expect(snapshot(world)).toEqual(before);
  } finally {
    await world.close();
  }
});
