// The fleet path of `npm run bench`: an organisation's N rotations (half npm, half PyPI, each in
// two destinations, a project variable and a context) on replicas built from that fleet, rotated
// by `rotate npm --all` then `rotate pypi --all`, against the honest floor doing the same end state
// (bench/floor-fleet.ts). Each run counts what a person and CircleCI pay: sign-ins and one-time codes
// (at the replicas, where each is handed in) and CircleCI requests (the replica's recorded calls).
// CircleCI answers the first context write of every run 429 with Retry-After: 1, as its rate limit
// does (docs/sites/circleci.md): both must wait and try again. After every run the end state is
// checked: each rotation's destinations hold one new live token, its old token is gone.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startSandboxWorld, type FaultPoint, type SandboxWorld } from "rotate-replicas";
import { z } from "zod";
import { findBrowser } from "../src/browser/finder.js";
import { registries } from "../src/registries.js";
import { fleetSeed, type SeedRotation } from "../src/settings/rotations.js";
import type { FleetFloorJob } from "./floor-fleet.js";
import { measure } from "./measure.js";
import { childEnv, CLI, earlyInTotpStep, failed, flagText, inFreshDirs, registryOf, worldFlags } from "./runs.js";
import { median, renderTable, seconds, spread, times } from "./table.js";

const FLOOR = fileURLToPath(new URL("./floor-fleet.js", import.meta.url));
const FILE = "rotate.config.json";

/** What one run of a fleet cost, rotate's or the floor's. */
export interface FleetSample {
  /** Spawn to exit, per registry (npm's fleet waits for one-time codes; PyPI's takes one). */
  wallMs: Record<string, number>;
  signIns: Record<string, number>;
  /** Distinct one-time codes asked for (rotate's own count; the floor's distinct codes), and requests that handed one in. */
  codes: Record<string, number>;
  codesHandedIn: Record<string, number>;
  circleciRequests: number;
  /** 429s CircleCI answered, and how many of them rotate said it waited out (the floor always waits). */
  circleci429s: { answered: number; waited: number };
}

export interface FleetCell {
  rotations: number;
  rotate: FleetSample[];
  floor: FleetSample[];
}

/** What rotate's --json and the floor's last line say of the codes a person was asked for. */
const RotateCodes = z.object({ oneTimeCodes: z.object({ asked: z.number() }) }).transform((j) => ({ asked: j.oneTimeCodes.asked }));
const FloorCodes = z.object({ codesAsked: z.number() }).transform((j) => ({ asked: j.codesAsked }));

/** N rotations: the first half (rounded up) npm, the rest PyPI; each in its project and its project's context. */
export function fleetConfig(count: number): Record<string, { username: string; rotations: Array<Record<string, unknown>> }> {
  const npmCount = Math.ceil(count / 2);
  const section = (id: string, n: number, scope: (i: number) => Record<string, unknown>) =>
    n === 0
      ? {}
      : {
          [id]: {
            username: "widget-publisher",
            rotations: Array.from({ length: n }, (_, i) => ({
              name: `${id}-${i + 1}`,
              ...scope(i + 1),
              targets: [`gh/bench-org/${id}-${i + 1}`, `gh/bench-org/${id}-${i + 1}@publish-${id}-${i + 1}`],
            })),
          },
        };
  return {
    ...section("npm", npmCount, (i) => ({ packages: [`@bench-org/pkg-${i}`] })),
    ...section("pypi", count - npmCount, (i) => ({ project: `bench-pkg-${i}` })),
  };
}

/** Counts the requests that match a point, letting each through as it is. */
function counted(world: SandboxWorld, id: string, points: FaultPoint[]): () => number {
  let count = 0;
  for (const point of points)
    world.drill(id).faults.add({ ...point, times: 1_000_000, fault: { kind: "hold", release: Promise.resolve(), onHeld: () => count++ } });
  return () => count;
}

