// The runbook's branches without a browser or a replica: every prompt a real first run meets and
// every option that changes what happens, against an in-memory registry and CircleCI. Fast, so
// each branch gets its own test.
import { expect, test } from "@playwright/test";
import { npm } from "../../flows/npm/index.js";
import { rotationRequest } from "../../src/commands/rotate.js";
import { loadSources } from "../../src/settings/config.js";
import { CancelledError, ExitCode, NeedsHumanError, RunFailed, UsageError } from "../../src/errors.js";
import { renderSummary, summaryJson } from "../../src/rotation/report.js";
import { runRotation, type RotationRequest, type RotationResult } from "../../src/rotation/runbook.js";
import { circleciSection } from "../../src/settings/declarations.js";
import { circleciSettings, destinationsFor } from "../../src/settings/run-settings.js";
import { Secret } from "../../src/secrets/secret.js";
import { FakeCircleci, FakeRegistry, fakeIO, runbookDeps, ScriptedPrompter } from "../support/fakes.js";

const SLUG = "gh/acme/widget";
const PROJECT = `project/${SLUG}`;
const PREFIX = `FAKE_TOKEN ${SLUG} `;

function request(extra: Partial<RotationRequest> = {}): RotationRequest {
  return {
    command: "rotate fake",
    targets: [{ projectSlug: SLUG, envVar: "FAKE_TOKEN" }],
    graceSeconds: 0,
    yes: true,
    dryRun: false,
    deleteOrphans: false,
    createEnvVar: false,
    ...extra,
  };
}

interface World {
  registry: FakeRegistry;
  circleci: FakeCircleci;
  old: string;
}

function world(showsValues: boolean): World {
  const registry = new FakeRegistry(showsValues);
  const circleci = new FakeCircleci();
  const old = registry.issue(`${PREFIX}2026-10-01T00:00Z`);
  registry.issue("laptop");
  circleci.set(PROJECT, "FAKE_TOKEN", old);
  return { registry, circleci, old };
}

async function rotate(w: World, req: RotationRequest, script: Array<[RegExp, string | boolean]> = []) {
  const prompter = new ScriptedPrompter(script);
  const io = fakeIO(script.length > 0);
  const outcome = await runRotation(w.registry.configured(), req, runbookDeps(w.circleci, prompter, io)).catch((error: unknown) => error);
  expect(prompter.done, `questions left unasked; asked: ${prompter.asked.join(" | ")}`).toBe(true);
  return { outcome, io };
}

function rotated(outcome: unknown): RotationResult {
  if (!(outcome && typeof outcome === "object" && "kind" in outcome && outcome.kind === "rotated")) throw outcome;
  return outcome as RotationResult;
}

test("a list that shows only names (PyPI): the newest token rotate made for the destination is the old one", async () => {
  const w = world(false);
  const result = rotated((await rotate(w, request())).outcome);
  expect(result.oldToken?.name).toBe(`${PREFIX}2026-10-01T00:00Z`);
  expect(w.registry.names().sort()).toEqual([`${PREFIX}2026-11-24T08:15Z`, "laptop"]);
  expect(w.circleci.get(PROJECT, "FAKE_TOKEN")).not.toBe(w.old);
});

test("a list of names and no token of rotate's: the responder picks, from a menu that starts with deleting nothing", async () => {
  const w = world(false);
  w.registry.tokens[0]!.name = "made by hand";
  const prompter = new ScriptedPrompter([
    [/Was the old token exposed/, false],
    [/Which Fake token does CircleCI hold now \(it ends in …0001\)\?/, '"made by hand"'],
    [/Go ahead\?/, true],
  ]);
  const outcome = await runRotation(w.registry.configured(), request({ yes: false }), runbookDeps(w.circleci, prompter, fakeIO(true)));
  expect(rotated(outcome).oldToken?.name).toBe("made by hand");
  expect(w.registry.deleted).toEqual(["made by hand"]);
  // "none of these" first, so it is where the cursor starts: no token is preselected.
  expect(prompter.menus[0]?.map((c) => c.name)).toEqual(["none of these — delete nothing", '"made by hand"', '"laptop"']);
});

