// An organisation's incident, end to end: the real CLI rotating a fleet of PyPI rotations (each in
// a project variable and a context) on replicas built from the fleet, in real Chromium. One sign-in
// for six rotations, routine then incident order; a destination refusing mid-fleet; Ctrl-C mid-fleet
// and the rerun that continues. Every run passes the secrecy scan (the `rotation` fixture). npm's
// fleet runs end to end in the README's example (readme.spec.ts), where its one-time codes are paid once.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startSandboxWorld, type FaultPlan, type SandboxWorld } from "rotate-replicas";
import { npm } from "../../flows/npm/index.js";
import { pypi } from "../../flows/pypi/index.js";
import { fleetSeed } from "../../src/settings/rotations.js";
import { startCli, worldArgs, type Sandbox } from "../support/cli.js";
import { plain, startPty } from "../support/pty.js";
import { npmOf } from "../support/replicas.js";
import { hasXvfb, startXvfb } from "../support/xvfb.js";
import { secretsIn } from "../support/secrets.js";
import { expect, test } from "../support/world.js";

const NAMES = ["p1", "p2", "p3", "p4", "p5", "p6"];
const CONFIG = {
  pypi: {
    username: "widget-publisher",
    expiresDays: 30,
    rotations: NAMES.map((name) => ({ name, project: `acme-${name}`, targets: [`gh/acme/${name}`, `gh/acme/${name}@publish-${name}`] })),
  },
};
const FILE = "/fleet/rotate.config.json";
const SEED = fleetSeed([npm, pypi], { flags: {}, env: {}, file: CONFIG, filePath: FILE });
if (!SEED) throw new Error("the fleet config names no rotations");

test.use({ fleet: SEED });

function writeConfig(dirs: Sandbox): void {
  mkdirSync(dirs.cwd, { recursive: true });
  writeFileSync(join(dirs.cwd, "rotate.config.json"), JSON.stringify(CONFIG));
}

/** What CircleCI holds for a rotation: its project variable and its context variable. */
function held(world: SandboxWorld, name: string): [string | undefined, string | undefined] {
  return [
    world.circleci.envVar(`gh/acme/${name}`, "PYPI_TOKEN")?.value,
    world.circleci.contextEnvVar(`publish-${name}`, "PYPI_TOKEN")?.value,
  ];
}

/** Counts the requests to a path, letting each through as it is. */
function counter(plan: FaultPlan, method: string, path: string): () => number {
  plan.add({ method, path, times: 1_000, fault: { kind: "hold", release: Promise.resolve() } });
  return () => plan.hits.filter((hit) => hit.method === method && hit.path === path).length;
}

interface Entry {
  name: string;
  outcome: string;
  steps?: Array<{ step: string }>;
}