/** What every rotation must have left: both destinations hold one new, live token; its old token is no more. */
function endStateCheck(world: SandboxWorld, seed: Record<string, SeedRotation[]>): () => void {
  const before = Object.entries(seed).flatMap(([id, rotations]) =>
    rotations.map((rotation, i) => ({ id, rotation, old: world.drill(id).fleetTokens[i] ?? "" })),
  );
  return () => {
    const problems = before.flatMap(({ id, rotation, old }) => {
      const values = rotation.targets.map((target) =>
        target.context
          ? world.circleci.contextEnvVar(target.context, rotation.envVar)?.value
          : world.circleci.envVar(target.projectSlug, rotation.envVar)?.value,
      );
      const [first] = values;
      const fine = first !== undefined && first !== old && values.every((v) => v === first) && world.drill(id).isLive(first);
      return [
        ...(fine ? [] : [`${rotation.name}: CircleCI does not hold one new live token`]),
        ...(world.drill(id).isLive(old) ? [`${rotation.name}: the old token still works`] : []),
      ];
    });
    if (problems.length > 0) throw new Error(`wrong end state: ${problems.join("; ")}`);
  };
}

function floorJob(world: SandboxWorld, id: string, rotations: SeedRotation[]): FleetFloorJob {
  const given = world.flags(id);
  const env = world.env(id);
  const flag = (name: string) => flagText(given[name]);
  const secret = (name: string) => env[`ROTATE_${id.toUpperCase()}_${name}`] ?? "";
  return {
    executablePath: findBrowser(undefined, { headless: true }).executablePath,
    stepTimeoutMs: 30_000,
    circleci: { url: flag("circleciUrl"), token: env.CIRCLECI_TOKEN ?? "" },
    registry: {
      path: id === "pypi" ? "pypi" : "npm-api",
      websiteUrl: flag(id === "pypi" ? "pypiUrl" : "npmUrl"),
      apiUrl: flag(id === "pypi" ? "pypiUploadUrl" : "npmRegistryUrl"),
      username: flag(id === "pypi" ? "pypiUser" : "npmUser"),
      password: secret("PASSWORD"),
      totpSecret: secret("TOTP_SECRET"),
    },
    rotations: rotations.map((r) => ({ envVar: r.envVar, scope: r.scope, destinations: r.targets })),
  };
}

