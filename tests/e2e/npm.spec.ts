// `rotate npm` end to end: the real CLI, real Chromium, the npmjs.com, npm registry and CircleCI
// replicas. The website path (`--via website`) first; the registry's API path (the default) after.
import * as OTPAuth from "otpauth";
import { DEMO, startSandboxWorld, type SandboxWorld } from "rotate-replicas";
import { startCli, worldArgs } from "../support/cli.js";
import { plain, startPty } from "../support/pty.js";
import { hasXvfb, startXvfb } from "../support/xvfb.js";
import { npmOf } from "../support/replicas.js";
import { badInputTests, errorLines, expect, heldToken, REGISTRY_IDS, snapshot, test } from "../support/world.js";

const TOOL_NAME = new RegExp(`^NPM_TOKEN ${DEMO.projectSlug} \\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}Z$`);
/** The token the organization's context holds (the drill world seeds one); these runs leave it alone. */
const CONTEXT_TOKEN = expect.stringMatching(new RegExp(`^NPM_TOKEN ${DEMO.projectSlug}@${DEMO.context} `));
const PACKAGES = ["@demo-org/widget", "demo-widget"];
const DAY = 86_400_000;
const WEBSITE = ["--via", "website"];

// On the page shape with no named group: every field found by the label the page gives it.
test("happy path (labelled page shape): a read-and-write token on just the packages, bypassing 2FA, 90 days; the old one dead", async ({
  world,
  rotation,
}) => {
  npmOf(world).settings.pageShape = "labelled";
  const oldToken = heldToken(world, "npm");
  const result = await rotation.run("npm", WEBSITE);
  expect(result.code, result.stderr).toBe(0);

  const tokens = npmOf(world).tokens(world.drill("npm").account.username);
  expect(tokens.map((t) => t.name)).toEqual(
    expect.arrayContaining(["laptop (read-only)", expect.stringMatching(TOOL_NAME), CONTEXT_TOKEN]),
  );
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

test("the old token is the one whose last four match CircleCI's, among several of ours; npm revoked it before its expiry, and the plan says so", async ({
  world,
  rotation,
}) => {
  const held = heldToken(world, "npm");
  // An older token of ours that CircleCI does not hold: newest-by-name would pick wrongly.
  npmOf(world).issueToken(world.drill("npm").account.username, {
    name: `NPM_TOKEN ${DEMO.projectSlug} 2026-11-01T00:00Z`,
    packages: [...PACKAGES],
    expiresDays: 30,
  });
  const leftover = npmOf(world)
    .tokens(world.drill("npm").account.username)
    .find((t) => t.name.endsWith("2026-11-01T00:00Z"));
  const heldRecord = npmOf(world)
    .tokens(world.drill("npm").account.username)
    .find((t) => t.redacted.endsWith(held.slice(-4)));

  // npm stopped it before its expiry (as it did every bypass-2FA write token on 2026-05-19): the list marks it revoked.
  npmOf(world).revokeToken(held);
  const result = await rotation.run("npm");
  expect(result.code, result.stderr).toBe(0);
  expect(result.stderr).toContain(
    `The token CircleCI holds ("${heldRecord?.name}") no longer works: revoked or invalidated by npm (not expired): it would have expired on ${heldRecord?.expires.toISOString().slice(0, 10)}. CircleCI cannot publish with it; this rotation replaces it.`,
  );
  const names = npmOf(world)
    .tokens(world.drill("npm").account.username)
    .map((t) => t.name);
  expect(names).not.toContain(heldRecord?.name);
  expect(names).toContain(leftover?.name);
  expect(names).toContain("laptop (read-only)");
  expect(result.stderr).toContain(`Leftover tokens from earlier runs that CircleCI does not hold: "${leftover?.name}"`);
});

// On the website path: through the API every delete takes a one-time code of its own, and a
// fourth code in one run waits for the authenticator's next step (up to 30 s).
test("--delete-orphans also removes the leftover tokens of earlier runs", async ({ world, rotation }) => {
  npmOf(world).issueToken(world.drill("npm").account.username, {
    name: `NPM_TOKEN ${DEMO.projectSlug} 2026-11-01T00:00Z`,
    packages: [...PACKAGES],
    expiresDays: 30,
  });
  const result = await rotation.run("npm", [...WEBSITE, "--delete-orphans"]);
  expect(result.code, result.stderr).toBe(0);
  const names = npmOf(world)
    .tokens(world.drill("npm").account.username)
    .map((t) => t.name);
  expect(names).toEqual(expect.arrayContaining(["laptop (read-only)", expect.stringMatching(TOOL_NAME), CONTEXT_TOKEN]));
  expect(names).toHaveLength(3);
  expect(result.stdout).toContain(`leftovers  deleted "NPM_TOKEN ${DEMO.projectSlug} 2026-11-01T00:00Z"`);
});

test("an expiry over 90 days is refused before anything starts", async ({ world, rotation }) => {
  const before = snapshot(world);
  const result = await rotation.run("npm", [...WEBSITE, "--expires-days", "120"]);
  expect(result.code).toBe(2);
  expect(errorLines(result)).toEqual([
    "rotate: npm refuses write tokens that live longer than 90 days (--expires-days 120): choose 1 to 90",
  ]);
  expect(result.stderr).not.toContain("Sign in");
  expect(world.circleci.calls).toHaveLength(0);
  expect(snapshot(world)).toEqual(before);
});

badInputTests("npm", [
  {
    name: "wrong password",
    args: WEBSITE,
    env: () => ({ ROTATE_NPM_PASSWORD: "not-the-password" }),
    says: /npm refused the sign-in for widget-publisher \(.+\)/,
  },
  {
    name: "wrong one-time password",
    args: WEBSITE,
    env: () => ({ ROTATE_NPM_TOTP_SECRET: new OTPAuth.Secret({ size: 20 }).base32 }),
    says: /npm rejected the one-time password at sign-in \(.+\)/,
  },
  {
    name: "package not owned",
    args: [...WEBSITE, "--npm-packages", "@demo-org/widget,left-pad"],
    says: /npm account widget-publisher cannot grant left-pad/,
  },
  {
    // A CLI-login page with two controls that could each log the CLI in: rotate presses neither.
    name: "API path, a CLI-login page that offers no single log-in control",
    arrange: (world) =>
      npmOf(world).faults.add({
        method: "GET",
        path: /^\/login\/cli\//,
        fault: {
          kind: "status",
          status: 200,
          headers: { "Content-Type": "text/html" },
          body: "<!doctype html><title>Log in</title><h1>Log in to the npm CLI</h1><form><button>Continue</button> <button>Log in with another account</button> <button>Cancel</button></form>",
        },
      }),
    says: /^rotate: npm's page for this sign-in offers 2 controls that could log the CLI in \("Continue", "Log in with another account"\): a human has to click the one control on that page that logs the npm command line in \(not one that cancels\); run again without --headless/,
  },
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

// ---- The default path: the browser signs in, the registry's API does the rest ----

/** Every session token the replica handed out during the run; each must be revoked by the end. */
function sessionsLeftOpen(world: SandboxWorld): string[] {
  return npmOf(world)
    .sessionTokens()
    .filter((token) => npmOf(world).isSessionLive(token));
}

// npm's page for the CLI login asks for a press by default (the replica's knob turns it off):
// rotate presses its one log-in control itself. The second run's registry gives the token fewer
// days than asked: the summary reports npm's date, read back from its list, and says so.
for (const [permission, confirm, givenDays] of [
  ["publish", true, 90],
  ["stage-only", false, 30],
] as const) {
  test(`API path, ${permission}, the CLI login ${confirm ? "confirmed on npm's page" : "completed without a confirmation page"}, ${givenDays} days: exactly the token the settings ask for, through the tokens API; the session ends with the run`, async ({
    world,
    rotation,
  }) => {
    npmOf(world).settings.webLogin.confirm = confirm;
    if (givenDays !== 90) npmOf(world).settings.shortenWriteTokensToDays = givenDays;
    const oldToken = heldToken(world, "npm");
    const result = await rotation.run("npm", ["--permission", permission]);
    expect(result.code, result.stderr).toBe(0);
    const created = npmOf(world)
      .tokens(world.drill("npm").account.username)
      .find((t) => TOOL_NAME.test(t.name));
    expect(created).toMatchObject({
      permission: permission === "publish" ? "read-write" : "read-write-stage-only",
      packagesAll: false,
      bypass2fa: true,
      description: "CircleCI publishing token, made by rotate",
    });
    expect(created?.packages.sort()).toEqual([...PACKAGES].sort());
    expect(Math.round(((created?.expires.getTime() ?? 0) - Date.now()) / DAY)).toBe(givenDays);
    const day = created?.expires.toISOString().slice(0, 10);
    expect(result.stdout).toContain(`expires ${day}`);
    if (givenDays !== 90) expect(result.stderr).toContain(`npm gave the new token ${givenDays} day(s), to ${day}, not the 90 asked for`);
    expect(npmOf(world).isLive(heldToken(world, "npm"))).toBe(true);
    expect(npmOf(world).isLive(oldToken)).toBe(false);
    // The website was visited only to sign in: no token page was ever opened.
    expect(result.stderr).not.toMatch(/granular|Access Tokens/);
    expect(npmOf(world).sessionTokens()).toHaveLength(1);
    expect(sessionsLeftOpen(world)).toEqual([]);
    const advice = permission === "publish" ? /January 2027/ : /CircleCI must run `npm stage publish`/;
    expect(result.stderr).toMatch(advice); // the plan
    expect(result.stdout.slice(0, result.stdout.indexOf("Note for the team"))).toMatch(advice); // the summary
    expect(result.stdout.slice(result.stdout.indexOf("Note for the team"))).toMatch(advice); // the team note
  });
}

// Every page shape, each escalated on create and on delete, with a custom expiry picked on the
// form; stage-only tokens too (with the happy path, both permissions on the labelled shape).
for (const [shape, permission] of [
  ["documented", "publish"],
  ["variant", "stage-only"],
  ["labelled", "stage-only"],
] as const) {
  test(`website path on the ${shape} page shape, ${permission}, escalated on create and delete, 45 days: exactly one new token, the old one gone`, async ({
    world,
    rotation,
  }) => {
    npmOf(world).settings.pageShape = shape;
    npmOf(world).settings.escalate = { create: true, delete: true };
    // A fault forces the delete's escalation even inside the cooldown the create's code opened.
    npmOf(world).faults.add({ method: "POST", path: `/settings/${world.drill("npm").account.username}/tokens`, fault: { kind: "reauth" } });
    const oldToken = heldToken(world, "npm");
    const result = await rotation.run("npm", [...WEBSITE, "--expires-days", "45", "--permission", permission]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain("npm asks for a one-time password again to generate a token");
    expect(result.stderr).toContain("npm asks for a one-time password again to delete a token");
    const mine = npmOf(world)
      .tokens(world.drill("npm").account.username)
      .filter((t) => TOOL_NAME.test(t.name));
    expect(mine).toHaveLength(1);
    expect(mine[0]?.permission).toBe(permission === "publish" ? "read-write" : "read-write-stage-only");
    expect(mine[0]?.redacted.endsWith(heldToken(world, "npm").slice(-4))).toBe(true);
    expect(Math.round(((mine[0]?.expires.getTime() ?? 0) - Date.now()) / DAY)).toBe(45);
    expect(result.stdout).toContain(`expires ${mine[0]?.expires.toISOString().slice(0, 10)}`);
    expect(npmOf(world).isLive(oldToken)).toBe(false);
  });
}

/** A token of our own whose value ends in the same four characters as the one CircleCI holds. */
function twinOfHeld(world: SandboxWorld): string {
  const held = heldToken(world, "npm");
  const value = `npm_${"T".repeat(32)}${held.slice(-4)}`;
  npmOf(world).issueToken(world.drill("npm").account.username, { name: "twin", packages: [...PACKAGES], expiresDays: 30, value });
  return value;
}

test("two tokens end in the same four characters, no terminal, incident order: it stops before anything changes, naming both", async ({
  world,
  rotation,
}) => {
  twinOfHeld(world);
  const before = snapshot(world);
  // Without the old value the list's last four cannot tell them apart.
  const stopped = await rotation.run("npm", ["--leaked"], { ROTATE_NPM_OLD_TOKEN: "" });
  expect(stopped.code, stopped.stderr).toBe(2);
  const [line] = errorLines(stopped);
  expect(line).toMatch(
    /^rotate: rotate cannot tell which npm token CircleCI holds \(2 tokens might be it: .*\), and with the old token exposed it stops before anything changes: pass --old-token NAME/,
  );
  expect(line).toContain('"twin" (…');
  expect(line).toMatch(
    /"NPM_TOKEN gh\/demo-org\/widget [^"@]+" \(…\w{4}; read and write, bypasses 2FA; created \d{4}-\d\d-\d\d; ends …\w{4} as CircleCI's value does; rotate's name for this destination\)/,
  );
  expect(snapshot(world)).toEqual(before);
});

// A second sign-in within the same half minute would reuse the one-time code, which npm refuses: a world of its own.
test("two tokens end in the same four characters, no terminal, routine order: the new token goes in, neither old one is deleted, and the summary says so, exit 3", async ({
  world,
  rotation,
}) => {
  const twin = twinOfHeld(world);
  const oldToken = heldToken(world, "npm");
  const routine = await rotation.run("npm", ["--routine"], { ROTATE_NPM_OLD_TOKEN: "" });
  expect(routine.code, routine.stderr).toBe(3);
  expect(routine.stdout).toMatch(
    /needs you {2}rotate could not tell which npm token CircleCI held \(2 tokens might be it: .*\), so it deleted none/,
  );
  expect(npmOf(world).isLive(oldToken)).toBe(true);
  expect(npmOf(world).isLive(twin)).toBe(true);
  expect(heldToken(world, "npm")).not.toBe(oldToken);
});

test("two tokens end alike, but the responder gave the old value: the exact one is deleted, by value", async ({ world, rotation }) => {
  const twin = twinOfHeld(world);
  const oldToken = heldToken(world, "npm");
  const result = await rotation.run("npm");
  expect(result.code, result.stderr).toBe(0);
  expect(npmOf(world).isLive(oldToken)).toBe(false);
  expect(npmOf(world).isLive(twin)).toBe(true);
});

test("the registry refuses the create (400): one line naming npm's reason, nothing changed, the session ended", async ({
  world,
  rotation,
}) => {
  npmOf(world).faults.add({
    method: "POST",
    path: "/-/npm/v1/tokens",
    fault: {
      kind: "status",
      status: 400,
      headers: { "Content-Type": "application/json" },
      body: '{"error":"You must select at least one package or scope if granting package/scopes permissions to this token."}',
    },
  });
  const before = snapshot(world);
  const result = await rotation.run("npm");
  expect(result.code, result.stderr).toBe(1);
  expect(errorLines(result)).toEqual([
    "rotate: npm refused to create the token (400: You must select at least one package or scope if granting package/scopes permissions to this token.): nothing was created",
  ]);
  expect(snapshot(world)).toEqual(before);
  expect(sessionsLeftOpen(world)).toEqual([]);
});

test("Ctrl-C mid-run: the session token is revoked all the same", async ({ world, rotation }) => {
  const drill = world.drill("npm");
  const held = new Promise<void>((resolve) =>
    drill.faults.add({ ...drill.points.check, fault: { kind: "hold", release: new Promise(() => undefined), onHeld: resolve } }),
  );
  const run = rotation.start("npm");
  await held;
  run.child.kill("SIGINT");
  const result = await run.done;
  expect(result.code, result.stderr).toBe(130);
  expect(npmOf(world).sessionTokens()).toHaveLength(1);
  expect(sessionsLeftOpen(world)).toEqual([]);
});

/** The world's npm credentials for a terminal run: the password and TOTP secret to type from, the rest of the environment. */
function typedCredentials(world: SandboxWorld) {
  const { args, env } = worldArgs(world, "npm");
  const { ROTATE_NPM_PASSWORD: password, ROTATE_NPM_TOTP_SECRET: totpSecret, ROTATE_NPM_OLD_TOKEN: _old, ...rest } = env;
  if (!password || !totpSecret) throw new Error("the drill world gave no npm credentials");
  const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(totpSecret) });
  return {
    args: args.filter((arg) => arg !== "--yes"),
    env: rest,
    password,
    codeOfStep: (step: number) => totp.generate({ timestamp: step * 30_000 }),
  };
}

test("in a terminal, npm taking a code for several calls: a mistyped password is asked again, and ONE code serves the whole rotation", async ({
  world,
  dirs,
}) => {
  const { args, env, password, codeOfStep } = typedCredentials(world);
  const run = startPty([...args, "--routine"], { dirs, env });
  let passwords = 0;
  // What the person's app shows now: good for this step and the next (30 to 60 s), longer than the run.
  const { code: exit, answered } = await run.answerUntilDone([
    [/\? npm password:/, () => (passwords++ === 0 ? "not-the-password" : password)],
    [/\? npm one-time code/, () => codeOfStep(Math.floor(Date.now() / 30_000))],
    [/\? Go ahead\?/, () => "y"],
    [/\? Also delete the \d+ leftover token/, () => "n"],
  ]);
  const screen = plain(run.screen());
  expect(exit, screen).toBe(0);
  expect(screen).toMatch(/npm refused the sign-in \(.+\); try the password again/);
  expect(answered[0]).toBe(2);
  // Sign-in, create and delete on one code.
  expect(answered[1]).toBe(1);
  expect(npmOf(world).isLive(heldToken(world, "npm"))).toBe(true);
  expect(run.screen()).not.toContain(password);
});

test("in a terminal, npm taking each code once: the next code is asked for with the reason; a mistyped one is asked again", async ({
  world,
  dirs,
}) => {
  npmOf(world).settings.oneTimeCodes = "single-use";
  const { args, env, password, codeOfStep } = typedCredentials(world);
  // The sign-in's code, a typo, then codes of the next steps: npm accepts the steps either side of
  // now, so three good codes need no wait (sign-in, create, delete). Each is made when it is asked
  // for, against the step of that moment: a loaded machine may cross a step between questions.
  const now = () => Math.floor(Date.now() / 30_000);
  const codes = [() => codeOfStep(now() - 1), () => "000000", () => codeOfStep(now()), () => codeOfStep(now() + 1)];
  const run = startPty([...args, "--routine"], { dirs, env });
  const { code: exit, answered } = await run.answerUntilDone([
    [/\? npm password:/, () => password],
    [/\? npm one-time code/, () => codes.shift()?.() ?? ""],
    [/\? Go ahead\?/, () => "y"],
    [/\? Also delete the \d+ leftover token/, () => "n"],
  ]);
  const screen = plain(run.screen());
  expect(exit, screen).toBe(0);
  // The code in use, sent again with the create and the delete, was refused: it had worked, so no typo.
  const spent =
    "✔ npm one-time code from your authenticator app (that code has expired or was already used: wait for your app's next code):";
  expect(screen.split(spent).length - 1).toBe(2);
  expect(screen).toContain("npm refused that one-time code while creating the token; try again");
  expect(answered[1]).toBe(4);
  expect(npmOf(world).isLive(heldToken(world, "npm"))).toBe(true);
});

test("a security-key account: web login and web one-time codes, a stand-in human at a visible browser (Xvfb)", async ({ dirs }) => {
  test.skip(!process.env.CI && !hasXvfb(), "needs Xvfb for a visible browser: apt-get install -y xvfb");
  const world = await startSandboxWorld({ registries: REGISTRY_IDS, knobs: { npm: { twoFactor: "webauthn" } } });
  const display = await startXvfb();
  try {
    npmOf(world).settings.simulatedHumanKeyMs = 500;
    const oldToken = heldToken(world, "npm");
    const { args, env } = worldArgs(world, "npm");
    const result = await startCli(
      args.filter((arg) => arg !== "--headless"),
      { env: { ...env, DISPLAY: display.name }, dirs },
    ).done;
    expect(result.code, result.stderr).toBe(0);
    // The key was asked for at the sign-in and again for the create and the delete: `rotate npm`
    // never ticks npm's "skip 2FA for 5 minutes" (it is not even offered).
    expect(result.stderr.match(/please press "Use security key" and touch your key/g)).toHaveLength(3);
    expect(npmOf(world).isLive(heldToken(world, "npm"))).toBe(true);
    expect(npmOf(world).isLive(oldToken)).toBe(false);
    expect(sessionsLeftOpen(world)).toEqual([]);
  } finally {
    display.stop();
    await world.close();
  }
});
