// A fleet (`rotate <registry> --all`) without a browser or a replica: several rotations of one
// registry against an in-memory registry and CircleCI. One sign-in, the order of each rotation's
// steps, a destination failing mid-fleet, an unreachable one, Ctrl-C and the rerun that continues,
// an old token two rotations share, and the config's `rotations` as the settings read them.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "@playwright/test";
import { npm } from "../../flows/npm/index.js";
import { pypi } from "../../flows/pypi/index.js";
import { AuditLog } from "../../src/audit.js";
import { fleetRequest } from "../../src/commands/rotate.js";
import { auditListener } from "../../src/commands/rotate-shared.js";
import { ExitCode, RunFailed, UsageError } from "../../src/errors.js";
import { runFleet, type FleetDeps, type FleetRequest, type FleetResult } from "../../src/rotation/fleet.js";
import { fleetJson, fleetTeamNote, renderFleetSummary } from "../../src/rotation/fleet-report.js";
import { History, historyRecorder } from "../../src/rotation/history.js";
import { doneSince } from "../../src/rotation/records.js";
import { validateConfig, type Sources } from "../../src/settings/config.js";
import { browserSection, circleciSection } from "../../src/settings/declarations.js";
import { circleciSettings, destinationsFor } from "../../src/settings/run-settings.js";
import { fleetMembers, fleetSeed, rotationAsSingle, type FleetMember } from "../../src/settings/rotations.js";
import { FakeCircleci, FakeRegistry, fakeIO, runbookDeps, ScriptedPrompter } from "../support/fakes.js";

const OLD_STAMP = "2026-10-01T00:00Z";
const NEW_STAMP = "2026-11-24T08:15Z";

interface Fleet {
  registry: FakeRegistry;
  circleci: FakeCircleci;
  members: FleetMember[];
  /** Each rotation's old token value, by name. */
  old: Record<string, string>;
}

/** `count` rotations r1…rN, each in a project variable and a context (`ctxN`), each holding its own old token. */
function fleet(count: number, showsValues = true): Fleet {
  const registry = new FakeRegistry(showsValues);
  const circleci = new FakeCircleci();
  const old: Record<string, string> = {};
  const members = Array.from({ length: count }, (_, i): FleetMember => {
    const name = `r${i + 1}`;
    const slug = `gh/acme/p${i + 1}`;
    old[name] = registry.issue(`FAKE_TOKEN ${slug} ${OLD_STAMP}`);
    circleci.set(`project/${slug}`, "FAKE_TOKEN", old[name]);
    circleci.set(`context/ctx${i + 1}`, "FAKE_TOKEN", old[name]);
    return {
      name,
      configured: registry.configured(),
      targets: [
        { projectSlug: slug, envVar: "FAKE_TOKEN" },
        { projectSlug: slug, context: `ctx${i + 1}`, envVar: "FAKE_TOKEN" },
      ],
    };
  });
  registry.issue("laptop");
  return { registry, circleci, members, old };
}

function request(extra: Partial<FleetRequest> = {}): FleetRequest {
  return {
    command: "rotate fake --all",
    commandFor: (name) => `rotate fake --only ${name}`,
    graceSeconds: 0,
    yes: true,
    dryRun: false,
    deleteOrphans: false,
    keepOld: false,
    createEnvVar: false,
    skipUnreachable: false,
    again: false,
    order: "routine",
    ...extra,
  };
}

async function run(f: Fleet, req: FleetRequest, options: { script?: Array<[RegExp, string | boolean]>; deps?: Partial<FleetDeps> } = {}) {
  const prompter = new ScriptedPrompter(options.script ?? []);
  const io = fakeIO((options.script ?? []).length > 0);
  const deps = { ...runbookDeps(f.circleci, prompter, io), ...options.deps };
  const outcome = await runFleet(f.members, req, deps).catch((error: unknown) => error);
  expect(prompter.done, `questions left unasked; asked: ${prompter.asked.join(" | ")}`).toBe(true);
  return { outcome, io };
}

