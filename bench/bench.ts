// `npm run bench`: how long rotate takes next to an honest floor (bench/floor.ts: a plain script
// doing the same work in the same isolated browser), per path and per account size, with each
// phase side by side; a person's time (one-time codes asked, seconds waiting for one, per path, and
// for the trust drill); how much memory; how fast `rotate --help` starts. Every run gets a fresh
// drill world and a fresh HOME, and after every run, rotate's or the floor's, the same end state
// is checked (a run that skipped work would make the ratio meaningless). Runs are interleaved, so
// a slow spell on the machine spreads over every measure. Prints medians with min and max;
// asserts no timing.
//
//   npm run bench                                      3 runs at 2, 50 and 200 tokens, every path
//   npm run bench -- --runs 1 --sizes 2                a quick look
//   npm run bench -- --runs 5 --paths pypi,npm-api --sizes 200 --skip-trust
//   npm run bench -- --parts fleet --fleet-sizes 1,5,20 an organisation's fleets only (bench/fleet.ts)
import { cpus, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { z } from "zod";
import { DEMO, startSandboxWorld, type SandboxWorld } from "rotate-replicas";
import { findBrowser } from "../src/browser/finder.js";
import { MARKS, PATHS, type FloorJob, type FloorPath, type Mark } from "./floor-job.js";
import { fleetOnce, fleetReport, type FleetCell } from "./fleet.js";
import { measure, type Measured } from "./measure.js";
import { childEnv, CLI, earlyInTotpStep, failed, flagText, inFreshDirs, registryOf, worldFlags } from "./runs.js";
import { megabytes, median, millis, renderTable, seconds, spread, times } from "./table.js";

const FLOOR = fileURLToPath(new URL("./floor.js", import.meta.url));
const STEP_TIMEOUT_S = 30;

/** Each path: the registry, what `rotate` adds to take it, and whether its registry takes one code for several calls. */
const PATH_SPECS: Record<FloorPath, { registry: string; args: string[]; reusesCode: boolean }> = {
  pypi: { registry: "pypi", args: [], reusesCode: false },
  "npm-api": { registry: "npm", args: [], reusesCode: true },
  "npm-website": { registry: "npm", args: ["--via", "website"], reusesCode: true },
};

/**
 * Rotate and the floor alike hand out one-time codes oldest first and skip one with under 5 s
 * left (src/secrets/totp.ts), and on npm use one code for the whole run while it stays valid: a
 * run that starts in the last seconds of a 30 s step would need a second code, a count the clock
 * decides, not the work. Runs of such a path start in the first two thirds of a step (runs.ts).
 */
async function clearOfTotpStepEnd(reusesCode: boolean): Promise<void> {
  if (reusesCode) await earlyInTotpStep();
}

/** The gaps between the journal events a rotation and the floor both reach. */
const PHASES: Array<{ name: string; until: Mark | "exit" }> = [
  { name: "start, preflight", until: "preflight" },
  { name: "browser, sign in", until: "sign-in" },
  { name: "inventory", until: "plan" },
  { name: "create", until: "create" },
  { name: "check new", until: "check-new" },
  { name: "push, read back", until: "verify-circleci" },
  { name: "delete old", until: "delete-old" },
  { name: "check old", until: "verify-old" },
  { name: "sign out, close, exit", until: "exit" },
];

const Codes = z.object({ asked: z.number(), waitedMs: z.number() });
const Summary = z.object({ steps: z.array(z.object({ at: z.iso.datetime(), step: z.string() })), oneTimeCodes: Codes });
const TrustSummary = z.object({ ok: z.literal(true), retired: z.literal(true), oneTimeCodes: Codes });
/** The floor's report: when each phase ended, every one of them. */
const FloorReport = z.object({ marks: z.record(z.enum(MARKS), z.number()) });

/** Everything the floor needs, from what the world hands rotate (flags and environment). */
function floorJob(world: SandboxWorld, path: FloorPath): FloorJob {
  const id = PATH_SPECS[path].registry;
  const given = world.flags(id);
  const flag = (name: string) => {
    const value = given[name];
    if (value === undefined) throw new Error(`the drill world gives no ${name} for ${id}`);
    return flagText(value);
  };
  const env = world.env(id);
  const secret = (name: string) => env[`ROTATE_${id.toUpperCase()}_${name}`] ?? "";
  const site =
    id === "pypi"
      ? { websiteUrl: flag("pypiUrl"), apiUrl: flag("pypiUploadUrl"), username: flag("pypiUser"), scope: [flag("pypiProject")] }
      : { websiteUrl: flag("npmUrl"), apiUrl: flag("npmRegistryUrl"), username: flag("npmUser"), scope: flag("npmPackages").split(",") };
  return {
    path,
    executablePath: findBrowser(undefined, { headless: true }).executablePath,
    stepTimeoutMs: STEP_TIMEOUT_S * 1000,
    ...site,
    password: secret("PASSWORD"),
    totpSecret: secret("TOTP_SECRET"),
    oldToken: secret("OLD_TOKEN"),
    circleci: { url: flag("circleciUrl"), token: env.CIRCLECI_TOKEN ?? "", projectSlug: DEMO.projectSlug, envVar: world.drill(id).envVar },
  };
}

/** Names counted, so a name two tokens share is compared as two. */
function minus(all: string[], taken: string[]): string[] {
  const left = [...taken];
  return all.filter((name) => {
    const at = left.indexOf(name);
    if (at < 0) return true;
    left.splice(at, 1);
    return false;
  });
}

/**
 * What a routine rotation leaves: exactly the old token gone (and dead) and one new token named
 * for the destination, which CircleCI holds and the registry accepts; every other token untouched.
 */
function endStateCheck(world: SandboxWorld, id: string): () => void {
  const drill = world.drill(id);
  const prefix = `${drill.envVar} ${DEMO.projectSlug} `;
  const before = drill.tokenNames();
  const old = world.circleci.envVar(DEMO.projectSlug, drill.envVar)?.value ?? "";
  return () => {
    const after = drill.tokenNames();
    const gone = minus(before, after);
    const added = minus(after, before);
    const held = world.circleci.envVar(DEMO.projectSlug, drill.envVar)?.value ?? "";
    const problems = [
      gone.length === 1 && gone[0]?.startsWith(prefix) ? "" : `tokens gone: ${JSON.stringify(gone)}`,
      added.length === 1 && added[0]?.startsWith(prefix) ? "" : `tokens added: ${JSON.stringify(added)}`,
      drill.isLive(old) ? "the old token still works" : "",
      held !== old && drill.isLive(held) ? "" : "CircleCI does not hold a new, live token",
    ].filter(Boolean);
    if (problems.length > 0) throw new Error(`wrong end state: ${problems.join("; ")}`);
  };
}

interface Sample {
  run: Measured;
  /** One-time codes the run asked for, and the time spent waiting for them (rotate only). */
  codes?: z.infer<typeof Codes>;
  /** Phase durations in the order of PHASES (routine runs). */
  phases: number[];
  /** Incident order: from the old token's deletion to CircleCI confirmed holding the new one. */
  exposureMs?: number;
}

function phasesOf(run: Measured, marks: Partial<Record<Mark, number>>): number[] {
  const edges = [
    run.startedAt,
    ...PHASES.map((phase) => (phase.until === "exit" ? run.startedAt + run.wallMs : (marks[phase.until] ?? NaN))),
  ];
  return PHASES.map((_, i) => (edges[i + 1] ?? NaN) - (edges[i] ?? NaN));
}

async function inWorld<T>(path: FloorPath, extraTokens: number, work: (world: SandboxWorld) => Promise<T>): Promise<T> {
  const id = PATH_SPECS[path].registry;
  const world = await startSandboxWorld({ registries: [id], knobs: { [id]: { extraTokens } } });
  try {
    return await work(world);
  } finally {
    await world.close();
  }
}

async function rotateOnce(path: FloorPath, extraTokens: number, order: "routine" | "incident"): Promise<Sample> {
  return inWorld(path, extraTokens, (world) =>
    inFreshDirs(async (dirs) => {
      const registry = registryOf(PATH_SPECS[path].registry);
      const check = endStateCheck(world, registry.id);
      const args = [
        CLI,
        registry.id,
        ...worldFlags(world, registry),
        ...PATH_SPECS[path].args,
        "--headless",
        "--yes",
        "--trust-urls",
        "--json",
        `--${order === "incident" ? "leaked" : "routine"}`,
      ];
      await clearOfTotpStepEnd(PATH_SPECS[path].reusesCode);
      const run = await measure({ args, cwd: dirs.cwd, env: childEnv(dirs, world.env(registry.id)) });
      if (run.code !== 0) throw failed(`rotate ${path}`, run);
      check();
      const { steps, oneTimeCodes } = Summary.parse(JSON.parse(run.stdout));
      // The last of a kind: one verify-circleci per destination, and the last one ends the push.
      const at = (step: string) => Date.parse(steps.filter((s) => s.step === step).pop()?.at ?? "");
      const marks = Object.fromEntries(MARKS.map((mark) => [mark, at(mark)]));
      return {
        run,
        codes: oneTimeCodes,
        phases: phasesOf(run, marks),
        ...(order === "incident" ? { exposureMs: at("verify-circleci") - at("delete-old") } : {}),
      };
    }),
  );
}

async function floorOnce(path: FloorPath, extraTokens: number): Promise<Sample> {
  return inWorld(path, extraTokens, (world) =>
    inFreshDirs(async (dirs) => {
      const check = endStateCheck(world, PATH_SPECS[path].registry);
      await clearOfTotpStepEnd(PATH_SPECS[path].reusesCode);
      const run = await measure({ args: [FLOOR], cwd: dirs.cwd, env: childEnv(dirs), stdin: JSON.stringify(floorJob(world, path)) });
      if (run.code !== 0) throw failed(`the floor of ${path}`, run);
      check();
      return { run, phases: phasesOf(run, FloorReport.parse(JSON.parse(run.stdout)).marks) };
    }),
  );
}

/**
 * The trust drill a responder rehearses: `rotate trust npm --sandbox --remove-token` for the demo's
 * two packages (its own replicas, a TOTP account), from sign-in to NPM_TOKEN retired.
 */
async function trustDrillOnce(): Promise<Sample> {
  return inFreshDirs(async (dirs) => {
    const args = [CLI, "trust", "npm", "--sandbox", "--remove-token", "--pipeline-definition", "build-and-publish"];
    const run = await measure({
      args: [...args, "--allow", "publish", "--headless", "--yes", "--json"],
      cwd: dirs.cwd,
      env: childEnv(dirs),
    });
    if (run.code !== 0) throw failed("rotate trust npm --sandbox --remove-token", run);
    return { run, codes: TrustSummary.parse(JSON.parse(run.stdout)).oneTimeCodes, phases: [] };
  });
}

async function spawnTimes(args: string[]): Promise<number> {
  return inFreshDirs(async (dirs) => {
    const run = await measure({ args, cwd: dirs.cwd, env: childEnv(dirs) });
    if (run.code !== 0) throw failed(args.join(" "), run);
    return run.wallMs;
  });
}

interface Cell {
  path: FloorPath;
  /** Tokens in the account at the start. */
  tokens: number;
  rotate: Sample[];
  floor: Sample[];
}

function parseList<T extends string>(text: string, what: string, allowed?: readonly T[]): T[] {
  const items = text
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean) as T[];
  const bad = allowed ? items.filter((item) => !allowed.includes(item)) : [];
  if (items.length === 0 || bad.length > 0)
    throw new Error(`--${what} ${text}: give a comma list${allowed ? ` of ${allowed.join(", ")}` : ""}`);
  return items;
}

