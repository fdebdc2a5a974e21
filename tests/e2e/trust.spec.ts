// `rotate trust npm` end to end: the real CLI, in real Chromium, against a drill world of its
// own (the CircleCI replica with the demo project's ids and pipeline definitions, the npm
// replica with the drill account maintaining the demo packages). Drills run as a responder runs
// them: `--sandbox` finds this test's world at its front desk; in a terminal every question is
// answered as a person would, each one-time code typed fresh (the world's clock is moved half a
// minute per code, as a person would wait for the next one). Every run is scanned for secrets.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test as base, expect } from "@playwright/test";
import { TOTP, Secret as OtpSecret } from "otpauth";
import { DEMO, startSandboxWorld, type NpmReplica, type SandboxWorld, type TrustConfig } from "rotate-replicas";
import { freePort, freshDirs, startCli, type CliResult, type Sandbox } from "../support/cli.js";
import { plain, startPty, type PtyRun } from "../support/pty.js";
import { secretsIn, secretsOnDisk, worldSecrets, type Secrets } from "../support/secrets.js";
import { REGISTRY_IDS } from "../support/world.js";
import { writeSandboxKey } from "../../src/drill/open.js";
import { hasXvfb, startXvfb } from "../support/xvfb.js";

const PACKAGES = ["@demo-org/widget", "demo-widget"];
const EXCHANGE = /^\/-\/npm\/v1\/oidc\/token\/exchange\/package\//;

/** Real time, moved on by hand: a person's next one-time code is the next half-minute's. */
class DrillClock {
  private offsetMs = 0;
  now = () => new Date(Date.now() + this.offsetMs);
  nextCode(totpSecret: string): string {
    this.offsetMs += 30_000;
    return TOTP.generate({ secret: OtpSecret.fromBase32(totpSecret), timestamp: this.now().getTime() });
  }
}

/** One run of the CLI in this test's world: its output for the secrecy scan. */
interface Run {
  output(): string;
  /** A pty run shows the drill's instructions (the drill account's made-up password and TOTP secret). */
  rehearsal: boolean;
}

interface Trust {
  /** `rotate trust npm --sandbox …` without a terminal. */
  run(args: string[], env?: NodeJS.ProcessEnv): Promise<CliResult>;
  /** The same in a terminal; `headed` shows the browser (on the display `env` names). */
  pty(args: string[], env?: NodeJS.ProcessEnv, headed?: boolean): PtyRun;
  /** Any other rotate command in this world (status, or a run pointed at the world by flags). */
  cli(args: string[], env?: NodeJS.ProcessEnv): Promise<CliResult>;
}

const test = base.extend<{
  knobs: Record<string, Record<string, unknown>>;
  clock: DrillClock;
  world: SandboxWorld;
  dirs: Sandbox;
  trust: Trust;
}>({
  knobs: [{}, { option: true }],

  clock: async ({}, use) => use(new DrillClock()),
  // This test's world stands as the user's running `rotate sandbox`: its key is in the runs' state directory.
  world: async ({ clock, knobs, dirs }, use) => {
    const controlPort = await freePort();
    const key = writeSandboxKey({ XDG_STATE_HOME: join(dirs.home, ".local", "state") }, controlPort);
    const world = await startSandboxWorld({ registries: REGISTRY_IDS, now: clock.now, knobs, controlPort, controlKey: key.key });
    await use(world);
    await world.close();
  },

  dirs: async ({}, use) => {
    const dirs = freshDirs();
    mkdirSync(dirs.cwd, { recursive: true });
    await use(dirs);
    dirs.cleanup();
  },
  // Every run is checked afterwards: no secret in its output (outside the drill's instructions a
  // terminal run shows first: the drill account and the token CircleCI holds), none on disk.
  trust: async ({ world, dirs }, use) => {
    const runs: Run[] = [];
    const pending: Array<Promise<unknown>> = [];
    const port = new URL(world.controlUrl).port;
    const drillArgs = (args: string[], headed = false) => [
      "trust",
      "npm",
      "--sandbox",
      ...(headed ? [] : ["--headless"]),
      "--step-timeout",
      "10",
      ...args,
    ];
    const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => {
      const started = startCli(args, { dirs, env: { ROTATE_SANDBOX_PORT: port, ...env } });
      runs.push({ output: started.output, rehearsal: false });
      pending.push(started.done);
      return started.done;
    };
    await use({
      run: (args, env) => cli(drillArgs(args), env),
      cli,
      pty: (args, env = {}, headed = false) => {
        const started = startPty(drillArgs(args, headed), { dirs, env: { ROTATE_SANDBOX_PORT: port, ...env } });
        runs.push({ output: () => started.screen(), rehearsal: true });
        pending.push(started.done);
        return started;
      },
    });
    await Promise.all(pending);
    const all = secretsOf(world);
    for (const run of runs) {
      const text = run.rehearsal ? withoutInstructions(run.output()) : run.output();
      expect(secretsIn(text, all), "secrets in the run's output").toEqual([]);
    }
    expect(secretsOnDisk([dirs.home, dirs.tmp, dirs.cwd], all), "secrets on disk after the runs").toEqual([]);
  },
});

