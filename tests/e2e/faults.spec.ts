// The fault matrix: one test per failure the runbook must survive, for each registry where the
// registry takes part. Each asserts the exit code, the "where things stand" text, and what the
// replicas hold afterwards.
import { execFileSync } from "node:child_process";
import { DEMO, type Fault, type FaultRule, type SandboxWorld } from "rotate-replicas";
import { pypi } from "../../flows/pypi/index.js";
import { registries } from "../../src/registries.js";
import { npmOf } from "../support/replicas.js";
import { errorLines, expect, heldToken, test } from "../support/world.js";

// Retry-After: 0 makes the retries immediate: what a run does after they run out is tested here,
// the client's own backoff (seconds between tries) in circleci-client.spec.
const CIRCLECI_500: Fault = {
  kind: "status",
  status: 500,
  headers: { "Content-Type": "application/json", "Retry-After": "0" },
  body: '{\n  "message" : "Internal server error."\n}',
};
const PUSH = { method: "POST", path: `/api/v2/project/${DEMO.projectSlug}/envvar` };
const never = new Promise<void>(() => undefined);

/** A fault that holds the first token check (the new token's) and says when it is held. */
function holdFirstCheck(world: SandboxWorld, id: string): Promise<void> {
  const drill = world.drill(id);
  return new Promise((held) => drill.faults.add({ ...drill.points.check, fault: { kind: "hold", release: never, onHeld: held } }));
}

/** The names of the tokens rotate made (or an earlier rotation made) for this variable. */
const rotateMade = (world: SandboxWorld, id: string) =>
  world
    .drill(id)
    .tokenNames()
    .filter((name) => name.startsWith(`${world.drill(id).envVar} ${DEMO.projectSlug} `));

function standing(stderr: string): string {
  return stderr.slice(stderr.indexOf("Where things stand:"));
}

