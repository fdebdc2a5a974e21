// A Playwright fixture: a fresh drill world (the CircleCI replica and one replica per registry on
// 127.0.0.1) and fresh HOME/TMPDIR/working directories per test, plus helpers to run the CLI in
// them and to read the replicas' state for "nothing changed" assertions.
import { test as base } from "@playwright/test";
import { DEMO, startSandboxWorld, type FleetSeed, type SandboxWorld } from "rotate-replicas";
import { registries } from "../../src/registries.js";
import { freshDirs, startCli, worldArgs, type CliResult, type CliRun, type Sandbox } from "./cli.js";
import { secretsIn, secretsOnDisk, worldSecrets, type Secrets } from "./secrets.js";

export const REGISTRY_IDS = registries.map((r) => r.id);

export interface Rotation {
  /** Runs `rotate <registry>` against the world, non-interactively, and waits for it. */
  run(registry: string, extraArgs?: string[], extraEnv?: NodeJS.ProcessEnv): Promise<CliResult>;
  start(registry: string, extraArgs?: string[], extraEnv?: NodeJS.ProcessEnv): CliRun;
}

export interface WorldState {
  tokens: Record<string, string[]>;
  circleci: Record<string, string | undefined>;
}

/** Every registry's token names and what CircleCI holds for each. */
export function snapshot(world: SandboxWorld): WorldState {
  return {
    tokens: Object.fromEntries(world.drills.map((d) => [d.id, d.tokenNames()])),
    circleci: Object.fromEntries(world.drills.map((d) => [d.envVar, world.circleci.envVar(DEMO.projectSlug, d.envVar)?.value])),
  };
}

/** The token CircleCI holds for a registry's variable of the demo project (the replica's test hook). */
export function heldToken(world: SandboxWorld, registry: string): string {
  const { envVar } = world.drill(registry);
  const held = world.circleci.envVar(DEMO.projectSlug, envVar)?.value;
  if (!held) throw new Error(`CircleCI holds no ${envVar}`);
  return held;
}

/** The lines rotate printed as its own errors ("rotate: …"). */
export function errorLines(result: CliResult): string[] {
  return result.stderr.split("\n").filter((line) => line.startsWith("rotate: "));
}

export interface WorldSecrets {
  /** Everything secret in the world right now (call after a run to include its new tokens). */
  all(): Secrets;
}

export const test = base.extend<{
  fleet: FleetSeed | undefined;
  world: SandboxWorld;
  dirs: Sandbox;
  secrets: WorldSecrets;
  rotation: Rotation;
}>({
  // An organisation's fleet (`test.use({ fleet })`): the world is built from it instead of the demo project.
  fleet: [undefined, { option: true }],
  world: async ({ fleet }, use) => {
    const world = await startSandboxWorld({ registries: REGISTRY_IDS, ...(fleet ? { fleet } : {}) });
    await use(world);
    await world.close();
  },
  secrets: async ({ world }, use) => {
    await use({ all: () => worldSecrets(world) });
  },
  dirs: async ({}, use) => {
    const dirs = freshDirs();
    await use(dirs);
    dirs.cleanup();
  },
  // Every rotation a test runs is checked afterwards, whatever the test was about: no secret in
  // its stdout or stderr, none anywhere under its HOME (the audit record), TMPDIR or cwd.
  rotation: async ({ world, dirs, secrets }, use) => {
    const runs: CliRun[] = [];
    const start = (registry: string, extraArgs: string[] = [], extraEnv: NodeJS.ProcessEnv = {}) => {
      const { args, env } = worldArgs(world, registry);
      const run = startCli([...args, ...extraArgs], { env: { ...env, ...extraEnv }, dirs });
      runs.push(run);
      return run;
    };
    await use({ start, run: (registry, extraArgs, extraEnv) => start(registry, extraArgs, extraEnv).done });
    const results = await Promise.all(runs.map((run) => run.done));
    const all = secrets.all();
    for (const result of results) {
      base.expect(secretsIn(result.stdout, all), "secrets in stdout").toEqual([]);
      base.expect(secretsIn(result.stderr, all), "secrets in stderr").toEqual([]);
    }
    base.expect(secretsOnDisk([dirs.home, dirs.tmp, dirs.cwd], all), "secrets on disk after the run").toEqual([]);
  },
});

export { expect } from "@playwright/test";

export interface BadInput {
  name: string;
  /** Sets the world up for the case (a fault, say). */
  arrange?: (world: SandboxWorld) => void;
  args?: string[];
  env?: () => NodeJS.ProcessEnv;
  /** The one error line rotate must print. */
  says: RegExp;
}

/** One test per bad input: one clear error line, exit 1, and nothing changed on any replica. */
export function badInputTests(registry: string, inputs: BadInput[]): void {
  for (const input of inputs) {
    test(`${registry}: ${input.name}: one clear line, exit 1, nothing changed anywhere`, async ({ world, rotation }) => {
      input.arrange?.(world);
      const before = snapshot(world);
      const result = await rotation.run(registry, input.args ?? [], input.env?.() ?? {});
      base.expect(result.code, result.stderr).toBe(1);
      const lines = errorLines(result);
      base.expect(lines, result.stderr).toHaveLength(1);
      base.expect(lines[0]).toMatch(input.says);
      base.expect(snapshot(world)).toEqual(before);
    });
  }
}
