// npm's own CLI (the pinned devDependency) against the npm registry replica: a replica is a
// witness only when someone else's client agrees with it. Every command must succeed. npm runs
// with a user config, cache and HOME in a temp directory of the test's own, never the user's.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { expect, test as base, type Page } from "@playwright/test";
import { startNpmReplica, type NpmReplica } from "rotate-replicas";
import { TestClock } from "./support/clock.js";
import { ALICE, BOB } from "./support/npm-site.js";

const NPM_CLI = resolve("node_modules/npm/bin/npm-cli.js");
const SCOPED = "@mozilla/nimbus-shared";

interface NpmResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `npm <args>` against the replica; `onStdout` sees the output so far as it grows. */
type RunNpm = (args: string[], onStdout?: (soFar: string) => void) => Promise<NpmResult>;

const test = base.extend<{ clock: TestClock; npm: NpmReplica; runNpm: RunNpm; userconfig: string }>({
  clock: async ({}, use) => use(new TestClock(ALICE.totpSecret)),
  npm: async ({ clock }, use) => {
    const replica = await startNpmReplica({ users: [ALICE, BOB], now: clock.now });
    await use(replica);
    await replica.close();
  },

  userconfig: async ({}, use) => {
    const dir = mkdtempSync(join(tmpdir(), "npm-cli-"));
    await use(join(dir, "npmrc"));
    rmSync(dir, { recursive: true, force: true });
  },
  runNpm: async ({ npm, userconfig }, use) => {
    const dir = join(userconfig, "..");
    // Nothing of the outer npm (npm test sets npm_config_*) or of the user's own config leaks in.
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)));
    const isolation = [
      `--registry=${npm.registryUrl}/`,
      `--userconfig=${userconfig}`,
      `--globalconfig=${join(dir, "global-npmrc")}`,
      `--cache=${join(dir, "cache")}`,
      "--logs-max=0",
      "--update-notifier=false",
    ];
    await use(
      (args, onStdout) =>
        new Promise((done, fail) => {
          const child = spawn(process.execPath, [NPM_CLI, ...args, ...isolation], {
            cwd: dir,
            env: { ...env, HOME: dir },
            stdio: ["ignore", "pipe", "pipe"],
          });
          let stdout = "";
          let stderr = "";
          child.stdout.on("data", (chunk: Buffer) => {
            stdout += chunk.toString();
            onStdout?.(stdout);
          });
          child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
          child.on("error", fail);
          child.on("close", (code) => done({ code, stdout, stderr }));
        }),
    );
  },
});