function options() {
  const { values } = parseArgs({
    options: {
      runs: { type: "string", default: "3" },
      sizes: { type: "string", default: "2,50,200" },
      paths: { type: "string", default: PATHS.join(",") },
      "help-spawns": { type: "string", default: "10" },
      "skip-trust": { type: "boolean", default: false },
      parts: { type: "string", default: "single,fleet" },
      "fleet-sizes": { type: "string", default: "1,5,20" },
      "fleet-runs": { type: "string", default: "1" },
    },
  });
  const whole = (text: string, what: string, least: number) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < least) throw new Error(`--${what} ${text}: give a whole number, ${least} or more`);
    return n;
  };
  return {
    runs: whole(values.runs, "runs", 1),
    sizes: parseList(values.sizes, "sizes").map((size) => whole(size, "sizes", 0)),
    paths: parseList(values.paths, "paths", PATHS),
    helpSpawns: whole(values["help-spawns"], "help-spawns", 1),
    trust: !values["skip-trust"],
    parts: parseList(values.parts, "parts", ["single", "fleet"] as const),
    fleetSizes: parseList(values["fleet-sizes"], "fleet-sizes").map((size) => whole(size, "fleet-sizes", 1)),
    fleetRuns: whole(values["fleet-runs"], "fleet-runs", 1),
  };
}