for (const registry of registries) {
  test.describe(`${registry.title}`, () => {
    test("CircleCI 500 on push persists (routine): new token deleted, old still in CircleCI and alive, exit 1", async ({
      world,
      rotation,
    }) => {
      world.circleci.faults.add({ ...PUSH, times: 100, fault: CIRCLECI_500 });
      const oldToken = heldToken(world, registry.id);
      const before = world.drill(registry.id).tokenNames();
      const result = await rotation.run(registry.id);
      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr).toMatch(
        /rotate: CircleCI did not take the new token in .*: CircleCI failed while setting .* \(500\) after several tries/,
      );
      const text = standing(result.stderr);
      expect(text).toMatch(/old token ".*": still exists and works/);
      expect(text).toMatch(/new token ".*": deleted again during clean-up/);
      expect(text).toContain(
        `${registry.defaultEnvVar} in project ${DEMO.projectSlug}: unchanged, holds …${oldToken.slice(-4)} (the old token)`,
      );
      expect(text).toContain("Next step: Nothing changed.");
      expect(world.drill(registry.id).tokenNames()).toEqual(before);
      expect(heldToken(world, registry.id)).toBe(oldToken);
      expect(world.drill(registry.id).isLive(oldToken)).toBe(true);
    });

    test("the new token fails its live check: new token deleted, old untouched, exit 1", async ({ world, rotation }) => {
      world.drill(registry.id).faults.add({ ...world.drill(registry.id).points.check, fault: world.drill(registry.id).points.deadAnswer });
      const oldToken = heldToken(world, registry.id);
      const before = world.drill(registry.id).tokenNames();
      const result = await rotation.run(registry.id);
      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr).toContain(`rotate: ${registry.title} does not accept the new token (its check says dead)`);
      expect(standing(result.stderr)).toMatch(/new token ".*": deleted again during clean-up/);
      expect(world.drill(registry.id).tokenNames()).toEqual(before);
      expect(heldToken(world, registry.id)).toBe(oldToken);
      expect(world.drill(registry.id).isLive(oldToken)).toBe(true);
    });

    test("deleting the old token fails: new token live in CircleCI, old still alive, exit 3 naming it", async ({ world, rotation }) => {
      world.drill(registry.id).faults.add({
        ...world.drill(registry.id).points.remove,
        times: 10,
        fault: { kind: "status", status: 500, body: "Internal Server Error" },
      });
      const oldToken = heldToken(world, registry.id);
      const [oldName] = rotateMade(world, registry.id);
      const result = await rotation.run(registry.id);
      expect(result.code, result.stderr).toBe(3);
      const text = standing(result.stderr);
      expect(text).toContain(`old token "${oldName}": still exists and works`);
      expect(text).toMatch(/new token ".*": exists and works, and CircleCI holds it/);
      expect(text).toContain(
        `Next step: CircleCI already uses the new token. Delete the old token "${oldName}" on ${registry.title} by hand`,
      );
      const newToken = heldToken(world, registry.id);
      expect(newToken).not.toBe(oldToken);
      expect(world.drill(registry.id).isLive(newToken)).toBe(true);
      expect(world.drill(registry.id).isLive(oldToken)).toBe(true);
    });

    test("429 with Retry-After from CircleCI and from the token check: waits as told, completes", async ({ world, rotation }) => {
      const limited: Fault = {
        kind: "status",
        status: 429,
        headers: { "Retry-After": "1", "Content-Type": "application/json" },
        body: '{"message" : "Rate limit exceeded."}',
      };
      world.circleci.faults.add({ method: "GET", path: "/api/v2/me", fault: limited });
      world.circleci.faults.add({ ...PUSH, fault: limited });
      world.drill(registry.id).faults.add({ ...world.drill(registry.id).points.check, fault: limited });
      const result = await rotation.run(registry.id);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toMatch(/CircleCI answered 429; trying again in 1\.0s/);
      expect(result.stderr).toMatch(
        new RegExp(
          `${world.drill(registry.id).points.check.method} \\S+${world.drill(registry.id).points.check.path as string} answered 429; trying again in 1\\.0s`,
        ),
      );
      expect(world.circleci.faults.hits).toHaveLength(2);
      expect(world.drill(registry.id).isLive(heldToken(world, registry.id))).toBe(true);
    });

    test("the session expires mid-run: the flow signs in again and completes", async ({ world, rotation }) => {
      const { point, fault, skip } = world.drill(registry.id).points.sessionEnd;
      world.drill(registry.id).faults.add({ ...point, skip, fault });
      const oldToken = heldToken(world, registry.id);
      const result = await rotation.run(registry.id);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toContain(`The ${registry.title} session ended; signing in again.`);
      expect(world.drill(registry.id).faults.hits).toHaveLength(1);
      expect(world.drill(registry.id).isLive(heldToken(world, registry.id))).toBe(true);
      expect(world.drill(registry.id).isLive(oldToken)).toBe(false);
      // npm: the session that got the plain 401 is still live on the registry; it is ended too.
      if (registry.id === "npm")
        expect(
          npmOf(world)
            .sessionTokens()
            .filter((t) => npmOf(world).isSessionLive(t)),
        ).toEqual([]);
    });

    test("Ctrl-C after the new token is created, before the push: new token deleted, exit 130", async ({ world, rotation }) => {
      const held = holdFirstCheck(world, registry.id);
      const oldToken = heldToken(world, registry.id);
      const before = world.drill(registry.id).tokenNames();
      const run = rotation.start(registry.id);
      await held;
      run.child.kill("SIGINT");
      const result = await run.done;
      expect(result.code, result.stderr).toBe(130);
      expect(result.stderr).toContain("rotate: interrupted (Ctrl-C)");
      expect(standing(result.stderr)).toMatch(/new token ".*": deleted again during clean-up/);
      // The interruption is the whole cause: no "cause above" to fix.
      expect(result.stderr).toMatch(/Next step: Nothing changed: the run was interrupted\. Run `rotate \w+.*` again when you are ready\./);
      expect(world.drill(registry.id).tokenNames()).toEqual(before);
      expect(heldToken(world, registry.id)).toBe(oldToken);
      expect(world.drill(registry.id).isLive(oldToken)).toBe(true);
    });

    test("the browser dies mid-flow: clean-up still deletes the new token (a fresh browser, or the API), exit 1", async ({
      world,
      rotation,
      dirs,
    }) => {
      const held = holdFirstCheck(world, registry.id);
      const oldToken = heldToken(world, registry.id);
      const before = world.drill(registry.id).tokenNames();
      const run = rotation.start(registry.id);
      await held;
      // The browser's throw-away profile lives under the run's TMPDIR: that finds its processes.
      execFileSync("pkill", ["-f", "--", `--user-data-dir=${dirs.tmp}`]);
      const result = await run.done;
      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr).toContain("rotate: the browser window was closed before the step finished");
      expect(standing(result.stderr)).toMatch(/new token ".*": deleted again during clean-up/);
      expect(world.drill(registry.id).tokenNames()).toEqual(before);
      expect(heldToken(world, registry.id)).toBe(oldToken);
      expect(world.drill(registry.id).isLive(oldToken)).toBe(true);
    });
  });
}