/** A terminal drill's output without its three lines of instructions (which must be there). */
function withoutInstructions(screen: string): string {
  const lines = plain(screen).split(/\r?\n/);
  const instructions = [/^DRILL on local replicas/, /^One-time codes: /, /^If asked for the exposed token, CircleCI holds /];
  const kept = lines.filter((line) => !instructions.some((pattern) => pattern.test(line)));
  expect(lines.length - kept.length, "the drill's instructions").toBe(instructions.length);
  return kept.join("\n");
}

/** Everything secret in the world, the id tokens CircleCI minted for jobs included. */
function secretsOf(world: SandboxWorld): Secrets {
  const all = worldSecrets(world);
  world.circleci.mintedIdTokens().forEach((token, i) => all.set(`CircleCI id token ${i + 1}`, token));
  return all;
}

const npmOf = (world: SandboxWorld) => world.drill("npm").replica as NpmReplica;

function demoProject(world: SandboxWorld) {
  const project = world.circleci.project(DEMO.projectSlug);
  if (!project) throw new Error("the world has no demo project");
  const definition = (name: string) => {
    const found = project.pipelineDefinitions.find((d) => d.name === name);
    if (!found) throw new Error(`the demo project has no pipeline definition ${name}`);
    return found.id;
  };
  return { ...project, definition };
}

/** The configuration rotate must add for the demo project's "build-and-publish" pipeline, allowing `npm publish` unless told. */
function ourConfig(world: SandboxWorld, pipeline = "build-and-publish", permissions = ["createPackage"]): Omit<TrustConfig, "id"> {
  const project = demoProject(world);
  return {
    type: "circleci",
    claims: {
      "oidc.circleci.com/org-id": project.organizationId,
      "oidc.circleci.com/project-id": project.id,
      "oidc.circleci.com/pipeline-definition-id": project.definition(pipeline),
      "oidc.circleci.com/vcs-origin": "github.com/demo-org/widget",
    },
    permissions,
  };
}

/** What a run could change: trust configurations, package access, tokens, CircleCI's variables, exchanges. */
function state(world: SandboxWorld) {
  const npm = npmOf(world);
  const { username } = world.drill("npm").account;
  return {
    trust: PACKAGES.map((pkg) => npm.trustConfigs(pkg)),
    access: PACKAGES.map((pkg) => npm.packageAccess(pkg)),
    tokens: npm.tokens(username).map((t) => t.name),
    project: world.circleci.envVar(DEMO.projectSlug, "NPM_TOKEN")?.value ?? null,
    context: world.circleci.contextEnvVar(DEMO.context, "NPM_TOKEN")?.value ?? null,
    exchanges: npm.exchangeOutcomes(),
  };
}

/** No session token the npm replica ever issued is still live. */
function liveSessions(world: SandboxWorld): number {
  const npm = npmOf(world);
  return world
    .drill("npm")
    .issuedSecrets()
    .filter((value) => npm.isSessionLive(value)).length;
}

type Keys = string | { keys: string };

/**
 * Answers a run's questions as a person would: each one-time code as it is asked (the next
 * half-minute's), the other questions in the order given; any other question fails the test.
 * Returns the exit code and what the terminal showed, with every question asked.
 */