test("the same uncertainty without a terminal: a routine run deletes no token and names the old one as left for a human; an incident run stops first", async () => {
  const routine = world(false);
  routine.registry.tokens[0]!.name = "made by hand";
  const result = rotated((await rotate(routine, request({ order: "routine" }))).outcome);
  expect(result.oldToken).toBeUndefined();
  expect(routine.registry.deleted).toEqual([]);
  expect(result.needsHuman).toEqual([
    'rotate could not tell which Fake token CircleCI held (2 tokens might be it: "made by hand"; "laptop"), so it deleted none: delete the old one by hand once you know which, or run again in a terminal or with --old-token NAME',
  ]);

  const incident = world(false);
  incident.registry.tokens[0]!.name = "made by hand";
  const before = incident.registry.names();
  const { outcome } = await rotate(incident, request({ order: "incident" }));
  const failure = outcome as RunFailed;
  expect(failure.reason).toBeInstanceOf(UsageError);
  expect(failure.message).toContain(
    "with the old token exposed it stops before anything changes: pass --old-token NAME (or --keep-old to delete none)",
  );
  expect(failure.exitCode).toBe(ExitCode.usage);
  expect(incident.registry.names()).toEqual(before);
  expect(incident.circleci.writes).toEqual([]);
});

test("--old-token names it; --keep-old deletes none", async () => {
  const named = world(false);
  expect(rotated((await rotate(named, request({ oldToken: { name: "laptop" } }))).outcome).oldToken?.name).toBe("laptop");
  expect(named.registry.deleted).toEqual(["laptop"]);

  const kept = world(false);
  const result = rotated((await rotate(kept, request({ oldToken: "none" }))).outcome);
  expect(result.oldToken).toBeUndefined();
  expect(kept.registry.deleted).toEqual([]);
});

test("--old-token naming no token: one line, nothing changed", async () => {
  const w = world(false);
  const { outcome } = await rotate(w, request({ oldToken: { name: "no such token" } }));
  expect((outcome as RunFailed).message).toBe('Fake has no token named "no such token": check --old-token against the token list');
  expect(w.registry.deleted).toEqual([]);
  expect(w.circleci.writes).toEqual([]);
});