function finished(outcome: unknown): FleetResult {
  if (!(outcome && typeof outcome === "object" && "kind" in outcome && outcome.kind === "fleet")) throw outcome;
  return outcome as FleetResult;
}

const held = (f: Fleet, i: number) => [
  f.circleci.get(`project/gh/acme/p${i}`, "FAKE_TOKEN"),
  f.circleci.get(`context/ctx${i}`, "FAKE_TOKEN"),
];

test("six rotations, routine: one sign-in, each rotation's old token goes only after both its destinations hold the new one; the history has every destination", async () => {
  const f = fleet(6);
  const dir = mkdtempSync(join(tmpdir(), "rotate-fleet-"));
  const history = new History(join(dir, "rotate.history.jsonl"));
  const recorder = historyRecorder(history, { by: "tester", drill: false });
  const { outcome, io } = await run(f, request(), { deps: { onEntry: recorder.listener } });
  const result = finished(outcome);
  // A line per destination of every rotation, each naming its rotation (journals number destinations from 0 each).
  expect(history.rotations().map((line) => `${line.rotation ?? ""} ${line.where}`)).toEqual(
    [1, 2, 3, 4, 5, 6].flatMap((i) => [`r${i} project gh/acme/p${i}`, `r${i} context "ctx${i}"`]),
  );
  expect(recorder.written()).toBe(12);
  rmSync(dir, { recursive: true, force: true });
  // The summary is a table with a row per rotation, the note a line per rotation, the JSON an entry per rotation.
  const summary = renderFleetSummary(result, 1234, false);
  expect(summary).toMatch(
    /^6 Fake rotation\(s\) \(routine order, 1\.2s\): 6 rotated\n {2}rotation +new token +CircleCI holds it +old token +expires/,
  );
  expect(summary).toMatch(
    / {2}r3 +"FAKE_TOKEN gh\/acme\/p3 2026-11-24T08:15Z" …\w{4} +2 of 2 +"FAKE_TOKEN gh\/acme\/p3 2026-10-01T00:00Z" deleted +never/,
  );
  const note = fleetTeamNote(result, new Date("2026-11-24T08:20:00Z"), { drill: true, by: "alice" });
  expect(note).toContain("DRILL — a rehearsal on local replicas; no real token changed.");
  expect(note).toContain(
    "2026-11-24 08:20 UTC — alice (CircleCI user fake-user) rotated 6 Fake publishing token(s) as routine maintenance.",
  );
  expect(
    note
      .split("\n")
      .filter((line) => /^ {2}- r\d: CircleCI FAKE_TOKEN in project gh\/acme\/p\d, FAKE_TOKEN in context "ctx\d" now hold/.test(line)),
  ).toHaveLength(6);
  const json = fleetJson(result, 1234, false);
  expect(json).toMatchObject({ ok: true, registry: "Fake", order: "routine" });
  expect((json.rotations as Array<{ name: string; outcome: string }>).map((r) => [r.name, r.outcome])).toEqual(
    [1, 2, 3, 4, 5, 6].map((i) => [`r${i}`, "rotated"]),
  );
  expect(result.journal.allDone).toBe(true);
  expect(f.registry.signIns).toBe(1);
  for (let i = 1; i <= 6; i++) {
    const [project, context] = held(f, i);
    expect(project).not.toBe(f.old[`r${i}`]);
    expect(context).toBe(project);
    // Routine order, rotation by rotation: this one's token made before its old one goes, and before the next rotation starts.
    expect(f.registry.ops.slice((i - 1) * 2, i * 2)).toEqual([
      `create FAKE_TOKEN gh/acme/p${i} ${NEW_STAMP}`,
      `delete FAKE_TOKEN gh/acme/p${i} ${OLD_STAMP}`,
    ]);
  }
  expect(f.registry.names()).toContain("laptop");
  // One line per rotation, not a line per step.
  const text = io.text();
  expect(text.split("\n").filter((line) => /^✔ r\d \(/.test(line))).toHaveLength(6);
  expect(text).not.toContain("Put it in");
});

test("six rotations, --leaked: each rotation deletes its old token before its replacement, rotation by rotation", async () => {
  const f = fleet(6);
  const result = finished((await run(f, request({ order: "incident" }))).outcome);
  expect(result.order).toBe("incident");
  for (let i = 1; i <= 6; i++)
    expect(f.registry.ops.slice((i - 1) * 2, i * 2)).toEqual([
      `delete FAKE_TOKEN gh/acme/p${i} ${OLD_STAMP}`,
      `create FAKE_TOKEN gh/acme/p${i} ${NEW_STAMP}`,
    ]);
  expect(f.registry.signIns).toBe(1);
});

test("a destination failing mid-fleet: the others finish, the failed one is named with its next step, exit 3", async () => {
  const f = fleet(4);
  f.circleci.refuse.add("context/ctx2");
  const result = finished((await run(f, request())).outcome);
  expect(result.journal.entries.map((e) => e.state.kind)).toEqual(["rotated", "failed", "rotated", "rotated"]);
  // r2: its project holds the new token, its context the old one, which stays alive.
  const [project, context] = held(f, 2);
  expect(project).not.toBe(f.old.r2);
  expect(context).toBe(f.old.r2);
  expect(f.registry.tokens.some((t) => t.value === f.old.r2)).toBe(true);
  const standing = result.journal.whereThingsStand();
  expect(standing).toMatch(/r2 +stopped +new …\w{4} works; old alive +1 of 2 got the new token \(a push failed\)/);
  expect(standing).toMatch(/r3 +rotated/);
  const next = result.journal.nextStep(false);
  expect(next).toContain('r2: FAKE_TOKEN in context "ctx2" did not get the new token');
  expect(next).toContain("rotate fake --only r2 --target 'gh/acme/p2@ctx2'");
  const failure = new RunFailed("1 of 4 not done", (result.journal.entries[1]?.state as { reason: unknown }).reason, result.journal);
  expect(failure.exitCode).toBe(ExitCode.needsHuman);
});

test("an unreachable destination: named; refused without a terminal, left out with --skip-unreachable, asked in a terminal", async () => {
  const f = fleet(3);
  f.circleci.vars.delete("context/ctx2"); // the context does not exist
  const refused = await run(f, request());
  expect(refused.outcome).toBeInstanceOf(UsageError);
  expect(String(refused.outcome)).toContain("r2: a CircleCI destination cannot be reached (see above): fix it, or pass --skip-unreachable");
  expect(refused.io.text()).toContain('r2: CircleCI has no context named "ctx2"');
  expect(f.registry.ops).toEqual([]);

  const skipped = finished((await run(f, request({ skipUnreachable: true }))).outcome);
  expect(skipped.journal.entries.map((e) => e.state.kind)).toEqual(["rotated", "unreachable", "rotated"]);
  expect(skipped.journal.changedAnything).toBe(true);
  expect(skipped.journal.nextStep(false)).toContain('r2: CircleCI has no context named "ctx2"');

  const g = fleet(3);
  g.circleci.vars.delete("context/ctx2");
  const asked = await run(g, request({ yes: false }), {
    script: [[/Leave out r2 and rotate the other 2\?/, false]],
  });
  expect(String(asked.outcome)).toContain("cannot be reached");
  expect(g.registry.ops).toEqual([]);
});

test("Ctrl-C mid-fleet, then --all again: the rerun continues with what is not done and redoes nothing", async () => {
  const f = fleet(4);
  const controller = new AbortController();
  // Ctrl-C while r3's new token is being checked.
  const r3 = f.members[2]?.configured;
  if (!r3) throw new Error("no r3");
  const flow = r3.flow;
  r3.flow = {
    ...flow,
    check: (value, ctx) => {
      controller.abort();
      return flow.check(value, ctx);
    },
  };

  const dir = mkdtempSync(join(tmpdir(), "rotate-fleet-"));
  try {
    const audit = new AuditLog(join(dir, "audit.jsonl"));
    const clock = () => new Date("2026-11-24T08:15:00Z");
    // The audit record as rotate-run keeps it: each rotation's "done" with the token it left.
    const onEntry = auditListener((line) => audit.append({ ...line, run: "first", by: "tester" }));
    const interrupted = finished((await run(f, request(), { deps: { signal: controller.signal, onEntry, clock } })).outcome);
    expect(interrupted.journal.entries.map((e) => e.state.kind)).toEqual(["rotated", "rotated", "failed", "waiting"]);
    expect(interrupted.journal.nextStep(true)).toContain("r4: not started, nothing changed");
    // r3's new token never reached CircleCI: it was deleted again.
    expect(held(f, 3)).toEqual([f.old.r3, f.old.r3]);
    const before = { r1: held(f, 1), r2: held(f, 2) };
    const opsBefore = f.registry.ops.length;

    r3.flow = flow;
    const since = new Date("2026-11-24T07:15:00Z");
    const again = finished(
      (
        await run(f, request(), {
          deps: {
            onEntry,
            clock,
            doneEarlier: (member, destinations) =>
              doneSince(
                audit,
                { registry: "Fake", name: member.name },
                destinations.map((d) => d.held),
                since,
              ),
          },
        })
      ).outcome,
    );
    expect(again.journal.entries.map((e) => e.state.kind)).toEqual(["done-earlier", "done-earlier", "rotated", "rotated"]);
    expect({ r1: held(f, 1), r2: held(f, 2) }).toEqual(before);
    expect(f.registry.ops.slice(opsBefore).every((op) => /p[34] /.test(op))).toBe(true);
    expect(f.registry.signIns).toBe(2);

    // A value CircleCI holds that is not the one done earlier (someone changed it since): not done.
    f.circleci.set("project/gh/acme/p1", "FAKE_TOKEN", "changed-by-hand-zzzz");
    expect(doneSince(audit, { registry: "Fake", name: "r1" }, [{ last4: "zzzz" }], since)).toBeUndefined();
    // Done longer ago than the window: not done either.
    expect(
      doneSince(audit, { registry: "Fake", name: "r2" }, [{ last4: held(f, 2)[0]?.slice(-4) ?? "" }], new Date("2026-11-24T09:16:00Z")),
    ).toBeUndefined();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("an old token two rotations' destinations share: it goes once both hold new tokens, and stays when one of them fails", async () => {
  const f = fleet(2);
  // r2's destinations hold r1's old token too (one token once served both projects).
  f.circleci.set("project/gh/acme/p2", "FAKE_TOKEN", f.old.r1 ?? "");
  f.circleci.set("context/ctx2", "FAKE_TOKEN", f.old.r1 ?? "");
  const result = finished((await run(f, request())).outcome);
  expect(result.journal.allDone).toBe(true);
  expect(f.registry.ops).toEqual([
    `create FAKE_TOKEN gh/acme/p1 ${NEW_STAMP}`,
    `create FAKE_TOKEN gh/acme/p2 ${NEW_STAMP}`,
    `delete FAKE_TOKEN gh/acme/p1 ${OLD_STAMP}`,
  ]);

  const g = fleet(2);
  g.circleci.set("project/gh/acme/p2", "FAKE_TOKEN", g.old.r1 ?? "");
  g.circleci.set("context/ctx2", "FAKE_TOKEN", g.old.r1 ?? "");
  g.circleci.refuse.add("context/ctx1");
  const kept = finished((await run(g, request())).outcome);
  expect(kept.journal.entries.map((e) => e.state.kind)).toEqual(["failed", "rotated"]);
  // r1's context still holds the shared old token: r2 did not delete it.
  expect(g.registry.tokens.some((t) => t.value === g.old.r1)).toBe(true);
  const r2 = kept.journal.entries[1]?.state;
  expect(r2?.kind === "rotated" && r2.result.warnings.join()).toContain("the destinations of r1 still hold it");
});

test("--dry-run: one plan line per rotation, nothing changed", async () => {
  const f = fleet(3);
  const { outcome, io } = await run(f, request({ dryRun: true }));
  expect(outcome).toMatchObject({ kind: "dry-run" });
  expect(io.text()).toContain("Plan (routine order), 3 rotation(s):");
  expect(io.text()).toMatch(
    / {2}r2: create "FAKE_TOKEN gh\/acme\/p2 2026-11-24T08:15Z" \(publish to widget\) → FAKE_TOKEN in project gh\/acme\/p2, FAKE_TOKEN in context "ctx2"; then delete old "FAKE_TOKEN gh\/acme\/p2 2026-10-01T00:00Z"/,
  );
  expect(f.registry.ops).toEqual([]);
  expect(f.circleci.writes).toEqual([]);
});

// --- the config's `rotations`, as the settings read them ---

const SECTIONS = [circleciSection, browserSection, npm.section, pypi.section];
const FILE = "/repo/rotate.config.json";
const FLEET_CONFIG = {
  npm: {
    username: "acme-publisher",
    rotations: [
      { name: "widget", packages: ["@acme/widget"], targets: ["gh/acme/widget", "gh/acme/widget@publishing"] },
      { name: "docs", packages: ["@acme/docs"], envVar: "DOCS_NPM_TOKEN", expiresDays: 30, targets: [{ projectSlug: "gh/acme/docs" }] },
    ],
  },
  pypi: {
    username: "acme-publisher",
    expiresDays: 90,
    rotations: [{ name: "widget-py", project: "acme-widget", targets: ["gh/acme/widget"] }],
  },
};

function sources(file: unknown, flags: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = {}): Sources {
  return {
    flags: { npmRegistryUrl: "https://registry.example.test/", ...flags },
    env,
    file: validateConfig(file, FILE, SECTIONS),
    filePath: FILE,
  };
}

test("config: rotations are validated strictly, and every error names the rotation", async () => {
  expect(validateConfig(FLEET_CONFIG, FILE, SECTIONS)).toEqual(FLEET_CONFIG);
  const withTypo = {
    npm: {
      rotations: [
        { name: "a", packages: ["x"], targets: ["gh/a/b"] },
        { name: "b", pakages: ["y"], targets: ["gh/a/c"] },
      ],
    },
  };
  expect(() => validateConfig(withTypo, FILE, SECTIONS)).toThrow(
    "npm.rotations[1].pakages: unknown key; did you mean packages? known here: name, targets, envVar, packages, permission, expiresDays, ipRanges",
  );
  const twice = {
    npm: {
      rotations: [
        { name: "a", packages: ["x"], targets: ["gh/a/b"] },
        { name: "a", packages: ["y"], targets: ["gh/a/c"] },
      ],
    },
  };
  expect(() => validateConfig(twice, FILE, SECTIONS)).toThrow('npm.rotations[1].name: a second rotation is named "a"');
  expect(() => validateConfig({ pypi: { rotations: [{ name: "a b", project: "x", targets: ["gh/a/b"] }] } }, FILE, SECTIONS)).toThrow(
    "pypi.rotations[0].name: must be letters, digits",
  );
  // Shared settings stay at the section's level: the account is not a rotation's.
  expect(() => validateConfig({ npm: { rotations: [{ name: "a", username: "x", targets: ["gh/a/b"] }] } }, FILE, SECTIONS)).toThrow(
    "npm.rotations[0].username: unknown key",
  );

  const members = await fleetMembers(npm, sources(FLEET_CONFIG), undefined);
  expect(members.map((m) => [m.name, m.configured.settings.envVar, m.targets])).toEqual([
    [
      "widget",
      "NPM_TOKEN",
      [
        { projectSlug: "gh/acme/widget", envVar: "NPM_TOKEN" },
        { projectSlug: "gh/acme/widget", context: "publishing", envVar: "NPM_TOKEN" },
      ],
    ],
    ["docs", "DOCS_NPM_TOKEN", [{ projectSlug: "gh/acme/docs", envVar: "DOCS_NPM_TOKEN" }]],
  ]);
  expect(members[1]?.configured.settings).toMatchObject({ username: "acme-publisher", expiresDays: 30, packages: ["@acme/docs"] });

  const noPackages = { npm: { rotations: [{ name: "a", targets: ["gh/a/b"] }] } };
  await expect(fleetMembers(npm, sources(noPackages), undefined)).rejects.toThrow(
    'npm.rotations[0] ("a"): packages and scopes the new token may publish (comma list, e.g. @mozilla/nimbus-shared,@mozilla) is not set: add "packages" to it',
  );
  const badDays = { npm: { rotations: [{ name: "a", packages: ["x"], expiresDays: 365, targets: ["gh/a/b"] }] } };
  await expect(fleetMembers(npm, sources(badDays), undefined)).rejects.toThrow(
    'npm.rotations[0] ("a"): npm refuses write tokens that live longer than 90 days',
  );
  const badSlug = { npm: { rotations: [{ name: "a", packages: ["x"], targets: ["acme/b"] }] } };
  await expect(fleetMembers(npm, sources(badSlug), undefined)).rejects.toThrow(
    'npm.rotations[0] ("a"): targets: "acme/b" has no VCS prefix',
  );
  const badVariable = { npm: { rotations: [{ name: "a", packages: ["x"], targets: [{ projectSlug: "gh/a/b", envVar: "A-TOKEN" }] }] } };
  await expect(fleetMembers(npm, sources(badVariable), undefined)).rejects.toThrow(
    'npm.rotations[0] ("a"): targets: "A-TOKEN" cannot be a CircleCI variable name',
  );
  const shared = {
    npm: {
      rotations: [
        { name: "a", packages: ["x"], targets: ["gh/a/b"] },
        { name: "b", packages: ["y"], targets: ["gh/a/b"] },
      ],
    },
  };
  await expect(fleetMembers(npm, sources(shared), undefined)).rejects.toThrow(
    'rotations "a" and "b" both put their token in NPM_TOKEN in gh/a/b',
  );
});

test("config: --only picks rotations by name; a flag that names one token is refused for a fleet", async () => {
  expect((await fleetMembers(npm, sources(FLEET_CONFIG), ["docs"])).map((m) => m.name)).toEqual(["docs"]);
  await expect(fleetMembers(npm, sources(FLEET_CONFIG), ["nope"])).rejects.toThrow(
    "--only nope: no npm rotation of that name in /repo/rotate.config.json (it names widget, docs)",
  );
  await expect(fleetMembers(npm, sources(FLEET_CONFIG, { npmPackages: ["@acme/all"] }), undefined)).rejects.toThrow(
    "--npm-packages would apply to every one of the npm rotations",
  );
  await expect(fleetMembers(npm, sources(FLEET_CONFIG, {}, { ROTATE_NPM_PACKAGES: "@acme/all" }), undefined)).rejects.toThrow(
    "ROTATE_NPM_PACKAGES would apply to every one of the npm rotations",
  );
  await expect(fleetMembers(npm, sources(FLEET_CONFIG, { target: ["gh/acme/x"] }), undefined)).rejects.toThrow("--target would apply");
  // One rotation, rerun for some of its destinations only (a next step says so).
  const narrowed = await fleetMembers(npm, sources(FLEET_CONFIG, { target: ["gh/acme/widget@publishing"] }), ["widget"]);
  expect(narrowed.map((m) => m.targets)).toEqual([[{ projectSlug: "gh/acme/widget", context: "publishing", envVar: "NPM_TOKEN" }]]);
  await expect(fleetMembers(npm, sources(FLEET_CONFIG, { target: ["gh/acme/other"] }), ["widget"])).rejects.toThrow(
    '--target gh/acme/other is not a destination of rotation "widget" (it has gh/acme/widget, gh/acme/widget@publishing)',
  );
  // A setting every rotation may share does apply to each: here --expires-days.
  const days = await fleetMembers(npm, sources(FLEET_CONFIG, { expiresDays: "7" }), undefined);
  expect(days.map((m) => (m.configured.settings as { expiresDays?: number }).expiresDays)).toEqual([7, 7]);
  // The single form is a fleet of one, named after the registry.
  const single = await fleetMembers(npm, sources({ circleci: { projectSlug: "gh/acme/one" }, npm: { packages: ["one"] } }), undefined);
  expect(single.map((m) => [m.name, m.targets])).toEqual([["npm", [{ projectSlug: "gh/acme/one", envVar: "NPM_TOKEN" }]]]);
  expect(() => fleetRequest({ all: true, oldToken: "x" }, npm, {}, true)).toThrow("--old-token names one token");
  expect(fleetRequest({ only: "docs,widget", sandbox: true }, npm, {}, true)).toMatchObject({
    command: "rotate npm --only docs,widget --sandbox",
  });
});

test("config: the drill world's fleet is the config's, every package, project and destination", () => {
  expect(fleetSeed([npm, pypi], sources(FLEET_CONFIG))).toEqual({
    npm: [
      {
        name: "widget",
        envVar: "NPM_TOKEN",
        scope: ["@acme/widget"],
        targets: [{ projectSlug: "gh/acme/widget" }, { projectSlug: "gh/acme/widget", context: "publishing" }],
      },
      { name: "docs", envVar: "DOCS_NPM_TOKEN", scope: ["@acme/docs"], targets: [{ projectSlug: "gh/acme/docs" }] },
    ],
    pypi: [{ name: "widget-py", envVar: "PYPI_TOKEN", scope: ["acme-widget"], targets: [{ projectSlug: "gh/acme/widget" }] }],
  });
  expect(fleetSeed([npm, pypi], sources({ npm: { packages: ["x"] } }))).toBeUndefined();
});

test("config: one rotation as the single form (rotate trust npm --only NAME): its settings over the shared ones, its destinations as targets", async () => {
  const docs = rotationAsSingle(npm, sources(FLEET_CONFIG), "docs");
  expect(docs.file.npm).toEqual({ username: "acme-publisher", packages: ["@acme/docs"], envVar: "DOCS_NPM_TOKEN", expiresDays: 30 });
  expect(docs.file.circleci).toEqual({ targets: [{ projectSlug: "gh/acme/docs" }] });
  expect(destinationsFor(circleciSettings(docs), "DOCS_NPM_TOKEN")).toEqual([{ projectSlug: "gh/acme/docs", envVar: "DOCS_NPM_TOKEN" }]);
  expect((await npm.configure(docs)).settings).toMatchObject({ packages: ["@acme/docs"], username: "acme-publisher" });

  expect(() => rotationAsSingle(npm, sources(FLEET_CONFIG), undefined)).toThrow(
    `${FILE} names 2 npm rotation(s) (widget, docs): pass --only NAME for the one whose project this is about`,
  );
  expect(() => rotationAsSingle(npm, sources(FLEET_CONFIG), "wdget")).toThrow("--only wdget: no npm rotation of that name");
  const single = sources({ circleci: { projectSlug: "gh/a/b" }, npm: { packages: ["x"] } });
  expect(rotationAsSingle(npm, single, undefined)).toBe(single);
  expect(() => rotationAsSingle(npm, single, "x")).toThrow("names no npm rotations: leave --only out");
});