async function converse(
  run: PtyRun,
  world: SandboxWorld,
  clock: DrillClock,
  script: Array<[RegExp, Keys]>,
): Promise<{ code: number; screen: string; codes: number }> {
  const queue = [...script];
  const { totpSecret } = world.drill("npm").account;
  let from = 0;
  let codes = 0;
  let exit: number | undefined;
  void run.done.then(({ code }) => (exit = code));
  const changed = () =>
    new Promise<void>((resolve) => {
      const listener = run.pty.onData(() => {
        listener.dispose();
        resolve();
      });
      void run.done.then(() => resolve());
    });
  const pending = () => plain(run.screen().slice(from)).replace(/\s+/g, " ");
  for (;;) {
    const next = queue[0];
    const asked = /\? npm one-time code/.test(pending())
      ? "code"
      : next && new RegExp(`\\? ${next[0].source}`).test(pending())
        ? "scripted"
        : undefined;
    if (!asked) {
      if (exit !== undefined) break;
      await changed();
      continue;
    }
    const mark = run.screen().length;
    if (asked === "code") {
      codes++;
      run.answer(clock.nextCode(totpSecret));
    } else {
      queue.shift();
      const keys = next?.[1] ?? "";
      if (typeof keys === "string") run.answer(keys);
      else run.pty.write(keys.keys);
    }
    // The question is answered once the terminal shows it done (✔); the next one comes after that.
    while (!run.screen().slice(mark).includes("✔") && exit === undefined) await changed();
    from = run.screen().indexOf("✔", mark) + 1;
  }
  expect(
    queue.map(([pattern]) => String(pattern)),
    `questions never asked:\n${plain(run.screen())}`,
  ).toEqual([]);
  return { code: exit ?? -1, screen: plain(run.screen()), codes };
}

const ENTER = { keys: "\r" };
/** One package, the publishing pipeline, and direct publishing (what `ourConfig` allows). */
const WIDGET_PUBLISHED = ["--npm-packages", "demo-widget", "--pipeline-definition", "build-and-publish", "--allow", "publish"];