test("a list that shows last fours (npm): two tokens ending alike are asked about; without a terminal neither is deleted", async () => {
  const w = world(true);
  const twin = w.registry.issue("twin");
  w.registry.tokens.at(-1)!.last4 = w.old.slice(-4);
  expect(twin).not.toBe(w.old);
  const left = rotated((await rotate(w, request())).outcome);
  expect(w.registry.deleted).toEqual([]);
  expect(left.needsHuman[0]).toMatch(
    /^rotate could not tell which Fake token CircleCI held \(2 tokens might be it: ".*" \(…0001; .*\); "twin" \(…0001; ends …0001 as CircleCI's value does\)\)/,
  );

  const asked = world(true);
  asked.registry.issue("twin");
  asked.registry.tokens.at(-1)!.last4 = asked.old.slice(-4);
  const result = await rotate(asked, request({ yes: false }), [
    [/Was the old token exposed/, false],
    [/Which Fake token does CircleCI hold now \(it ends in …0001\)\?/, asked.registry.tokens.at(-1)!.id],
    [/Go ahead\?/, true],
    // The other one ending alike is rotate's own, for this destination: a leftover, kept when asked.
    [/Also delete the 1 leftover token\(s\) at the end\?/, false],
  ]);
  expect(rotated(result.outcome).oldToken?.name).toBe("twin");
});

test("npm: CircleCI's value ends like a read-only token: it is never taken for the old one, none is deleted, and the plan says why", async () => {
  const w = world(true);
  const laptop = w.registry.tokens.find((t) => t.name === "laptop");
  Object.assign(laptop!, { last4: w.old.slice(-4), kind: "read-only", cannotPublish: () => "read-only" });
  w.registry.tokens[0]!.last4 = "ZZZZ";
  const { outcome, io } = await rotate(w, request());
  expect(rotated(outcome).oldToken).toBeUndefined();
  expect(w.registry.deleted).toEqual([]);
  expect(io.text()).toContain("delete no old token (none of the account's Fake tokens can be the one CircleCI holds, so none is deleted)");
  // Named explicitly, it is refused all the same.
  const named = world(true);
  Object.assign(
    named.registry.tokens.find((t) => t.name === "laptop")!,
    { cannotPublish: () => "read-only" },
  );
  const refused = (await rotate(named, request({ oldToken: { name: "laptop" } }))).outcome as RunFailed;
  expect(refused.message).toMatch(/^"laptop" cannot be the token CircleCI holds \(.*read-only\): check --old-token/);
  expect(named.registry.deleted).toEqual([]);
});

test("the picker shows what rotate knows of each token and marks the ones that cannot be CircleCI's; nothing is preselected", async () => {
  const w = world(true);
  const laptop = w.registry.tokens.find((t) => t.name === "laptop")!;
  Object.assign(laptop, { kind: "read-only", cannotPublish: () => "read-only", created: new Date("2026-11-14T00:00:00Z") });
  w.registry.issue("NPM_TOKEN gh/acme/docs 2026-10-02T00:00Z");
  w.registry.tokens.at(-1)!.last4 = w.old.slice(-4);
  // A token made by hand that ends alike: nothing tells the two apart.
  w.registry.issue("ci (by hand)");
  w.registry.tokens.at(-1)!.last4 = w.old.slice(-4);
  w.registry.tokens[0]!.kind = "read and write, bypasses 2FA";
  const [docs, byHand] = w.registry.tokens.slice(-2).map((t) => t.id);
  const prompter = new ScriptedPrompter([
    [/Was the old token exposed/, false],
    [/Which Fake token does CircleCI hold now/, ""],
    [/Go ahead\?/, true],
    [/Also delete the 1 leftover token\(s\) at the end\?/, false],
  ]);
  const outcome = await runRotation(w.registry.configured(), request({ yes: false }), runbookDeps(w.circleci, prompter, fakeIO(true)));
  expect(rotated(outcome).oldToken).toBeUndefined();
  expect(w.registry.deleted).toEqual([]);
  expect(prompter.menus[0]).toEqual([
    { name: "none of these — delete nothing", value: "" },
    {
      name: `"${PREFIX}2026-10-01T00:00Z" (…0001; read and write, bypasses 2FA; ends …0001 as CircleCI's value does; rotate's name for this destination)`,
      value: w.registry.tokens[0]!.id,
    },
    {
      name: '"laptop" (…0002; read-only; created 2026-11-14)',
      value: laptop.id,
      disabled: "cannot be CircleCI's: ends …0002, CircleCI's value …0001; read-only",
    },
    {
      name: '"NPM_TOKEN gh/acme/docs 2026-10-02T00:00Z" (…0001; ends …0001 as CircleCI\'s value does; rotate made it for NPM_TOKEN gh/acme/docs)',
      value: docs,
    },
    { name: '"ci (by hand)" (…0001; ends …0001 as CircleCI\'s value does)', value: byHand },
  ]);
});

test("the audit record's last rotation decides between tokens rotate made for this destination; without it, nobody guesses", async () => {
  const w = world(false);
  w.registry.issue(`${PREFIX}2026-11-01T00:00Z`);
  const deps = runbookDeps(w.circleci, new ScriptedPrompter([]), fakeIO(false));
  const lastRotated = () => ({ name: `${PREFIX}2026-10-01T00:00Z`, last4: w.old.slice(-4), at: "2026-10-01T00:00:00Z" });
  const result = rotated(await runRotation(w.registry.configured(), request(), { ...deps, lastRotated }));
  expect(result.oldToken?.name).toBe(`${PREFIX}2026-10-01T00:00Z`);

  const unknown = world(false);
  unknown.registry.issue(`${PREFIX}2026-11-01T00:00Z`);
  const left = rotated((await rotate(unknown, request())).outcome);
  expect(left.oldToken).toBeUndefined();
  expect(unknown.registry.deleted).toEqual([]);
  expect(left.needsHuman).toHaveLength(1);
});

test("a list that shows no last four: a token rotate recorded with other last four than CircleCI's value is not it", async () => {
  // An earlier run put its new token elsewhere (another destination of the same rotation), not here.
  const w = world(false);
  const elsewhere = `${PREFIX}2026-11-01T00:00Z`;
  w.registry.issue(elsewhere);
  const deps = runbookDeps(w.circleci, new ScriptedPrompter([]), fakeIO(false));
  const tokenRecord = (name: string) => (name === elsewhere ? { last4: "zzzz", heldIn: [] } : undefined);
  const result = rotated(await runRotation(w.registry.configured(), request(), { ...deps, tokenRecord }));
  expect(result.oldToken?.name).toBe(`${PREFIX}2026-10-01T00:00Z`);
  expect(w.registry.names()).toContain(elsewhere);
});

test("no leftover is deleted that a variable may hold: one rotate's record puts outside the run, or one that might be CircleCI's", async () => {
  const elsewhere = `${PREFIX}2026-11-01T00:00Z`;
  const leftovers = async (heldIn: string[]) => {
    const w = world(false);
    w.registry.issue(elsewhere);
    const deps = runbookDeps(w.circleci, new ScriptedPrompter([]), fakeIO(false));
    const tokenRecord = (name: string) => (name === elsewhere ? { last4: "zzzz", heldIn } : undefined);
    rotated(await runRotation(w.registry.configured(), request({ deleteOrphans: true }), { ...deps, tokenRecord }));
    return w.registry.deleted;
  };
  // Put in this run's own destination, which holds another value now: a leftover, deleted as asked.
  expect(await leftovers([`project ${SLUG}`])).toContain(elsewhere);
  // Put in a context this run leaves alone: it may hold it still.
  expect(await leftovers(["context publishing"])).not.toContain(elsewhere);

  // Nobody could tell which of two tokens CircleCI holds: neither goes as a leftover either.
  const unknown = world(false);
  unknown.registry.issue(elsewhere);
  const left = rotated((await rotate(unknown, request({ deleteOrphans: true }))).outcome);
  expect(left.needsHuman).toHaveLength(1);
  expect(unknown.registry.deleted).toEqual([]);
});

test("--create-env-var: a variable CircleCI does not have yet is created; without it, one line and nothing changed", async () => {
  const w = world(true);
  w.circleci.vars.clear();
  const refused = await rotate(w, request());
  expect(String(refused.outcome)).toContain("FAKE_TOKEN in project gh/acme/widget is not set");
  expect(w.registry.names()).toHaveLength(2);

  const created = rotated((await rotate(w, request({ createEnvVar: true }))).outcome);
  expect(created.oldToken).toBeUndefined();
  expect(w.circleci.get(PROJECT, "FAKE_TOKEN")?.slice(-4)).toBe(created.newToken.last4);
});

test("the browser starts while CircleCI is checked: a failed preflight closes it, and a browser that cannot start is reported after CircleCI", async () => {
  const w = world(true);
  w.circleci.vars.clear(); // preflight fails: the variable is not set
  const deps = runbookDeps(w.circleci, new ScriptedPrompter([]), fakeIO(false));
  const sessions = { opened: 0, closed: 0 };
  const counted: typeof deps = {
    ...deps,
    launchBrowser: async (...args) => {
      const session = await deps.launchBrowser(...args);
      sessions.opened++;
      return { ...session, close: async () => void sessions.closed++ };
    },
  };
  const refused = await runRotation(w.registry.configured(), request(), counted).catch((error: unknown) => error);
  expect(String(refused)).toContain("FAKE_TOKEN in project gh/acme/widget is not set");
  expect(sessions.opened).toBe(1);
  await expect.poll(() => sessions.closed).toBe(1);

  const noBrowser = {
    ...deps,
    findBrowser: () => {
      throw new UsageError("no Chrome or Chromium found");
    },
  };
  // CircleCI's finding comes first, as the steps are listed...
  expect(String(await runRotation(w.registry.configured(), request(), noBrowser).catch((error: unknown) => error))).toContain("is not set");
  // ...and the browser's at its own step once CircleCI is fine.
  const fine = world(true);
  const outcome = await runRotation(fine.registry.configured(), request(), {
    ...runbookDeps(fine.circleci, new ScriptedPrompter([]), fakeIO(false)),
    findBrowser: noBrowser.findBrowser,
  }).catch((error: unknown) => error);
  expect(outcome).toBeInstanceOf(UsageError);
  expect(fine.registry.names()).toHaveLength(2);
});

test("no at the confirmation: cancelled with its own exit code, nothing changed", async () => {
  const w = world(true);
  const { outcome } = await rotate(w, request({ yes: false }), [
    [/Was the old token exposed/, false],
    [/Go ahead\?/, false],
  ]);
  expect((outcome as RunFailed).reason).toBeInstanceOf(CancelledError);
  expect((outcome as RunFailed).exitCode).toBe(ExitCode.cancelled);
  expect(w.registry.names()).toHaveLength(2);
  expect(w.circleci.writes).toEqual([]);
});

test("without a terminal and without --yes, nothing starts (--no-input behaves the same)", async () => {
  const w = world(true);
  const { outcome } = await rotate(w, request({ yes: false }));
  expect(outcome).toBeInstanceOf(UsageError);
  expect(String(outcome)).toContain("needs --yes");
  expect(w.circleci.writes).toEqual([]);
});

test("--dry-run: preflight, inventory and the plan; no change, no confirmation needed", async () => {
  const w = world(true);
  const { outcome, io } = await rotate(w, request({ yes: false, dryRun: true, order: "routine" }));
  expect(outcome).toMatchObject({ kind: "dry-run" });
  expect(io.text()).toContain("Plan (routine order):");
  expect(w.registry.names()).toHaveLength(2);
  expect(w.circleci.writes).toEqual([]);
});

test("two destinations: both get the new token before the old one goes", async () => {
  const w = world(true);
  w.circleci.set("context/publishing", "FAKE_TOKEN", w.old);
  const result = rotated(
    (
      await rotate(
        w,
        request({
          targets: [
            { projectSlug: SLUG, envVar: "FAKE_TOKEN" },
            { projectSlug: SLUG, context: "publishing", envVar: "FAKE_TOKEN" },
          ],
        }),
      )
    ).outcome,
  );
  expect(w.circleci.writes).toEqual([PROJECT, "context/publishing"]);
  expect(w.circleci.get("context/publishing", "FAKE_TOKEN")).toBe(w.circleci.get(PROJECT, "FAKE_TOKEN"));
  expect(result.oldToken?.provenDead).toBe(false);
  expect(w.registry.deleted).toEqual([`${PREFIX}2026-10-01T00:00Z`]);
});

test("two destinations, the second refuses (routine): the first keeps the new token, the old one stays alive, exit 3", async () => {
  const w = world(true);
  w.circleci.set("context/publishing", "FAKE_TOKEN", w.old);
  w.circleci.refuse.add("context/publishing");
  const { outcome } = await rotate(
    w,
    request({
      targets: [
        { projectSlug: SLUG, envVar: "FAKE_TOKEN" },
        { projectSlug: SLUG, context: "publishing", envVar: "FAKE_TOKEN" },
      ],
    }),
  );
  expect(outcome).toBeInstanceOf(RunFailed);
  expect((outcome as RunFailed).exitCode).toBe(ExitCode.needsHuman);
  expect(w.circleci.get(PROJECT, "FAKE_TOKEN")).not.toBe(w.old);
  expect(w.circleci.get("context/publishing", "FAKE_TOKEN")).toBe(w.old);
  expect(w.registry.deleted).toEqual([]);
});

test("flags → request: --leaked and --grace conflict; --old-token and --keep-old conflict; the old value comes from the environment", () => {
  const targets = destinationsFor(
    circleciSettings(
      loadSources({ flags: { target: ["gh/acme/widget@publishing"] }, env: {}, cwd: "/nonexistent", fileSections: [circleciSection] }),
    ),
    "NPM_TOKEN",
  );
  expect(targets).toEqual([{ projectSlug: SLUG, context: "publishing", envVar: "NPM_TOKEN" }]);
  expect(() => rotationRequest({ leaked: true, grace: "30" }, npm, targets, {})).toThrow("--grace applies to the routine order only");
  expect(() => rotationRequest({ oldToken: "x", keepOld: true }, npm, targets, {})).toThrow("contradict each other");
  expect(() => rotationRequest({ grace: "soon" }, npm, targets, {})).toThrow("--grace soon: give a number of seconds");
  const req = rotationRequest({ leaked: true }, npm, targets, { ROTATE_NPM_OLD_TOKEN: "npm_old" });
  expect(req).toMatchObject({ order: "incident", targets, graceSeconds: 0 });
  expect(req.oldTokenValue?.reveal()).toBe("npm_old");
});

test("a session the registry would not end: said in the summary with what to do, exit 3; on a failure, in where things stand", async () => {
  const left = "npm did not end a session of this run: the one signed in at 08:15 UTC (npm answered 500) stays valid until 10:15 UTC";
  const stubborn = (w: World) => {
    const configured = w.registry.configured();
    const account = w.registry.account();
    configured.flow.signIn = async () => ({
      ...account,
      signOut: async () => {
        throw new NeedsHumanError(left);
      },
    });
    return configured;
  };
  const w = world(true);
  const io = fakeIO(false);
  const result = rotated(await runRotation(stubborn(w), request(), runbookDeps(w.circleci, new ScriptedPrompter([]), io)));
  expect(result.needsHuman).toEqual([left]);
  expect(renderSummary(result, 1000, false)).toContain(`  needs you  ${left}`);
  expect(summaryJson(result, 1000, false)).toMatchObject({ needsHuman: [left] });

  const failing = world(true);
  failing.circleci.refuse.add(PROJECT);
  const failed = await runRotation(
    stubborn(failing),
    request(),
    runbookDeps(failing.circleci, new ScriptedPrompter([]), fakeIO(false)),
  ).catch((error: unknown) => error);
  expect(failed).toBeInstanceOf(RunFailed);
  const { journal } = failed as RunFailed;
  expect(journal.whereThingsStand()).toContain(left);
  expect((failed as RunFailed).exitCode).toBe(ExitCode.needsHuman);
});

test("a CircleCI variable name CircleCI would not take (a newline in --env-var, a digit first) is a usage error naming the rule", () => {
  const circle = circleciSettings(
    loadSources({ flags: { projectSlug: SLUG }, env: {}, cwd: "/nonexistent", fileSections: [circleciSection] }),
  );
  const rule = "CircleCI takes letters, digits and _ only, not starting with a digit, at most 300 characters; check --env-var";
  for (const name of ["NPM_TOKEN\nX", "1NPM_TOKEN", "NPM-TOKEN", ""]) {
    expect(() => destinationsFor(circle, name), JSON.stringify(name)).toThrow(UsageError);
    expect(() => destinationsFor(circle, name)).toThrow(`${JSON.stringify(name)} cannot be a CircleCI variable name: ${rule}`);
  }
  expect(destinationsFor(circle, "_NPM_TOKEN2")).toEqual([{ projectSlug: SLUG, envVar: "_NPM_TOKEN2" }]);
});

test("the old value given matches one token by its first eight and last four: that one, even with a name rotate gave another destination", async () => {
  const w = world(true);
  const spread = w.registry.issue("FAKE_TOKEN gh/acme/docs 2026-10-02T00:00Z");
  w.circleci.set(PROJECT, "FAKE_TOKEN", spread);
  const result = rotated((await rotate(w, request({ oldTokenValue: new Secret(spread, "old Fake token") }))).outcome);
  expect(result.oldToken?.name).toBe("FAKE_TOKEN gh/acme/docs 2026-10-02T00:00Z");
});