test("six rotations in one sitting, routine then --leaked: one sign-in each, each rotation in its order, every old token dead", async ({
  world,
  dirs,
  rotation,
  secrets,
}) => {
  writeConfig(dirs);
  const pypiDrill = world.drill("pypi");
  const signIns = counter(pypiDrill.faults, "POST", "/account/login/");
  const olds = NAMES.map((name) => held(world, name)[0] ?? "");

  const routine = await rotation.run("pypi", ["--all"]);
  expect(routine.code, routine.stderr).toBe(0);
  expect(signIns()).toBe(1);
  const fresh = NAMES.map((name, i) => {
    const [project, context] = held(world, name);
    expect(project, name).not.toBe(olds[i]);
    expect(context, name).toBe(project);
    expect(pypiDrill.isLive(project ?? "")).toBe(true);
    expect(pypiDrill.isLive(olds[i] ?? "")).toBe(false);
    return project ?? "";
  });
  // One line per rotation on stderr, not one per step; the summary is a table of them.
  expect(routine.stderr.split("\n").filter((line) => /^✔ p\d \(/.test(line))).toHaveLength(6);
  expect(routine.stderr).not.toContain("• Put it in");
  expect(routine.stdout).toMatch(/^6 PyPI rotation\(s\) \(routine order, [\d.]+s\): 6 rotated/);
  expect(routine.stdout).toMatch(
    / {2}p4 +"PYPI_TOKEN gh\/acme\/p4 \S+" …\S{4} +2 of 2 +"PYPI_TOKEN gh\/acme\/p4 \S+" deleted +\d{4}-\d\d-\d\d/,
  );
  expect(routine.stdout).toContain("rotated 6 PyPI publishing token(s) as routine maintenance");

  // What CircleCI holds now, every destination of every rotation, with the expiry the project's history recorded.
  const status = await startCli(["status", "--all", "--circleci-url", world.circleci.apiUrl, "--trust-urls"], {
    dirs,
    env: { CIRCLECI_TOKEN: world.circleciToken },
  }).done;
  expect(status.code, status.stderr).toBe(0);
  for (const [i, name] of NAMES.entries()) {
    expect(status.stdout).toContain(`PyPI  ${name}: PYPI_TOKEN in project gh/acme/${name}: holds …${fresh[i]?.slice(-4) ?? ""}`);
    expect(status.stdout).toContain(`PyPI  ${name}: PYPI_TOKEN in context "publish-${name}": holds`);
  }
  expect(
    status.stdout.match(/ \((project history|audit log)\): "PYPI_TOKEN gh\/acme\/p\d \S+", expires \d{4}-\d\d-\d\d \(29 day\(s\) left\)/g),
  ).toHaveLength(12);
  expect(secretsIn(status.stdout + status.stderr, secrets.all())).toEqual([]);

  // Rotated within the hour: a rerun leaves them, unless --again.
  const rerun = await rotation.run("pypi", ["--all"]);
  expect(rerun.code, rerun.stderr).toBe(0);
  expect(rerun.stdout).toContain("6 done earlier");
  expect(signIns()).toBe(1);

  const leaked = await rotation.run("pypi", ["--all", "--leaked", "--again", "--json"]);
  expect(leaked.code, leaked.stderr).toBe(0);
  expect(signIns()).toBe(2);
  const { rotations } = JSON.parse(leaked.stdout) as { rotations: Entry[] };
  expect(rotations.map((r) => [r.name, r.outcome])).toEqual(NAMES.map((name) => [name, "rotated"]));
  for (const [i, entry] of rotations.entries()) {
    const steps = entry.steps?.map((s) => s.step) ?? [];
    // Incident order: the exposed token is dead before its replacement is made.
    expect(steps.indexOf("verify-old"), entry.name).toBeLessThan(steps.indexOf("create"));
    expect(pypiDrill.isLive(fresh[i] ?? "")).toBe(false);
  }
});

test("a destination refusing mid-fleet: the others finish, the failed one is named with its next step, exit 3", async ({
  world,
  dirs,
  rotation,
}) => {
  writeConfig(dirs);
  const refused = {
    kind: "status" as const,
    status: 403,
    headers: { "Content-Type": "application/json" },
    body: '{"message":"Permission denied."}',
  };
  world.circleci.faults.add({ method: "POST", path: "/api/v2/project/gh/acme/p2/envvar", fault: refused });
  const [oldP2] = held(world, "p2");
  const result = await rotation.run("pypi", ["--only", "p1,p2,p3"]);
  expect(result.code, result.stderr).toBe(3);
  expect(result.stderr).toMatch(
    /✖ p2 \([\d.]+s\): CircleCI did not take the new token in PYPI_TOKEN in project gh\/acme\/p2: CircleCI refused/,
  );
  expect(result.stderr).toMatch(/p2 +stopped +new …\S{4} works; old alive +1 of 2 got the new token \(a push failed\)/);
  expect(result.stderr).toContain("rotate pypi --only p2 --target 'gh/acme/p2'");
  expect(result.stdout).toMatch(/3 PyPI rotation\(s\) \(routine order, [\d.]+s\): 2 rotated, 1 stopped/);
  for (const name of ["p1", "p3"]) expect(held(world, name)[0]).toBe(held(world, name)[1]);
  // p2's project still holds its old token, which stays alive; its context got the new one.
  expect(held(world, "p2")[0]).toBe(oldP2);
  expect(world.drill("pypi").isLive(oldP2 ?? "")).toBe(true);

  // The next step it named, run as named, finishes p2.
  const next = await rotation.run("pypi", ["--only", "p2", "--target", "gh/acme/p2"]);
  expect(next.code, next.stderr).toBe(0);
  expect(held(world, "p2")[0]).not.toBe(oldP2);
});

test("Ctrl-C mid-fleet, then --all again: it continues with what is not done and redoes nothing", async ({ world, dirs, rotation }) => {
  writeConfig(dirs);
  const pypiDrill = world.drill("pypi");
  const held3 = new Promise<void>((onHeld) =>
    pypiDrill.faults.add({
      method: "POST",
      path: "/manage/account/token/",
      when: (req) => String((req.body as { description?: unknown } | undefined)?.description).startsWith("PYPI_TOKEN gh/acme/p3 "),
      fault: { kind: "hold", release: new Promise(() => undefined), onHeld },
    }),
  );
  const only = ["--only", "p1,p2,p3,p4"];
  const first = rotation.start("pypi", only);
  await held3;
  first.child.kill("SIGINT");
  const stopped = await first.done;
  expect(stopped.code, stopped.stderr).toBe(3);
  expect(stopped.stderr).toMatch(/p3 +stopped/);
  expect(stopped.stderr).toMatch(/p4 +not started/);
  expect(stopped.stderr).toContain("p4: not started, nothing changed: run `rotate pypi --only p4`");
  const done = { p1: held(world, "p1"), p2: held(world, "p2") };
  const p4 = held(world, "p4");

  const again = await rotation.run("pypi", only);
  expect(again.code, again.stderr).toBe(0);
  expect(again.stdout).toMatch(/4 PyPI rotation\(s\) \(routine order, [\d.]+s\): 2 rotated, 2 done earlier/);
  expect({ p1: held(world, "p1"), p2: held(world, "p2") }).toEqual(done);
  expect(held(world, "p4")[0]).not.toBe(p4[0]);
  expect(held(world, "p3")[0]).toBe(held(world, "p3")[1]);
});

test("a security-key account, three npm rotations in a terminal: npm's offer to skip 2FA for 5 minutes is asked once; on yes the key is touched twice, not seven times (Xvfb)", async ({
  dirs,
}) => {
  test.skip(!process.env.CI && !hasXvfb(), "needs Xvfb for a visible browser: apt-get install -y xvfb");
  const config = {
    npm: {
      username: "widget-publisher",
      rotations: ["a", "b", "c"].map((name) => ({ name, packages: [`@acme/${name}`], targets: [`gh/acme/${name}`] })),
    },
  };
  const seed = fleetSeed([npm, pypi], { flags: {}, env: {}, file: config, filePath: FILE });
  const world = await startSandboxWorld({
    registries: ["npm", "pypi"],
    knobs: { npm: { twoFactor: "webauthn" } },
    ...(seed ? { fleet: seed } : {}),
  });
  const display = await startXvfb();
  try {
    npmOf(world).settings.simulatedHumanKeyMs = 500;
    mkdirSync(dirs.cwd, { recursive: true });
    writeFileSync(join(dirs.cwd, "rotate.config.json"), JSON.stringify(config));
    const { args, env } = worldArgs(world, "npm");
    const run = startPty([...args.filter((arg) => arg !== "--headless" && arg !== "--yes"), "--all"], {
      dirs,
      env: { ...env, DISPLAY: display.name },
    });
    const { code, answered } = await run.answerUntilDone([
      [/Was the old token exposed \(leaked\)\? \(y\/N\)\s*$/, () => "n"],
      [/Go ahead\? \(y\/N\)\s*$/, () => "y"],
      [
        /npm's security-key page offers to skip two-factor authentication for the next 5 minutes\. Tick it, so rotate can replace the other 2 token\(s\)[\s\S]*\(y\/N\)\s*$/,
        () => "y",
      ],
    ]);
    const screen = plain(run.screen());
    expect(code, screen).toBe(0);
    expect(answered[2]).toBe(1);
    // The sign-in's key and the first call's; every later create and delete passes inside the window.
    expect(screen.match(/please press "Use security key" and touch your key/g)).toHaveLength(2);
    expect(screen).toMatch(/3 npm rotation\(s\) \(routine order, [\d.]+s\): 3 rotated/);
  } finally {
    display.stop();
    await world.close();
  }
});