test("a drill moves two packages to trusted publishing: ids found, pipeline and allowed action asked, added alongside GitHub Actions or found already there, job change, proof, NPM_TOKEN retired, session revoked, on one code", async ({
  world,
  clock,
  dirs,
  trust,
}) => {
  mkdirSync(join(dirs.cwd, ".circleci"), { recursive: true });
  writeFileSync(
    join(dirs.cwd, ".circleci", "config.yml"),
    [
      "version: 2.1",
      "jobs:",
      "  publish:",
      "    steps:",
      "      - checkout",
      '      - run: echo "//registry/:_authToken=${NPM_TOKEN}" > ~/.npmrc',
      "      - run: npm publish",
    ].join("\n"),
  );
  writeFileSync(join(dirs.cwd, ".npmrc"), "//registry/:_authToken=${NPM_TOKEN}\n");
  const npm = npmOf(world);
  const held = world.drill("npm").heldToken;
  const contextHeld = world.drill("npm").contextToken;
  const project = demoProject(world);
  // One package publishes from GitHub Actions too; the other already trusts exactly what rotate would add.
  const github = npm.addTrustConfig("@demo-org/widget", {
    type: "github",
    claims: { repository: "demo-org/widget", workflow_ref: { file: "release.yml" } },
    permissions: ["createPackage"],
  });
  const already = npm.addTrustConfig("demo-widget", ourConfig(world, "build-and-publish", ["createStagedPackage"]));

  const run = trust.pty(["--remove-token"]);
  const { code, screen, codes } = await converse(run, world, clock, [
    [/gh\/demo-org\/widget has 2 pipeline definitions; npm trusts exactly one\. Which one runs the publish job\?/, ENTER],
    [/What may the CircleCI job do through trusted publishing\?/, ENTER],
    [/npm password:/, world.drill("npm").account.password],
    [/Go ahead\?/, "y"],
  ]);
  expect(code, screen).toBe(0);
  // npm takes a code for several calls: the sign-in's serves every read, add, setting and delete.
  expect(codes).toBe(1);

  await test.step("the ids came from CircleCI and are shown", () => {
    for (const line of [
      `project              ${DEMO.projectSlug}  ${project.id}`,
      `organization         ${DEMO.organization.id}`,
      "VCS origin           github.com/demo-org/widget",
      `pipeline definition  "build-and-publish"  ${project.definition("build-and-publish")}  (.circleci/config.yml)`,
    ])
      expect(screen).toContain(line);
  });

  await test.step("staging only, as npm's default: each package trusts the documented fields, alongside what it trusted; nothing added twice", () => {
    expect(screen).toContain(
      "npm stage publish: the job stages each version; a maintainer approves it with 2FA on npmjs.com before it is published (npm's default and advice)",
    );
    expect(npm.trustConfigs("@demo-org/widget")).toEqual([
      github,
      { id: expect.any(String), ...ourConfig(world, "build-and-publish", ["createStagedPackage"]) },
    ]);
    expect(npm.trustConfigs("demo-widget")).toEqual([already]);
    expect(screen).toMatch(/@demo-org\/widget: add the trusted publisher .* alongside the 1 it has \(kept\), then read it back/);
    expect(screen).toMatch(
      /demo-widget: already trusts CircleCI project gh\/demo-org\/widget, pipeline "build-and-publish"; nothing to add/,
    );
    expect(screen.match(/Read back the trusted publisher of \S+ \([\d.]+s\): every field as sent/g)).toHaveLength(1);
  });

  await test.step("the job change: npm's audience for this registry, the versions, and this checkout's lines that use NPM_TOKEN", () => {
    expect(screen).toContain(`export NPM_ID_TOKEN="$(circleci run oidc get --claims '{"aud": "npm:127.0.0.1"}')"`);
    expect(screen).toContain("npm install --global npm@^11.15.0");
    expect(screen).toContain("                npm stage publish");
    expect(screen).toContain("Node 22.14.0 or newer");
    expect(screen).toContain('.circleci/config.yml:6: - run: echo "//registry/:_authToken=${NPM_TOKEN}" > ~/.npmrc');
    expect(screen).toContain(".npmrc:1: //registry/:_authToken=${NPM_TOKEN}");
    expect(screen).not.toContain(".circleci/config.yml:7:");
  });

  await test.step("the proof: this project and pipeline exchanged; another project, the nightly pipeline and an SSH re-run refused", () => {
    for (const pkg of PACKAGES) {
      expect(npm.exchangeOutcomes().filter((o) => o.package === pkg)).toEqual([
        { package: pkg, accepted: true },
        { package: pkg, accepted: false, reason: "oidc.circleci.com/project-id differs" },
        { package: pkg, accepted: false, reason: "oidc.circleci.com/pipeline-definition-id differs" },
        { package: pkg, accepted: false, reason: "an SSH re-run" },
      ]);
      expect(screen).toContain(
        `${pkg}: a job of this project and pipeline gets a publish token; refused: another project (${DEMO.otherProjectSlug}), another pipeline definition ("nightly"), an SSH re-run of this pipeline`,
      );
    }
  });

  await test.step("NPM_TOKEN retired: tokens disallowed, its npm token deleted, the project variable deleted; the context's left alone", () => {
    for (const pkg of PACKAGES) expect(npm.packageAccess(pkg)).toEqual({ publishRequiresTfa: true, automationTokenOverridesTfa: false });
    expect(npm.isLive(held)).toBe(false);
    expect(world.circleci.envVar(DEMO.projectSlug, "NPM_TOKEN")).toBeUndefined();
    expect(npm.isLive(contextHeld)).toBe(true);
    expect(world.circleci.contextEnvVar(DEMO.context, "NPM_TOKEN")?.value).toBe(contextHeld);
    expect(npm.tokens(world.drill("npm").account.username).map((t) => t.name)).toContain("laptop (read-only)");
  });

  await test.step("the summary and the note say DRILL; the session is revoked", () => {
    expect(screen).toMatch(/DRILL: Trusted publishing from CircleCI project gh\/demo-org\/widget, pipeline "build-and-publish"/);
    expect(screen).toContain("DRILL — a rehearsal on local replicas; no real package or token changed.");
    expect(screen).toMatch(
      /NPM_TOKEN\s+deleted from project gh\/demo-org\/widget; npm token "NPM_TOKEN gh\/demo-org\/widget [^"]+" deleted/,
    );
    expect(liveSessions(world)).toBe(0);
  });
});

