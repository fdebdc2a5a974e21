// `npm run bench`: how long rotate takes and how much memory it needs, on the built-in replicas,
// headless. Every run gets a fresh drill world and a fresh HOME, so no run inherits a signed-in
// session, a used one-time code or an audit file from another. Prints medians, min and max;
// asserts nothing.
//
//   npm run bench                  5 runs of each measure
//   npm run bench -- --runs 9
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { z } from "zod";
import { findBrowser } from "../src/browser-finder.js";
import { flagAttribute } from "../src/config.js";
import type { Registry } from "../src/registry.js";
import { registries } from "../src/registries.js";
import { circleciSection } from "../src/run-settings.js";
import { DEMO, startSandboxWorld, type PypiReplica, type SandboxWorld } from "rotate-replicas";
import { measure, type Measured } from "./measure.js";
import { median, megabytes, millis, renderTable, seconds, times, type Row } from "./table.js";

const CLI = fileURLToPath(new URL("../src/cli.js", import.meta.url));
const FLOOR = fileURLToPath(new URL("./floor.js", import.meta.url));
const HELP_SPAWNS = 10;

const Summary = z.object({ durationMs: z.number(), steps: z.array(z.object({ at: z.iso.datetime(), step: z.string() })) });

interface Dirs {
  home: string;
  tmp: string;
  cwd: string;
}