// Faults on CircleCI's side alone: the registry takes no part beyond the clean-up that the
// routine 500 above runs for each registry, so one registry runs them.
test.describe("CircleCI's side", () => {
  const registry = pypi;

  test("CircleCI 500 on push, then it recovers: retried, completes, exit 0", async ({ world, rotation }) => {
    world.circleci.faults.add({ ...PUSH, times: 2, fault: CIRCLECI_500 });
    const oldToken = heldToken(world, registry.id);
    const result = await rotation.run(registry.id);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/CircleCI answered 500; trying again in/);
    expect(world.circleci.faults.hits).toHaveLength(2);
    expect(world.drill(registry.id).isLive(heldToken(world, registry.id))).toBe(true);
    expect(world.drill(registry.id).isLive(oldToken)).toBe(false);
  });

  test("CircleCI push fails in incident order: old already dead, new deleted without a retry, exit 3", async ({ world, rotation }) => {
    world.circleci.faults.add({ ...PUSH, times: 100, fault: CIRCLECI_500 });
    const oldToken = heldToken(world, registry.id);
    const result = await rotation.run(registry.id, ["--leaked"]);
    expect(result.code, result.stderr).toBe(3);
    const text = standing(result.stderr);
    expect(text).toMatch(/old token ".*": deleted, and the registry rejects it/);
    expect(text).toMatch(/new token ".*": deleted again during clean-up/);
    expect(text).toContain(`Next step: Publishing from CircleCI fails until it has a new token: run \`rotate ${registry.id}\` again`);
    expect(world.drill(registry.id).isLive(oldToken)).toBe(false);
    expect(heldToken(world, registry.id)).toBe(oldToken);
    expect(rotateMade(world, registry.id)).toEqual([]);
  });

  test("CircleCI shows another value after the push: exit 3, says CircleCI does not hold the new token", async ({ world, rotation }) => {
    world.circleci.faults.add({
      method: "GET",
      path: `/api/v2/project/${DEMO.projectSlug}/envvar/${registry.defaultEnvVar}`,
      skip: 1, // the preflight's read
      fault: {
        kind: "status",
        status: 200,
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ name: registry.defaultEnvVar, value: "xxxxWXYZ", "created-at": new Date().toISOString() }),
      },
    });
    const oldToken = heldToken(world, registry.id);
    const result = await rotation.run(registry.id);
    expect(result.code, result.stderr).toBe(3);
    expect(result.stderr).toMatch(/rotate: CircleCI does not hold the new token: .* shows a value ending in …WXYZ/);
    const text = standing(result.stderr);
    expect(text).toMatch(
      new RegExp(
        `${registry.defaultEnvVar} in project ${DEMO.projectSlug}: does not hold the new token \\(it shows a value ending in …WXYZ`,
      ),
    );
    expect(text).toMatch(/old token ".*": still exists and works/);
    expect(world.drill(registry.id).isLive(oldToken)).toBe(true);
  });
});

// Playwright's own words ("locator.waitFor: Timeout 3000ms exceeded.") never reach the responder:
// a wait that runs out says what rotate waited for, on which page, what it answered, and the next step.
test.describe("a page that answers 500, 429, or never", () => {
  const PAGE_ERROR = (status: number): Fault => ({
    kind: "status",
    status,
    body: "<!DOCTYPE html><html><body><h1>Error</h1></body></html>",
  });
  const cases: Array<{ name: string; registry: string; rule: FaultRule; code: number; says: (site: string) => string }> = [
    {
      name: "npm's sign-in page answers 500",
      registry: "npm",
      rule: { method: "GET", path: "/login", times: 5, fault: PAGE_ERROR(500) },
      code: 1,
      says: (site) =>
        `rotate: waited for the npm sign-in form on ${site}/login, which answered 500, in vain: the site has a problem; check its status page, wait a few minutes, then run again`,
    },
    {
      name: "PyPI's login page answers 429",
      registry: "pypi",
      rule: { method: "GET", path: "/account/login/", times: 5, fault: PAGE_ERROR(429) },
      code: 1,
      says: (site) =>
        `rotate: waited for the PyPI login form on ${site}/account/login/, which answered 429, in vain: the site is limiting requests; wait a few minutes, then run again`,
    },
    {
      name: "npm's sign-in page never answers",
      registry: "npm",
      rule: { method: "GET", path: "/login", fault: { kind: "hang" } },
      code: 1,
      says: (site) =>
        `rotate: waited for ${site}/login to load, and it never finished: the site does not answer; check the network and the site's status page, then run again`,
    },
    {
      name: "PyPI's token list answers 500 after the new token is in CircleCI",
      registry: "pypi",
      rule: { method: "GET", path: "/manage/account/", skip: 2, times: 20, fault: PAGE_ERROR(500) },
      code: 3,
      says: (site) =>
        `rotate: waited for the "Account settings" page on ${site}/manage/account/, which answered 500, in vain: the site has a problem; check its status page, wait a few minutes, then run again`,
    },
  ];
  for (const { name, registry, rule, code, says } of cases) {
    test(`${name}: one line saying what rotate waited for, on which page, and the next step`, async ({ world, rotation }) => {
      world.drill(registry).faults.add(rule);
      const result = await rotation.run(registry, ["--step-timeout", "2"]);
      expect(result.code, result.stderr).toBe(code);
      const site = String(world.drill(registry).flags[registry === "npm" ? "npmUrl" : "pypiUrl"]);
      expect(errorLines(result)).toEqual([says(site)]);
      expect(result.stderr).not.toMatch(/Timeout \d+ms exceeded|locator\.|page\.goto/);
    });
  }
});