/** One run of an N-rotation fleet, by rotate (`--all` per registry) or by the floor, in a world of its own. */
export async function fleetOnce(count: number, who: "rotate" | "floor"): Promise<FleetSample> {
  const config = fleetConfig(count);
  const seed = fleetSeed(registries, { flags: {}, env: {}, file: config, filePath: FILE });
  if (!seed) throw new Error("the fleet names no rotations");
  const world = await startSandboxWorld({ registries: ["npm", "pypi"], fleet: seed });
  try {
    const ids = Object.keys(seed).filter((id) => (seed[id] ?? []).length > 0);
    const signIns = Object.fromEntries(ids.map((id) => [id, counted(world, id, [world.drill(id).points.signIn])]));
    const handedIn = Object.fromEntries(ids.map((id) => [id, counted(world, id, world.drill(id).points.codes)]));
    const codesAsked: Record<string, number> = {};
    const check = endStateCheck(world, seed);
    const calls = world.circleci.calls.length;
    const wallMs: Record<string, number> = {};
    let waited = 0;
    await inFreshDirs(async (dirs) => {
      mkdirSync(dirs.cwd, { recursive: true });
      writeFileSync(join(dirs.cwd, FILE), JSON.stringify(config));
      for (const id of ids) {
        // A context write through v2 (PUT) or v3 (POST …/env-vars/set), whichever the client takes.
        for (const [method, path] of [
          ["PUT", /\/environment-variable\//],
          ["POST", /\/api\/v3\/contexts\/[^/]+\/env-vars\/set$/],
        ] as const)
          world.circleci.faults.add({
            method,
            path,
            fault: {
              kind: "status",
              status: 429,
              headers: { "Retry-After": "1", "Content-Type": "application/json" },
              body: '{"message":"Rate limit exceeded."}',
            },
          });
        await earlyInTotpStep();
        const run =
          who === "rotate"
            ? await measure({
                args: [
                  CLI,
                  id,
                  "--all",
                  ...worldFlags(world, registryOf(id)),
                  "--headless",
                  "--yes",
                  "--trust-urls",
                  "--routine",
                  "--json",
                ],
                cwd: dirs.cwd,
                env: childEnv(dirs, world.env(id)),
              })
            : await measure({
                args: [FLOOR],
                cwd: dirs.cwd,
                env: childEnv(dirs),
                stdin: JSON.stringify(floorJob(world, id, seed[id] ?? [])),
              });
        if (run.code !== 0) throw failed(`${who} of ${count} rotation(s), ${id}`, run);
        wallMs[id] = run.wallMs;
        codesAsked[id] = (who === "rotate" ? RotateCodes : FloorCodes).parse(JSON.parse(run.stdout)).asked;
        waited +=
          who === "floor" ? 1 : run.stderr.split("\n").filter((line) => /CircleCI answered 429; trying again in 1\.0s/.test(line)).length;
      }
    });
    check();
    return {
      wallMs,
      signIns: Object.fromEntries(ids.map((id) => [id, signIns[id]?.() ?? 0])),
      codes: codesAsked,
      codesHandedIn: Object.fromEntries(ids.map((id) => [id, handedIn[id]?.() ?? 0])),
      circleciRequests: world.circleci.calls.length - calls,
      circleci429s: { answered: world.circleci.faults.hits.filter((hit) => hit.kind === "status").length, waited },
    };
  } finally {
    await world.close();
  }
}

const perRegistry = (samples: FleetSample[], pick: (s: FleetSample) => Record<string, number>) =>
  ["npm", "pypi"].map((id) => String(median(samples.map((s) => pick(s)[id] ?? 0)))).join(" / ");

const total = (sample: FleetSample) => Object.values(sample.wallMs).reduce((sum, ms) => sum + ms, 0);

/** Rotate against the floor on one registry's part of the fleet (or the whole, without `id`). */
function versus(cell: FleetCell, id?: string): string[] {
  const wall = (samples: FleetSample[]) => samples.map((s) => (id ? (s.wallMs[id] ?? NaN) : total(s)));
  return [
    spread(wall(cell.rotate), seconds),
    spread(wall(cell.floor), seconds),
    times(median(wall(cell.rotate)) / median(wall(cell.floor))),
  ];
}

export function fleetReport(cells: FleetCell[]): string {
  return [
    "Fleets: rotate npm --all then rotate pypi --all (half npm, half PyPI; two destinations each, one a context), and the floor; medians (min–max)",
    renderTable(
      ["rotations", "rotate", "floor", "rotate / floor", "npm: rotate", "floor", "×", "PyPI: rotate", "floor", "×"],
      cells.map((c) => [String(c.rotations), ...versus(c), ...versus(c, "npm"), ...versus(c, "pypi")]),
    ),
    "",
    "What each run asked of a person and of CircleCI (rotate, and the floor in brackets)",
    renderTable(
      [
        "rotations",
        "sign-ins npm / PyPI",
        "codes asked npm / PyPI",
        "codes handed in npm / PyPI",
        "CircleCI requests",
        "429s answered / waited",
      ],
      cells.map((c) => [
        String(c.rotations),
        `${perRegistry(c.rotate, (s) => s.signIns)} (${perRegistry(c.floor, (s) => s.signIns)})`,
        `${perRegistry(c.rotate, (s) => s.codes)} (${perRegistry(c.floor, (s) => s.codes)})`,
        `${perRegistry(c.rotate, (s) => s.codesHandedIn)} (${perRegistry(c.floor, (s) => s.codesHandedIn)})`,
        `${median(c.rotate.map((s) => s.circleciRequests))} (${median(c.floor.map((s) => s.circleciRequests))})`,
        `${c.rotate.reduce((n, s) => n + s.circleci429s.answered, 0)} / ${c.rotate.reduce((n, s) => n + s.circleci429s.waited, 0)}`,
      ]),
    ),
  ].join("\n");
}