function report(
  cells: Cell[],
  incident: Map<FloorPath, Sample[]>,
  trust: Sample[],
  startup: Record<"help" | "version" | "node", number[]>,
): string {
  const wall = (samples: Sample[]) => samples.map((s) => s.run.wallMs);
  const sections: string[] = [];
  sections.push(
    "Whole run, spawn to exit (routine order): rotate and the floor, median (min–max)",
    renderTable(
      ["path", "tokens", "rotate", "floor", "rotate / floor"],
      cells.map((c) => [
        c.path,
        String(c.tokens),
        spread(wall(c.rotate), seconds),
        spread(wall(c.floor), seconds),
        times(median(wall(c.rotate)) / median(wall(c.floor))),
      ]),
    ),
  );
  for (const path of [...new Set(cells.map((c) => c.path))]) {
    const mine = cells.filter((c) => c.path === path);
    sections.push(
      `Phases of ${path}, medians (rotate's from its --json journal, the floor's from its own marks)`,
      renderTable(
        ["phase", ...mine.flatMap((c) => [`rotate @${c.tokens}`, `floor @${c.tokens}`])],
        PHASES.map((phase, i) => [
          phase.name,
          ...mine.flatMap((c) => [
            millis(median(c.rotate.map((s) => s.phases[i] ?? NaN))),
            millis(median(c.floor.map((s) => s.phases[i] ?? NaN))),
          ]),
        ]),
      ),
    );
  }
  const codeRows = [
    ...[...new Set(cells.map((c) => c.path))].map((path) => ({
      path: `rotate ${path} (routine)`,
      samples: cells.filter((c) => c.path === path).flatMap((c) => c.rotate),
    })),
    ...(trust.length > 0 ? [{ path: "rotate trust npm --sandbox --remove-token (2 packages)", samples: trust }] : []),
  ];
  sections.push(
    "A person's time: one-time codes asked per run and seconds waiting for a code (TOTP account; every account size), median (min–max)",
    renderTable(
      ["path", "codes asked", "waiting for a code", "whole run"],
      codeRows.map(({ path, samples }) => [
        path,
        spread(
          samples.map((s) => s.codes?.asked ?? NaN),
          (n) => (Number.isNaN(n) ? "–" : String(n)),
        ),
        spread(
          samples.map((s) => s.codes?.waitedMs ?? NaN),
          seconds,
        ),
        spread(wall(samples), seconds),
      ]),
    ),
    "Incident order (--leaked), smallest account: whole run, and the exposure window from the old token's deletion to CircleCI confirmed holding the new one",
    renderTable(
      ["path", "whole run", "exposure window"],
      [...incident].map(([path, samples]) => [
        path,
        spread(wall(samples), seconds),
        spread(
          samples.map((s) => s.exposureMs ?? NaN),
          seconds,
        ),
      ]),
    ),
    "Memory, medians of the peaks: VmHWM of rotate's own process; Σ PSS over the process tree (Node and Chromium)",
    renderTable(
      ["path", "tokens", "rotate VmHWM", "rotate tree PSS", "floor tree PSS", "rotate: summary → exit"],
      cells.map((c) => [
        c.path,
        String(c.tokens),
        megabytes(median(c.rotate.map((s) => s.run.peakSelfKb))),
        megabytes(median(c.rotate.map((s) => s.run.peakTreePssKb))),
        megabytes(median(c.floor.map((s) => s.run.peakTreePssKb))),
        millis(median(c.rotate.map((s) => s.run.afterOutputMs))),
      ]),
    ),
    "Start-up, spawn to exit",
    renderTable(
      ["command", "median (min–max)", "× node -e 0"],
      [
        ["rotate --help", spread(startup.help, millis), times(median(startup.help) / median(startup.node))],
        ["rotate --version", spread(startup.version, millis), times(median(startup.version) / median(startup.node))],
        ["node -e 0", spread(startup.node, millis), ""],
      ],
    ),
  );
  return sections.join("\n\n");
}