test("several pipeline definitions and no terminal: refused before anything starts, naming them", async ({ world, trust }) => {
  const before = state(world);
  const project = demoProject(world);
  const result = await trust.run(["--yes"]);
  expect(result.code, result.stderr).toBe(2);
  const errors = result.stderr.split("\n").filter((line) => line.startsWith("rotate: "));
  expect(errors).toEqual([
    `rotate: no terminal to ask "gh/demo-org/widget has 2 pipeline definitions; npm trusts exactly one. Which one runs the publish job": gh/demo-org/widget has 2 pipeline definitions: "build-and-publish" (${project.definition("build-and-publish")}, .circleci/config.yml), "nightly" (${project.definition("nightly")}, .circleci/nightly.yml); pass --pipeline-definition NAME|ID for the one that publishes`,
  ]);
  expect(result.stderr).not.toContain("Sign in to npm");
  expect(state(world)).toEqual(before);
});

test("--dry-run reads everything and changes nothing: the ids and the plan, the token it would delete", async ({ world, trust }) => {
  const before = state(world);
  const sessionsBefore = liveSessions(world);
  const project = demoProject(world);
  const result = await trust.run(["--dry-run", "--json", "--pipeline-definition", "nightly", "--remove-token"]);
  expect(result.code, result.stderr).toBe(0);
  const report = JSON.parse(result.stdout) as {
    ok: boolean;
    drill: boolean;
    dryRun: boolean;
    circleci: Record<string, unknown>;
    plan: string[];
  };
  expect(report).toMatchObject({ ok: true, drill: true, dryRun: true });
  expect(report.circleci).toEqual({
    projectSlug: DEMO.projectSlug,
    projectId: project.id,
    organizationId: DEMO.organization.id,
    vcsOrigin: "github.com/demo-org/widget",
    pipelineDefinition: { id: project.definition("nightly"), name: "nightly", configFile: ".circleci/nightly.yml" },
    contexts: [],
    // No terminal and no --allow: npm's own default for a new configuration, staging only.
    actions: ["createStagedPackage"],
  });
  expect(report.plan[0]).toBe("Plan:");
  expect(report.plan.join("\n")).toMatch(
    /delete npm token "NPM_TOKEN gh\/demo-org\/widget [^"]+" \(read and write, bypasses 2FA\); delete NPM_TOKEN in project gh\/demo-org\/widget/,
  );
  expect(result.stderr).toContain(`pipeline definition  "nightly"  ${project.definition("nightly")}  (.circleci/nightly.yml)`);
  expect(state(world)).toEqual(before);
  expect(liveSessions(world)).toBe(sessionsBefore);
});

test("--existing replace: what a package trusts is deleted, then CircleCI's added and read back", async ({ world, clock, trust }) => {
  const npm = npmOf(world);
  npm.addTrustConfig("@demo-org/widget", {
    type: "github",
    claims: { repository: "demo-org/widget", workflow_ref: { file: "release.yml" } },
    permissions: ["createPackage"],
  });
  const nightly = npm.addTrustConfig("demo-widget", ourConfig(world, "nightly"));
  const run = trust.pty(["--pipeline-definition", "build-and-publish", "--allow", "publish", "--existing", "replace"]);
  const { code, screen } = await converse(run, world, clock, [
    [/npm password:/, world.drill("npm").account.password],
    [/Go ahead\?/, "y"],
    [/Retire NPM_TOKEN now/, "n"],
  ]);
  expect(code, screen).toBe(0);
  expect(screen).toMatch(
    /demo-widget: delete the publisher it trusts, add CircleCI project gh\/demo-org\/widget, pipeline "build-and-publish", then read it back/,
  );
  for (const pkg of PACKAGES) expect(npm.trustConfigs(pkg)).toEqual([{ id: expect.any(String), ...ourConfig(world) }]);
  expect(npm.trustConfigs("demo-widget")[0]?.id).not.toBe(nightly.id);
  expect(screen).toMatch(/@demo-org\/widget\s+trusts it now, instead of github/);
  expect(liveSessions(world)).toBe(0);
});

