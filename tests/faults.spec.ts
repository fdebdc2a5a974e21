// The fault matrix: one test per failure the runbook must survive, for both registries. Each
// asserts the exit code, the "where things stand" text, and what the replicas hold afterwards.
import { execFileSync } from "node:child_process";
import type { Request } from "express";
import { type Fault, type FaultPlan, type FaultRule, DEMO, type SandboxWorld } from "rotate-replicas";
import { expect, heldToken, test } from "./support/world.js";

interface Registry {
  id: "pypi" | "npm";
  title: string;
  envVar: "PYPI_TOKEN" | "NPM_TOKEN";
  replica(world: SandboxWorld): { faults: FaultPlan; isLive(token: string): boolean };
  tokenNames(world: SandboxWorld): string[];
  /** The registry's token check (PyPI's upload probe, npm's whoami). */
  check: Pick<FaultRule, "method" | "path">;
  /** The check's answer for a token that does not exist. */
  deadAnswer: Fault;
  /** The website's delete request. */
  remove: Pick<FaultRule, "method" | "path" | "when">;
  /** The token form, opened once to check the scope and once more to create. */
  form: Pick<FaultRule, "method" | "path">;
}

const REGISTRIES: Registry[] = [
  {
    id: "pypi",
    title: "PyPI",
    envVar: "PYPI_TOKEN",
    replica: (world) => world.pypi,
    tokenNames: (world) => world.pypi.tokens(DEMO.pypi.username).map((t) => t.description),
    check: { method: "POST", path: "/legacy/" },
    deadAnswer: { kind: "status", status: 403, body: "Invalid or non-existent authentication information. See https://pypi.org/help/#invalid-auth for more information." },
    remove: { method: "POST", path: "/manage/account/token/", when: (req: Request) => "confirm_password" in (req.body as object) },
    form: { method: "GET", path: "/manage/account/token/" },
  },
  {
    id: "npm",
    title: "npm",
    envVar: "NPM_TOKEN",
    replica: (world) => world.npm,
    tokenNames: (world) => world.npm.tokens(DEMO.npm.username).map((t) => t.name),
    check: { method: "GET", path: "/-/whoami" },
    deadAnswer: { kind: "status", status: 401, headers: { "Content-Type": "application/json" }, body: '{"error":"Unauthorized"}' },
    remove: { method: "POST", path: /^\/settings\/[^/]+\/tokens$/ },
    form: { method: "GET", path: /\/tokens\/granular-access-tokens\/new$/ },
  },
];

const CIRCLECI_500: Fault = { kind: "status", status: 500, headers: { "Content-Type": "application/json" }, body: '{\n  "message" : "Internal server error."\n}' };
const PUSH = { method: "POST", path: `/api/v2/project/${DEMO.projectSlug}/envvar` };
const never = new Promise<void>(() => undefined);

/** A fault that holds the first token check (the new token's) and says when it is held. */
function holdFirstCheck(registry: Registry, world: SandboxWorld): Promise<void> {
  return new Promise((held) => registry.replica(world).faults.add({ ...registry.check, fault: { kind: "hold", release: never, onHeld: held } }));
}

function standing(stderr: string): string {
  return stderr.slice(stderr.indexOf("Where things stand:"));
}