async function main(): Promise<void> {
  const { runs, sizes, paths: singlePaths, helpSpawns, trust, parts, fleetSizes, fleetRuns } = options();
  const paths = parts.includes("single") ? singlePaths : [];
  const say = (text: string) => process.stderr.write(`${text}\n`);
  // A run that fails (rotate's or the floor's) is said, counted in the report and run once more:
  // one flaky step should not cost the whole benchmark, and must not pass unnoticed either.
  const failures: string[] = [];
  const repeatedOnFailure = async <T>(what: string, work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      const why = (error instanceof Error ? error.message : String(error)).split("\n").slice(0, 2).join(" ");
      failures.push(`${what}: ${why}`);
      say(`  failed, once more: ${why}`);
      return work();
    }
  };
  // Other work on the machine shows up as spread between min and max: say how busy it was.
  const loadAtStart = loadavg()[0] ?? NaN;

  // One unrecorded run of each first (a warm disk cache for Chromium and Node alike); the
  // world it runs in says how many tokens an account has before any are added.
  const base = new Map<FloorPath, number>();
  for (const path of paths) {
    say(`warming up: ${path} …`);
    base.set(path, await inWorld(path, 0, (world) => Promise.resolve(world.drill(PATH_SPECS[path].registry).tokenNames().length)));
    await rotateOnce(path, 0, "routine");
    await floorOnce(path, 0);
  }
  const cells: Cell[] = sizes.flatMap((size) =>
    paths.map((path) => ({ path, tokens: Math.max(size, base.get(path) ?? 0), rotate: [], floor: [] })),
  );
  const extra = (cell: Cell) => cell.tokens - (base.get(cell.path) ?? 0);
  const incident = new Map<FloorPath, Sample[]>(paths.map((path) => [path, []]));
  const trustDrills: Sample[] = [];
  const startup = { help: [] as number[], version: [] as number[], node: [] as number[] };

  for (let i = 1; i <= runs; i++) {
    for (const cell of cells) {
      say(`run ${i}/${runs}: ${cell.path} with ${cell.tokens} tokens …`);
      // Alternate which goes first, so neither always meets the machine's warmer moment.
      const pair = [
        async () => cell.rotate.push(await repeatedOnFailure(`rotate ${cell.path}`, () => rotateOnce(cell.path, extra(cell), "routine"))),
        async () => cell.floor.push(await repeatedOnFailure(`the floor of ${cell.path}`, () => floorOnce(cell.path, extra(cell)))),
      ];
      for (const measureOne of i % 2 === 1 ? pair : pair.reverse()) await measureOne();
    }
    for (const path of paths) {
      say(`run ${i}/${runs}: ${path}, incident order …`);
      incident.get(path)?.push(await repeatedOnFailure(`rotate ${path} --leaked`, () => rotateOnce(path, 0, "incident")));
    }
    if (trust) {
      say(`run ${i}/${runs}: the trust drill …`);
      trustDrills.push(await repeatedOnFailure("rotate trust npm --sandbox --remove-token", trustDrillOnce));
    }
  }
  // An organisation's fleets: rotate and the floor alternate which goes first, as above.
  const fleets: FleetCell[] = parts.includes("fleet") ? fleetSizes.map((rotations) => ({ rotations, rotate: [], floor: [] })) : [];
  for (let i = 1; i <= fleetRuns; i++) {
    for (const cell of fleets) {
      say(`fleet run ${i}/${fleetRuns}: ${cell.rotations} rotation(s) …`);
      const pair = [
        async () => cell.rotate.push(await repeatedOnFailure(`rotate --all, ${cell.rotations}`, () => fleetOnce(cell.rotations, "rotate"))),
        async () =>
          cell.floor.push(await repeatedOnFailure(`the fleet floor, ${cell.rotations}`, () => fleetOnce(cell.rotations, "floor"))),
      ];
      for (const measureOne of i % 2 === 1 ? pair : pair.reverse()) await measureOne();
    }
  }
  if (paths.length > 0) say(`start-up, ${helpSpawns} spawns each …`);
  for (let i = 0; i < (paths.length > 0 ? helpSpawns : 0); i++) {
    startup.help.push(await spawnTimes([CLI, "--help"]));
    startup.version.push(await spawnTimes([CLI, "--version"]));
    startup.node.push(await spawnTimes(["-e", "0"]));
  }

  const cpu = cpus()[0]?.model.trim() ?? "unknown CPU";
  process.stdout.write(
    [
      `rotate benchmark: ${[...(paths.length > 0 ? [`${runs} run(s) per measure`] : []), ...(fleets.length > 0 ? [`${fleetRuns} per fleet`] : [])].join(", ")}, headless Chromium on the local replicas; Node ${process.version}; ${cpus().length} × ${cpu}`,
      `load average (1 min) at start ${loadAtStart.toFixed(2)}, at end ${(loadavg()[0] ?? NaN).toFixed(2)}`,
      "",
      ...(paths.length > 0 ? [report(cells, incident, trustDrills, startup), ""] : []),
      ...(fleets.length > 0 ? [fleetReport(fleets), ""] : []),
      `runs that failed and were repeated: ${failures.length === 0 ? "none" : ""}`,
      ...failures.map((failure) => `  ${failure}`),
      "",
      "floor: bench/floor.ts, a plain script per path doing the same work in rotate's isolated browser (its flags, its guard); the same end state is checked after every run.",
      "memory: sampled from /proc every 100 ms; Σ PSS counts pages Chromium's processes share once.",
      "one-time codes: computed from the drill account's TOTP secret; on npm, whose registry takes a code for several calls, runs start in the first 20 s of a 30 s step so one code lasts the run (rotate and the floor alike).",
      ...(fleets.length > 0
        ? [
            "fleets: bench/floor-fleet.ts, one sign-in per registry and the same steps per rotation; codes and sign-ins counted where the replicas take them; npm's floor sends the code of the moment with every call (its registry takes a code for several calls).",
          ]
        : []),
      "",
    ].join("\n"),
  );
}

await main();
