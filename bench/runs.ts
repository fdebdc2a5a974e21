// What every benchmark run shares: a fresh HOME, TMPDIR and working directory per run, the
// environment a child gets (nothing of the benchmark's own), rotate's entry point, the flags that
// point rotate at a drill world, and a failed run's message.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { SandboxWorld } from "rotate-replicas";
import type { Registry } from "../src/registry.js";
import { registries } from "../src/registries.js";
import { circleciSection, flagAttribute } from "../src/settings/declarations.js";
import type { Measured } from "./measure.js";

export const CLI = fileURLToPath(new URL("../src/cli.js", import.meta.url));

export interface Dirs {
  home: string;
  tmp: string;
  cwd: string;
}

/** A fresh HOME, TMPDIR and working directory, removed after the work is done. */
export async function inFreshDirs<T>(work: (dirs: Dirs) => Promise<T>): Promise<T> {
  const root = mkdtempSync(join(tmpdir(), "rotate-bench-"));
  const dirs = { home: join(root, "home"), tmp: join(root, "tmp"), cwd: join(root, "work") };
  Object.values(dirs).forEach((dir) => mkdirSync(dir, { recursive: true }));
  try {
    return await work(dirs);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

export function childEnv(dirs: Dirs, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: dirs.home,
    TMPDIR: dirs.tmp,
    XDG_STATE_HOME: join(dirs.home, ".local", "state"),
    CI: "true",
    NO_COLOR: "1",
    ...extra,
  };
}

export const registryOf = (id: string): Registry => {
  const found = registries.find((r) => r.id === id);
  if (!found) throw new Error(`rotate has no registry ${id}`);
  return found;
};

/** The flags that point `rotate <id>` at the world, spelled as the settings declare them. */
export function worldFlags(world: SandboxWorld, registry: Registry): string[] {
  const given = world.flags(registry.id);
  const specs = [circleciSection, registry.section].flatMap((section) => Object.values(section.settings));
  const unknown = Object.keys(given).filter((attribute) => !specs.some((spec) => flagAttribute(spec.flag) === attribute));
  if (unknown.length > 0) throw new Error(`the drill world sets ${unknown.join(", ")}, which no setting declares`);
  return specs.flatMap((spec) => {
    const value = given[flagAttribute(spec.flag)];
    return value === undefined ? [] : [spec.flag, flagText(value)];
  });
}

/** A flag value from the drill world (a string, number or boolean) as the command line gives it. */
export function flagText(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

export function failed(what: string, run: Measured): Error {
  return new Error(`${what} exited ${run.code}:\n${run.stderr.split("\n").slice(-15).join("\n")}`);
}

/**
 * Rotate and the floor alike hand out one-time codes oldest first and skip one with under 5 s
 * left (src/secrets/totp.ts): a run that needs several and asks for the first in the last seconds of a
 * 30 s step waits up to 5 s for the next step, a wait the clock decides, not the work. Runs that
 * take several codes start in the first two thirds of a step.
 */
export async function earlyInTotpStep(): Promise<void> {
  const intoStep = Date.now() % 30_000;
  if (intoStep > 20_000) await new Promise((resolve) => setTimeout(resolve, 30_000 - intoStep + 50));
}