for (const registry of REGISTRIES) {
  test.describe(`${registry.title}`, () => {
    test("CircleCI 500 on push, then it recovers: retried, completes, exit 0", async ({ world, rotation }) => {
      world.circleci.faults.add({ ...PUSH, times: 2, fault: CIRCLECI_500 });
      const oldToken = heldToken(world, registry.envVar);
      const result = await rotation.run(registry.id);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toMatch(/CircleCI answered 500; trying again in/);
      expect(world.circleci.faults.hits).toHaveLength(2);
      expect(registry.replica(world).isLive(heldToken(world, registry.envVar))).toBe(true);
      expect(registry.replica(world).isLive(oldToken)).toBe(false);
    });

    test("CircleCI 500 on push persists (routine): new token deleted, old still in CircleCI and alive, exit 1", async ({ world, rotation }) => {
      world.circleci.faults.add({ ...PUSH, times: 100, fault: CIRCLECI_500 });
      const oldToken = heldToken(world, registry.envVar);
      const before = registry.tokenNames(world);
      const result = await rotation.run(registry.id);
      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr).toMatch(/rotate: CircleCI failed while setting .* \(500\) after several tries/);
      const text = standing(result.stderr);
      expect(text).toMatch(/old token ".*": still exists and works/);
      expect(text).toMatch(/new token ".*": deleted again during clean-up/);
      expect(text).toContain(`${registry.envVar} in project ${DEMO.projectSlug}: unchanged, holds …${oldToken.slice(-4)} (the old token)`);
      expect(text).toContain("Next step: Nothing changed.");
      expect(registry.tokenNames(world)).toEqual(before);
      expect(heldToken(world, registry.envVar)).toBe(oldToken);
      expect(registry.replica(world).isLive(oldToken)).toBe(true);
    });

    test("CircleCI push fails in incident order: old already dead, new deleted without a retry, exit 3", async ({ world, rotation }) => {
      world.circleci.faults.add({ ...PUSH, times: 100, fault: CIRCLECI_500 });
      const oldToken = heldToken(world, registry.envVar);
      const result = await rotation.run(registry.id, ["--leaked"]);
      expect(result.code, result.stderr).toBe(3);
      const text = standing(result.stderr);
      expect(text).toMatch(/old token ".*": deleted, and the registry rejects it/);
      expect(text).toMatch(/new token ".*": deleted again during clean-up/);
      expect(text).toContain(`Next step: Publishing from CircleCI fails until it has a new token: run \`rotate ${registry.id}\` again`);
      expect(registry.replica(world).isLive(oldToken)).toBe(false);
      expect(heldToken(world, registry.envVar)).toBe(oldToken);
      expect(registry.tokenNames(world).filter((name) => name.startsWith(`${registry.envVar} `))).toEqual([]);
    });

    test("CircleCI shows another value after the push: exit 3, says CircleCI does not hold the new token", async ({ world, rotation }) => {
      world.circleci.faults.add({
        method: "GET",
        path: `/api/v2/project/${DEMO.projectSlug}/envvar/${registry.envVar}`,
        fault: { kind: "status", status: 200, headers: { "Content-Type": "application/json" }, body: JSON.stringify({ name: registry.envVar, value: "xxxxWXYZ", "created-at": new Date().toISOString() }) },
      });
      const oldToken = heldToken(world, registry.envVar);
      const result = await rotation.run(registry.id);
      expect(result.code, result.stderr).toBe(3);
      expect(result.stderr).toMatch(/rotate: CircleCI does not hold the new token: .* shows a value ending in …WXYZ/);
      const text = standing(result.stderr);
      expect(text).toMatch(new RegExp(`${registry.envVar} in project ${DEMO.projectSlug}: does not hold the new token \\(it shows a value ending in …WXYZ`));
      expect(text).toMatch(/old token ".*": still exists and works/);
      expect(registry.replica(world).isLive(oldToken)).toBe(true);
    });

    test("the new token fails its live check: new token deleted, old untouched, exit 1", async ({ world, rotation }) => {
      registry.replica(world).faults.add({ ...registry.check, fault: registry.deadAnswer });
      const oldToken = heldToken(world, registry.envVar);
      const before = registry.tokenNames(world);
      const result = await rotation.run(registry.id);
      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr).toContain(`rotate: ${registry.title} does not accept the new token (its check says dead)`);
      expect(standing(result.stderr)).toMatch(/new token ".*": deleted again during clean-up/);
      expect(registry.tokenNames(world)).toEqual(before);
      expect(heldToken(world, registry.envVar)).toBe(oldToken);
      expect(registry.replica(world).isLive(oldToken)).toBe(true);
    });

    test("deleting the old token fails: new token live in CircleCI, old still alive, exit 3 naming it", async ({ world, rotation }) => {
      registry.replica(world).faults.add({ ...registry.remove, times: 10, fault: { kind: "status", status: 500, body: "Internal Server Error" } });
      const oldToken = heldToken(world, registry.envVar);
      const oldName = registry.tokenNames(world).find((name) => name.startsWith(`${registry.envVar} `));
      const result = await rotation.run(registry.id);
      expect(result.code, result.stderr).toBe(3);
      const text = standing(result.stderr);
      expect(text).toContain(`old token "${oldName}": still exists and works`);
      expect(text).toMatch(/new token ".*": exists, works, and CircleCI holds it/);
      expect(text).toContain(`Next step: CircleCI already uses the new token. Delete the old token "${oldName}" on ${registry.title} by hand`);
      const newToken = heldToken(world, registry.envVar);
      expect(newToken).not.toBe(oldToken);
      expect(registry.replica(world).isLive(newToken)).toBe(true);
      expect(registry.replica(world).isLive(oldToken)).toBe(true);
    });

    test("429 with Retry-After from CircleCI and from the token check: waits as told, completes", async ({ world, rotation }) => {
      const limited: Fault = { kind: "status", status: 429, headers: { "Retry-After": "2", "Content-Type": "application/json" }, body: '{"message" : "Rate limit exceeded."}' };
      world.circleci.faults.add({ method: "GET", path: "/api/v2/me", fault: limited });
      world.circleci.faults.add({ ...PUSH, fault: limited });
      registry.replica(world).faults.add({ ...registry.check, fault: limited });
      const result = await rotation.run(registry.id);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toMatch(/CircleCI answered 429; trying again in 2\.0s/);
      expect(result.stderr).toMatch(new RegExp(`${registry.check.method} \\S+${registry.check.path as string} answered 429; trying again in 2\\.0s`));
      expect(world.circleci.faults.hits).toHaveLength(2);
      expect(registry.replica(world).isLive(heldToken(world, registry.envVar))).toBe(true);
    });

    test("the session expires mid-run: the flow signs in again and completes", async ({ world, rotation }) => {
      registry.replica(world).faults.add({ ...registry.form, skip: 1, fault: { kind: "session-expired" } });
      const oldToken = heldToken(world, registry.envVar);
      const result = await rotation.run(registry.id);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toContain(`The ${registry.title} session ended; signing in again.`);
      expect(registry.replica(world).faults.hits.filter((h) => h.kind === "session-expired")).toHaveLength(1);
      expect(registry.replica(world).isLive(heldToken(world, registry.envVar))).toBe(true);
      expect(registry.replica(world).isLive(oldToken)).toBe(false);
    });

    test("Ctrl-C after the new token is created, before the push: new token deleted, exit 1", async ({ world, rotation }) => {
      const held = holdFirstCheck(registry, world);
      const oldToken = heldToken(world, registry.envVar);
      const before = registry.tokenNames(world);
      const run = rotation.start(registry.id);
      await held;
      run.child.kill("SIGINT");
      const result = await run.done;
      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr).toContain("rotate: interrupted (Ctrl-C)");
      expect(standing(result.stderr)).toMatch(/new token ".*": deleted again during clean-up/);
      expect(registry.tokenNames(world)).toEqual(before);
      expect(heldToken(world, registry.envVar)).toBe(oldToken);
      expect(registry.replica(world).isLive(oldToken)).toBe(true);
    });

    test("the browser is closed mid-flow: the run stops, names the new token to delete, exit 3", async ({ world, rotation, dirs }) => {
      const held = holdFirstCheck(registry, world);
      const oldToken = heldToken(world, registry.envVar);
      const run = rotation.start(registry.id);
      await held;
      // The browser's throw-away profile lives under the run's TMPDIR: that finds its processes.
      execFileSync("pkill", ["-f", "--", `--user-data-dir=${dirs.tmp}`]);
      const result = await run.done;
      expect(result.code, result.stderr).toBe(3);
      expect(result.stderr).toContain("rotate: the browser window was closed before the step finished");
      const text = standing(result.stderr);
      expect(text).toMatch(/new token ".*": exists, CircleCI does not have it/);
      expect(text).toMatch(new RegExp(`Next step: Delete the new token ".*" on ${registry.title} by hand`));
      // Both exist: the old one (CircleCI's) and the new one the responder is told to delete.
      expect(registry.tokenNames(world).filter((name) => name.startsWith(`${registry.envVar} `))).toHaveLength(2);
      expect(heldToken(world, registry.envVar)).toBe(oldToken);
      expect(registry.replica(world).isLive(oldToken)).toBe(true);
    });
  });
}