/** A fresh HOME, TMPDIR and working directory, removed after the work is done. */
async function inFreshDirs<T>(work: (dirs: Dirs) => Promise<T>): Promise<T> {
  const root = mkdtempSync(join(tmpdir(), "rotate-bench-"));
  const dirs = { home: join(root, "home"), tmp: join(root, "tmp"), cwd: join(root, "work") };
  Object.values(dirs).forEach((dir) => mkdirSync(dir, { recursive: true }));
  try {
    return await work(dirs);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

async function inFreshWorld<T>(work: (world: SandboxWorld) => Promise<T>): Promise<T> {
  const world = await startSandboxWorld({ registries: registries.map((r) => r.id) });
  try {
    return await work(world);
  } finally {
    await world.close();
  }
}

function childEnv(dirs: Dirs, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: dirs.home, TMPDIR: dirs.tmp, XDG_STATE_HOME: join(dirs.home, ".local", "state"), CI: "true", NO_COLOR: "1", ...extra };
}

/** The flags that point `rotate <id>` at the world, spelled as the settings declare them. */
function worldFlags(world: SandboxWorld, registry: Registry): string[] {
  const given = world.flags(registry.id);
  const specs = [circleciSection, registry.section].flatMap((section) => Object.values(section.settings));
  const unknown = Object.keys(given).filter((attribute) => !specs.some((spec) => flagAttribute(spec.flag) === attribute));
  if (unknown.length > 0) throw new Error(`the drill world sets ${unknown.join(", ")}, which no setting declares`);
  return specs.flatMap((spec) => {
    const value = given[flagAttribute(spec.flag)];
    return value === undefined ? [] : [spec.flag, String(value)];
  });
}

function failed(what: string, run: Measured): Error {
  return new Error(`${what} exited ${run.code}:\n${run.stderr.split("\n").slice(-15).join("\n")}`);
}

interface ToolRun {
  run: Measured;
  runbookMs: number;
  /** Incident order: from the old token's deletion to CircleCI confirmed holding the new one. */
  exposureMs?: number;
}

async function rotateOnce(registry: Registry, order: "routine" | "incident"): Promise<ToolRun> {
  return inFreshWorld((world) =>
    inFreshDirs(async (dirs) => {
      const args = [CLI, registry.id, ...worldFlags(world, registry), "--headless", "--yes", "--trust-urls", "--json", order === "incident" ? "--leaked" : "--routine"];
      const run = await measure({ args, cwd: dirs.cwd, env: childEnv(dirs, world.env(registry.id)) });
      if (run.code !== 0) throw failed(`rotate ${registry.id}`, run);
      const summary = Summary.parse(JSON.parse(run.stdout));
      const at = (step: string) => Date.parse(summary.steps.find((s) => s.step === step)?.at ?? "");
      return { run, runbookMs: summary.durationMs, ...(order === "incident" ? { exposureMs: at("verify-circleci") - at("delete-old") } : {}) };
    }),
  );
}

/** What the bare script needs: the site, the drill account, and which token is the old one. */
function floorJob(world: SandboxWorld, registryId: string): Record<string, unknown> {
  const executablePath = findBrowser().executablePath;
  const drill = world.drill(registryId);
  if (registryId === "pypi") {
    const [old] = (drill.replica as PypiReplica).tokens(drill.account.username);
    return { registry: "pypi", websiteUrl: drill.flags.pypiUrl, ...drill.account, executablePath, project: drill.flags.pypiProject, oldTokenName: old?.description };
  }
  // npm lists a token as its first eight and last four characters.
  const held = drill.heldToken;
  return { registry: "npm", websiteUrl: drill.flags.npmUrl, ...drill.account, executablePath, packages: String(drill.flags.npmPackages).split(","), oldTokenId: `${held.slice(0, 8)}...${held.slice(-4)}` };
}

async function floorOnce(registryId: string): Promise<Measured> {
  return inFreshWorld((world) =>
    inFreshDirs(async (dirs) => {
      const old = world.circleci.envVar(DEMO.projectSlug, world.drill(registryId).envVar)?.value ?? "";
      const run = await measure({ args: [FLOOR], cwd: dirs.cwd, env: childEnv(dirs), stdin: JSON.stringify(floorJob(world, registryId)) });
      if (run.code !== 0) throw failed(`the bare Playwright script for ${registryId}`, run);
      // Not an assertion: a floor that skipped the work would make the ratio meaningless.
      const stillLive = world.drill(registryId).isLive(old);
      if (stillLive) throw new Error(`the bare Playwright script for ${registryId} finished without deleting the old token`);
      return run;
    }),
  );
}

async function spawnTimes(args: string[], count: number): Promise<number[]> {
  return inFreshDirs(async (dirs) => {
    const walls: number[] = [];
    for (let i = 0; i < count; i++) {
      const run = await measure({ args, cwd: dirs.cwd, env: childEnv(dirs) });
      if (run.code !== 0) throw failed(args.join(" "), run);
      walls.push(run.wallMs);
    }
    return walls;
  });
}

interface Series {
  registry: Registry;
  routine: ToolRun[];
  incident: ToolRun[];
  floor: Measured[];
}

function rowsFor(series: Series): Row[] {
  const id = series.registry.id;
  const tool = series.routine.map((r) => r.run.wallMs);
  const floor = series.floor.map((r) => r.wallMs);
  const all = [...series.routine, ...series.incident].map((r) => r.run);
  return [
    { measure: `rotate ${id} (routine order), whole run`, samples: tool, format: seconds },
    { measure: `  of which the runbook itself`, samples: series.routine.map((r) => r.runbookMs), format: seconds },
    { measure: `rotate ${id} --leaked (incident order), whole run`, samples: series.incident.map((r) => r.run.wallMs), format: seconds },
    { measure: `bare Playwright script, ${id} (the floor)`, samples: floor, format: seconds },
    { measure: `  ratio rotate ${id} / floor (medians)`, samples: [], value: median(tool) / median(floor), format: times },
    { measure: `incident exposure window, ${id}`, samples: series.incident.map((r) => r.exposureMs ?? NaN), format: seconds },
    { measure: `peak memory, rotate ${id} process (VmHWM)`, samples: all.map((r) => r.peakSelfKb), format: megabytes },
    { measure: `peak memory, rotate ${id} + Chromium tree (Σ PSS)`, samples: all.map((r) => r.peakTreePssKb), format: megabytes },
    { measure: `peak memory, rotate ${id} + Chromium tree (Σ RSS)`, samples: all.map((r) => r.peakTreeRssKb), format: megabytes },
    { measure: `peak memory, floor ${id} tree (Σ PSS)`, samples: series.floor.map((r) => r.peakTreePssKb), format: megabytes },
  ];
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: "string", default: "5" } } });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs ${values.runs}: give a whole number of runs, 1 or more`);
  const say = (text: string) => process.stderr.write(`${text}\n`);
  // Other work on the machine shows up as spread between min and max: say how busy it was.
  const loadAtStart = loadavg()[0] ?? NaN;

  // One unrecorded run of each kind first, so the disk cache is warm for Chromium and Node alike.
  say("warming up …");
  for (const registry of registries) {
    await rotateOnce(registry, "routine");
    await floorOnce(registry.id);
  }

  const allSeries: Series[] = registries.map((registry) => ({ registry, routine: [], incident: [], floor: [] }));
  for (let i = 1; i <= runs; i++) {
    // Interleaved, so a slow spell on the machine spreads over every measure instead of one.
    for (const series of allSeries) {
      say(`run ${i}/${runs}: ${series.registry.id} …`);
      series.routine.push(await rotateOnce(series.registry, "routine"));
      series.floor.push(await floorOnce(series.registry.id));
      series.incident.push(await rotateOnce(series.registry, "incident"));
    }
  }
  say(`rotate --help, ${HELP_SPAWNS} spawns …`);
  const help = await spawnTimes([CLI, "--help"], HELP_SPAWNS);
  const bareNode = await spawnTimes(["-e", ""], HELP_SPAWNS);

  const rows = [
    ...allSeries.flatMap(rowsFor),
    { measure: "rotate --help, start to exit", samples: help, format: millis },
    { measure: "  node -e '' (for reference)", samples: bareNode, format: millis },
  ];
  const cpu = cpus()[0]?.model.trim() ?? "unknown CPU";
  process.stdout.write(
    [
      `rotate benchmark: ${runs} run(s) per measure, headless Chromium on the local replicas; Node ${process.version}; ${cpus().length} × ${cpu}`,
      `load average (1 min) at start ${loadAtStart.toFixed(2)}, at end ${(loadavg()[0] ?? NaN).toFixed(2)}`,
      "",
      renderTable(rows),
      "",
      "whole run: spawn to exit of `node dist/src/cli.js <registry> … --json`, including Node start, preflight, browser launch and close.",
      "floor: spawn to exit of a bare Playwright script doing the same page actions (sign in with a one-time code, create, delete the old token).",
      "exposure window: --leaked runs, from the journal's delete-old event to its verify-circleci event (CircleCI confirmed holding the new token).",
      "memory: sampled from /proc every 100 ms over every rotate run; Σ PSS counts pages Chromium's processes share once, Σ RSS once per process.",
      "",
    ].join("\n"),
  );
}

await main();