test.describe("a project with one pipeline definition", () => {
  test.use({ knobs: { circleci: { pipelineDefinitions: ["build-and-publish"] } } });

  test("that one is used without asking; a code npm refuses after it had worked is followed by the next, with the reason", async ({
    world,
    clock,
    trust,
  }) => {
    npmOf(world).settings.refuseOtps = 1;
    const run = trust.pty(["--dry-run", "--npm-packages", "demo-widget", "--allow", "publish"]);
    const { code, screen, codes } = await converse(run, world, clock, [[/npm password:/, world.drill("npm").account.password]]);
    expect(code, screen).toBe(0);
    // The sign-in's code, refused when sent again (it had worked: no typo), then the one that read demo-widget's trusted publishers.
    expect(codes).toBe(2);
    expect(screen).toContain(
      "npm one-time code from your authenticator app (that code has expired or was already used: wait for your app's next code):",
    );
    expect(npmOf(world).settings.refuseOtps).toBe(0);
    expect(screen).toMatch(/Read the trusted publishers of demo-widget \([\d.]+s\): none/);
    expect(screen).toMatch(
      /Preflight CircleCI: token, project ids, pipeline definition, variables \([\d.]+s\): drill-responder · gh\/demo-org\/widget · pipeline "build-and-publish"/,
    );
    expect(screen).toContain("DRILL: Dry run: nothing changed.");
  });
});

test.describe("a security-key account with several packages", () => {
  test.use({ knobs: { npm: { twoFactor: "webauthn" }, circleci: { pipelineDefinitions: ["build-and-publish"] } } });

  test("npm's offer to skip 2FA for 5 minutes is asked once in plain words; on yes it is ticked, and the key is not asked again (Xvfb)", async ({
    world,
    clock,
    trust,
  }) => {
    test.skip(!process.env.CI && !hasXvfb(), "needs Xvfb for a visible browser: apt-get install -y xvfb");
    const display = await startXvfb();
    try {
      // A stand-in human presses "Use security key" a moment after each key page loads.
      npmOf(world).settings.simulatedHumanKeyMs = 1_500;
      const run = trust.pty(["--dry-run", "--allow", "publish"], { DISPLAY: display.name }, true);
      const { code, screen } = await converse(run, world, clock, [
        [/npm password:/, world.drill("npm").account.password],
        [
          /npm's security-key page offers to skip two-factor authentication for the next 5 minutes\. Tick it, so rotate can set up the other 1 package\(s\) without asking for your key each time\?/,
          "y",
        ],
      ]);
      expect(code, screen).toBe(0);
      // The sign-in's key, and the first package's read; the second read passes inside the window.
      expect(screen.match(/please press "Use security key" and touch your key/g)).toHaveLength(2);
      expect(screen).toMatch(/Read the trusted publishers of demo-widget \([\d.]+s\): none/);
      expect(liveSessions(world)).toBe(0);
    } finally {
      display.stop();
    }
  });
});

test("retirement waits for a yes that a trusted publish worked: no keeps everything, yes retires", async ({ world, clock, trust }) => {
  const npm = npmOf(world);
  for (const pkg of PACKAGES) npm.addTrustConfig(pkg, ourConfig(world));
  const held = world.drill("npm").heldToken;
  const answers = (retire: string): Array<[RegExp, Keys]> => [
    [/npm password:/, world.drill("npm").account.password],
    [/Go ahead\?/, "y"],
    [/Retire NPM_TOKEN now .* Say yes only if a publish through trusted publishing has already worked from CircleCI\./, retire],
  ];

  const refused = await converse(
    trust.pty(["--pipeline-definition", "build-and-publish", "--allow", "publish"]),
    world,
    clock,
    answers("n"),
  );
  expect(refused.code, refused.screen).toBe(0);
  expect(world.circleci.envVar(DEMO.projectSlug, "NPM_TOKEN")?.value).toBe(held);
  expect(npm.isLive(held)).toBe(true);
  for (const pkg of PACKAGES) expect(npm.packageAccess(pkg)).toEqual({});
  expect(refused.screen).toContain("run `rotate trust npm --sandbox --remove-token`");

  const confirmed = await converse(
    trust.pty(["--pipeline-definition", "build-and-publish", "--allow", "publish"]),
    world,
    clock,
    answers("y"),
  );
  expect(confirmed.code, confirmed.screen).toBe(0);
  expect(world.circleci.envVar(DEMO.projectSlug, "NPM_TOKEN")).toBeUndefined();
  expect(npm.isLive(held)).toBe(false);
  for (const pkg of PACKAGES) expect(npm.packageAccess(pkg)).toEqual({ publishRequiresTfa: true, automationTokenOverridesTfa: false });
  expect(liveSessions(world)).toBe(0);
});