/** The person's part of `npm login --auth-type=web`: sign in on the page npm printed, then press its Login. */
async function signInAt(page: Page, url: string, clock: TestClock): Promise<void> {
  await page.goto(url);
  await page.getByLabel("Username").fill(ALICE.username);
  await page.getByLabel("Password", { exact: true }).fill(ALICE.password);
  await page.getByRole("button", { name: "Sign In" }).click();
  await page.getByLabel("One-time password").fill(clock.code());
  await page.getByRole("button", { name: "Verify" }).click();
  // "Click the login button on the website": the replica asks for it by default.
  await page.getByRole("button", { name: "Login" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Logged in");
}

/** The session token npm saved for the replica's registry (in the test's own user config). */
function savedToken(userconfig: string, npm: NpmReplica): string | undefined {
  const key = `//${new URL(npm.registryUrl).host}/:_authToken=`;
  if (!existsSync(userconfig)) return undefined;
  return readFileSync(userconfig, "utf8")
    .split("\n")
    .find((line) => line.startsWith(key))
    ?.slice(key.length);
}

test("npm's own CLI: web login, whoami, token list/create/revoke, trust circleci/list/revoke, logout — every command succeeds", async ({
  page,
  npm,
  runNpm,
  userconfig,
  clock,
}) => {
  // Twelve tokens: more than npm's page of ten, so `npm token list` must follow urls.next.
  for (let i = 0; i < 12; i++)
    npm.issueToken("alice", { name: `older ${i}`, created: new Date(clock.now().getTime() - (12 - i) * 60_000) });
  /** A fresh code per command: the replica takes each 30-second code once. */
  const otp = () => {
    clock.advance(30);
    return `--otp=${clock.code()}`;
  };
  const succeeds = async (args: string[], onStdout?: (soFar: string) => void) => {
    const result = await runNpm(args, onStdout);
    expect(result.code, `npm ${args[0]} ${args[1] ?? ""}\n${result.stderr}`).toBe(0);
    return result.stdout;
  };

  let session = "";
  await test.step("npm login --auth-type=web", async () => {
    // Without a terminal npm prints the login URL and polls the done URL; the person signs in.
    let printed: (url: string) => void = () => undefined;
    const loginUrl = new Promise<string>((found) => (printed = found));
    const login = succeeds(["login", "--auth-type=web"], (soFar) => {
      const url = /^Login at:\n(\S+)\n/m.exec(soFar)?.[1];
      if (url) printed(url);
    });
    const ended = login.then((output) => Promise.reject(new Error(`npm login ended without a login URL:\n${output}`)));
    await signInAt(page, await Promise.race([loginUrl, ended]), clock);
    expect(await login).toContain(`Logged in on ${npm.registryUrl}/.`);
    session = savedToken(userconfig, npm) ?? "";
    expect(npm.isSessionLive(session)).toBe(true);
  });

  await test.step("npm whoami", async () => {
    expect(await succeeds(["whoami"])).toBe("alice\n");
  });

  let created = "";
  await test.step("npm token create: packages, stage-only, expiry, bypass 2FA", async () => {
    const output = await succeeds([
      "token",
      "create",
      "--name=NPM_TOKEN gh/mozilla/nimbus-shared",
      "--token-description=CircleCI publishing",
      `--packages=${SCOPED}`,
      "--packages=nimbus-shared",
      "--packages-and-scopes-permission=read-write-stage-only",
      "--expires=30",
      "--bypass-2fa",
      `--password=${ALICE.password}`,
      otp(),
    ]);
    created = /^Created token (npm_\w{36})$/m.exec(output)?.[1] ?? "";
    // npm prints `expires` from the answer, which npm's API docs call `expiry`: nothing to print.
    expect(output).not.toContain("expires:");
    expect(npm.tokens("alice")[0]).toMatchObject({
      name: "NPM_TOKEN gh/mozilla/nimbus-shared",
      description: "CircleCI publishing",
      redacted: `${created.slice(0, 8)}...${created.slice(-4)}`,
      permission: "read-write-stage-only",
      packages: [SCOPED, "nimbus-shared"],
      packagesAll: false,
      bypass2fa: true,
      expires: new Date(clock.now().getTime() + 30 * 86_400_000),
    });
    expect(npm.isLive(created)).toBe(true);
  });

  let id = "";
  await test.step("npm token list (two pages)", async () => {
    const output = await succeeds(["token", "list"]);
    const rows = [...output.matchAll(/^Token (npm_\w{4}\.\.\.\w{4})… with id (\w{6,}) name (.+) created 2026-11-24$/gm)];
    expect(rows.map((row) => row[3])).toEqual([
      "NPM_TOKEN gh/mozilla/nimbus-shared",
      ...Array.from({ length: 12 }, (_, i) => `older ${11 - i}`),
    ]);
    expect(rows[0]?.[1]).toBe(`${created.slice(0, 8)}...${created.slice(-4)}`);
    id = rows[0]?.[2] ?? "?";
  });

  await test.step("npm token revoke <id>", async () => {
    expect(await succeeds(["token", "revoke", id, otp()])).toBe("Removed 1 token\n");
    expect(npm.isLive(created)).toBe(false);
    expect(npm.tokens("alice")).toHaveLength(12);
  });

  const ids = {
    org: "7b1c1c5e-1f7d-4d44-9c5a-0d5d6b0b8a11",
    project: "a3b0e0f4-8f0c-4f77-8a6c-5d7e2f9b1c22",
    pipeline: "c9d8e7f6-a5b4-4c3d-8e2f-1a0b9c8d7e33",
  };
  let trustId = "";
  await test.step("npm trust circleci", async () => {
    const output = await succeeds([
      "trust",
      "circleci",
      SCOPED,
      `--org-id=${ids.org}`,
      `--project-id=${ids.project}`,
      `--pipeline-definition-id=${ids.pipeline}`,
      "--vcs-origin=github.com/mozilla/nimbus-shared",
      "--allow-publish",
      "--allow-stage-publish",
      "--yes",
      otp(),
    ]);
    expect(output).toContain(`Trust configuration created successfully for ${SCOPED}`);
    expect(npm.trustConfigs(SCOPED)).toMatchObject([
      {
        type: "circleci",
        claims: {
          "oidc.circleci.com/org-id": ids.org,
          "oidc.circleci.com/project-id": ids.project,
          "oidc.circleci.com/pipeline-definition-id": ids.pipeline,
          "oidc.circleci.com/vcs-origin": "github.com/mozilla/nimbus-shared",
        },
        permissions: ["createPackage", "createStagedPackage"],
      },
    ]);
    trustId = npm.trustConfigs(SCOPED)[0]?.id ?? "?";
  });

  await test.step("npm trust list", async () => {
    const output = await succeeds(["trust", "list", SCOPED, otp()]);
    expect(output).toContain(`id: ${trustId}`);
    expect(output).toContain(`projectId: ${ids.project}`);
    expect(output).toContain("permissions: publish, stage publish");
  });

  await test.step("npm trust revoke", async () => {
    // npm masks the id in what it prints.
    expect(await succeeds(["trust", "revoke", SCOPED, `--id=${trustId}`, otp()])).toContain(
      `Revoked trusted configuration for package ${SCOPED} with id `,
    );
    expect(npm.trustConfigs(SCOPED)).toEqual([]);
  });

  await test.step("npm logout: the replica no longer accepts the session token", async () => {
    await succeeds(["logout"]);
    expect(savedToken(userconfig, npm)).toBeUndefined();
    expect(npm.isSessionLive(session)).toBe(false);
    expect((await page.request.get(`${npm.registryUrl}/-/whoami`, { headers: { authorization: `Bearer ${session}` } })).status()).toBe(401);
  });
});