test("the token in a context: the context's variable and its npm token go; the project's same-named one is named, not touched", async ({
  world,
  clock,
  trust,
}) => {
  const npm = npmOf(world);
  npm.addTrustConfig("demo-widget", ourConfig(world));
  const { heldToken, contextToken } = world.drill("npm");
  const run = trust.pty(["--context", DEMO.context, ...WIDGET_PUBLISHED, "--remove-token"], { ROTATE_NPM_OLD_TOKEN: contextToken });
  const { code, screen } = await converse(run, world, clock, [
    [/npm password:/, world.drill("npm").account.password],
    [/Go ahead\?/, "y"],
  ]);
  expect(code, screen).toBe(0);
  expect(world.circleci.contextEnvVar(DEMO.context, "NPM_TOKEN")).toBeUndefined();
  expect(npm.isLive(contextToken)).toBe(false);
  expect(world.circleci.envVar(DEMO.projectSlug, "NPM_TOKEN")?.value).toBe(heldToken);
  expect(npm.isLive(heldToken)).toBe(true);
  expect(npm.packageAccess("demo-widget")).toEqual({ publishRequiresTfa: true, automationTokenOverridesTfa: false });
  expect(npm.packageAccess("@demo-org/widget")).toEqual({});
  expect(screen).toMatch(
    /warning\s+NPM_TOKEN is also set in project gh\/demo-org\/widget \(…\w{4}\), which jobs without the context still use: retire it too with --target gh\/demo-org\/widget/,
  );
});

test("a proof that fails stops the drill with where things stand, in --json too, and the session still ends", async ({ world, trust }) => {
  const npm = npmOf(world);
  npm.addTrustConfig("demo-widget", ourConfig(world));
  npm.faults.add({
    method: "POST",
    path: EXCHANGE,
    fault: {
      kind: "status",
      status: 500,
      headers: { "Content-Type": "application/json" },
      body: '{"message":"OIDC token exchange error - internal server error"}',
    },
  });
  const result = await trust.run(["--yes", "--json", ...WIDGET_PUBLISHED]);
  expect(result.code, result.stderr).toBe(1);
  const failure = JSON.parse(result.stdout) as { ok: boolean; error: string; exitCode: number; whereThingsStand: string[] };
  expect(failure).toMatchObject({ ok: false, exitCode: 1 });
  expect(failure.error).toBe(
    "the proof failed: demo-widget: this project and pipeline was refused (500 OIDC token exchange error - internal server error), expected accepted",
  );
  expect(failure.whereThingsStand).toEqual([
    'npm       demo-widget: trusts CircleCI project gh/demo-org/widget, pipeline "build-and-publish" (it did before this run)',
    `CircleCI  NPM_TOKEN in project gh/demo-org/widget: still set (…${world.drill("npm").heldToken.slice(-4)})`,
  ]);
  // A drill's next step is a drill command.
  expect(result.stderr).toContain("Next step: Nothing changed. Fix the cause above, then run `rotate trust npm --sandbox` again.");
  expect(liveSessions(world)).toBe(0);
});

test("a real run (not a drill): no proof, --json summary, the token kept without a terminal, an audit line per step", async ({
  world,
  dirs,
  trust,
}) => {
  npmOf(world).addTrustConfig("demo-widget", ourConfig(world));
  const flags = world.flags("npm");
  const result = await trust.cli(
    [
      "trust",
      "npm",
      "--npm-url",
      String(flags.npmUrl),
      "--npm-registry-url",
      String(flags.npmRegistryUrl),
      "--npm-user",
      String(flags.npmUser),
      "--npm-packages",
      "demo-widget",
      "--circleci-url",
      world.circleci.apiUrl,
      "--project-slug",
      DEMO.projectSlug,
      "--pipeline-definition",
      "build-and-publish",
      "--allow",
      "publish",
      "--headless",
      "--step-timeout",
      "10",
      "--trust-urls",
      "--yes",
      "--json",
    ],
    world.env("npm"),
  );
  expect(result.code, result.stderr).toBe(0);
  const summary = JSON.parse(result.stdout) as Record<string, unknown>;
  expect(summary).toMatchObject({
    ok: true,
    drill: false,
    proof: null,
    retired: false,
    // It trusted this project's job before, and nothing else.
    packages: [{ name: "demo-widget", state: "already", previous: null, tokensDisallowed: false }],
    variables: [{ envVar: "NPM_TOKEN", where: `project ${DEMO.projectSlug}`, target: DEMO.projectSlug, state: "set" }],
  });
  expect(npmOf(world).exchangeOutcomes()).toEqual([]);
  const audit = join(dirs.home, ".local", "state", "rotate", "audit.jsonl");
  expect(existsSync(audit)).toBe(true);
  const lines = readFileSync(audit, "utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as { step: string; registry: string; envVar: string; where: string; outcome: string });
  expect(lines.map((l) => l.step)).toEqual([
    "trust preflight",
    "trust sign-in",
    "trust read",
    "trust plan",
    "trust retire-skipped",
    "trust done",
  ]);
  expect(new Set(lines.map((l) => `${l.registry} ${l.envVar} ${l.where}`))).toEqual(new Set([`npm NPM_TOKEN project ${DEMO.projectSlug}`]));
  expect(liveSessions(world)).toBe(0);
});

test("rotate status --trust: each package's trusted publisher by project and pipeline, the kind of token CircleCI holds, January 2027, PyPI", async ({
  world,
  trust,
}) => {
  npmOf(world).addTrustConfig("demo-widget", ourConfig(world));
  const flags = world.flags("npm");
  const result = await trust.cli(
    [
      "status",
      "--trust",
      "--json",
      "--trust-urls",
      "--headless",
      "--step-timeout",
      "10",
      "--circleci-url",
      world.circleci.apiUrl,
      "--project-slug",
      DEMO.projectSlug,
      "--npm-url",
      String(flags.npmUrl),
      "--npm-registry-url",
      String(flags.npmRegistryUrl),
      "--npm-user",
      String(flags.npmUser),
      "--npm-packages",
      PACKAGES.join(","),
    ],
    world.env("npm"),
  );
  expect(result.code, result.stderr).toBe(0);
  const report = JSON.parse(result.stdout) as { trust: unknown };
  const heldName = npmOf(world)
    .tokens(world.drill("npm").account.username)
    .find((t) => t.redacted.endsWith(world.drill("npm").heldToken.slice(-4)))?.name;
  expect(report.trust).toEqual({
    npm: {
      user: world.drill("npm").account.username,
      packages: [
        { name: "@demo-org/widget", trusted: false, publisher: null, project: null, pipeline: null, allows: null },
        {
          name: "demo-widget",
          trusted: true,
          publisher: expect.stringContaining(demoProject(world).id),
          project: DEMO.projectSlug,
          pipeline: "build-and-publish",
          allows: "npm publish",
        },
      ],
      variables: [
        {
          envVar: "NPM_TOKEN",
          where: `project ${DEMO.projectSlug}`,
          last4: world.drill("npm").heldToken.slice(-4),
          token: { name: heldName, kind: "read and write, bypasses 2FA" },
          warning:
            "npm ends direct publishing with bypass-2FA tokens in January 2027: this token stops publishing then; move to trusted publishing with `rotate trust npm`",
        },
      ],
    },
    pypi: "PyPI does not accept CircleCI trusted publishers yet: keep rotating PYPI_TOKEN (rotate pypi)",
  });
  expect(liveSessions(world)).toBe(0);
});
