// The trust runbook's branches without a browser or a replica: every question, option and
// failure that changes what happens, against an in-memory CircleCI and npm. Fast, so each
// branch gets its own test; the end-to-end specs are in trust.spec.ts.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "@playwright/test";
import type { ListedToken } from "../../flows/npm/api.js";
import { npm as npmRegistry } from "../../flows/npm/index.js";
import { npmTrust } from "../../flows/npm/trust-capability.js";
import { jobChange, tokenUses } from "../../flows/npm/trust-job.js";
import { circleciConfig, differences } from "../../flows/npm/trust.js";
import { Ask } from "../../src/ask.js";
import type { CircleciPipelineDefinition, HeldValue } from "../../src/circleci/client.js";
import { trustRequest } from "../../src/commands/trust.js";
import { CancelledError, CircleciError, ExitCode, RegistryError, RunFailed, UsageError } from "../../src/errors.js";
import { Progress } from "../../src/rotation/progress.js";
import { Secret } from "../../src/secrets/secret.js";
import { choosePipelineDefinition, type TrustCircleciApi } from "../../src/trust/circleci.js";
import type { CircleciPublisher, StoredTrust } from "../../src/trust/capability.js";
import { mayBeCheckoutOf } from "../../src/trust/checkout.js";
import type { TrustingRegistry } from "../../src/commands/trust.js";
import type { TrustJournal } from "../../src/trust/journal.js";
import type { ProofOutcome } from "../../src/trust/proof.js";
import { trustPublishing, type TrustDeps, type TrustRequest, type TrustResult } from "../../src/trust/runbook.js";
import { fakeIO, ScriptedPrompter } from "../support/fakes.js";

const SLUG = "gh/acme/widget";
const ORG = "7b1c1c5e-1f7d-4d44-9c5a-0d5d6b0b8a11";
const PROJECT = "a3b0e0f4-8f0c-4f77-8a6c-5d7e2f9b1c22";
const RELEASE: CircleciPipelineDefinition = {
  id: "c9d8e7f6-a5b4-4c3d-8e2f-1a0b9c8d7e33",
  name: "release",
  configFile: ".circleci/config.yml",
};
const NIGHTLY: CircleciPipelineDefinition = {
  id: "d0e9f8a7-b6c5-4d4e-9f3a-2b1c0d9e8f44",
  name: "nightly",
  configFile: ".circleci/nightly.yml",
};
const CONTEXT = { id: "0e1d2c3b-4a59-4687-9a5b-c4d3e2f1a044", name: "publishing" };
const NPM: TrustingRegistry = { ...npmRegistry, trust: npmRegistry.trust! };
const OURS: CircleciPublisher = {
  orgId: ORG,
  projectId: PROJECT,
  pipelineDefinitionId: RELEASE.id,
  vcsOrigin: "github.com/acme/widget",
  contextIds: [],
  actions: ["createPackage"],
};

/** CircleCI as a few maps, recording every deletion. */
class FakeCircleci implements TrustCircleciApi {
  definitions = [RELEASE];
  readonly projectVars: Map<string, string> = new Map([["NPM_TOKEN", "npm_old_aaaa"]]);
  readonly contextVars: Map<string, string> = new Map();
  readonly deleted: string[] = [];
  /** Deletions CircleCI refuses. */
  refuseDeletes = false;

  me = async () => ({ id: "u", login: "responder", name: "Responder" });
  project = async (slug: string) => ({
    slug,
    name: "widget",
    id: PROJECT,
    organization_id: ORG,
    organization_slug: "gh/acme",
    vcs_info: { vcs_url: "https://github.com/acme/widget" },
  });
  projectIdentity = async (slug: string) => ({
    slug,
    projectId: PROJECT,
    organizationId: ORG,
    organizationSlug: "gh/acme",
    vcsOrigin: "github.com/acme/widget",
  });
  pipelineDefinitions = async () => this.definitions;
  contexts = async () => [CONTEXT];
  projectEnvVar = async (_slug: string, name: string): Promise<HeldValue | undefined> => held(this.projectVars.get(name));
  contextEnvVar = async (_id: string, name: string): Promise<HeldValue | undefined> => held(this.contextVars.get(name));
  deleteProjectEnvVar = async (slug: string, name: string) => this.remove(this.projectVars, `project ${slug}`, name);
  deleteContextEnvVar = async (id: string, name: string) => this.remove(this.contextVars, `context ${id}`, name);

  private remove(vars: Map<string, string>, where: string, name: string): boolean {
    if (this.refuseDeletes) throw new CircleciError(`CircleCI refused deleting ${name} from ${where} (403, permission denied)`, 403);
    this.deleted.push(`${name} in ${where}`);
    return vars.delete(name);
  }
}
const held = (value: string | undefined): HeldValue | undefined => (value === undefined ? undefined : { last4: value.slice(-4) });

/** npm's trusted publishers, package access and tokens in memory; every call recorded in order. */
class FakeNpm {
  readonly configs = new Map<string, StoredTrust[]>([
    ["widget", []],
    ["@acme/widget", []],
  ]);
  readonly access = new Map<string, string>();
  readonly tokens: ListedToken[] = [listed("NPM_TOKEN gh/acme/widget 2026-09-01T00:00Z", "aaaa"), listed("laptop", "bbbb")];
  readonly calls: string[] = [];
  /** What the registry stores differs from what was sent (a field npm rewrote). */
  mangle: ((config: StoredTrust) => StoredTrust) | undefined;
  failAdd = false;
  sessionOpen = false;
  private next = 1;

  /** npm since September 2026 holds several per package; before, one. */
  perPackage = npmTrust.configurationsPerPackage;

  deps(): TrustDeps["registry"] {
    return {
      title: "npm",
      terms: { ...npmTrust, configurationsPerPackage: this.perPackage },
      side: this.side(),
      allow: NPM.trust.allow,
      defaultAllow: NPM.trust.defaultAllow,
    };
  }

  private side(): TrustDeps["registry"]["side"] {
    return {
      preflight: async (packages) => {
        this.calls.push(`preflight ${packages.join(",")}`);
        return "publisher maintains them";
      },
      signIn: async () => {
        this.sessionOpen = true;
        return {
          account: this.account(),
          lost: new AbortController().signal,
          explain: (error) => error,
          close: async () => void (this.sessionOpen = false),
        };
      },
    };
  }

  private account() {
    return {
      list: async (pkg: string) => {
        this.calls.push(`list ${pkg}`);
        return [...(this.configs.get(pkg) ?? [])];
      },
      add: async (pkg: string, publisher: CircleciPublisher) => {
        this.calls.push(`add ${pkg}`);
        if (this.failAdd) throw new RegistryError(`npm refused adding the trusted publisher of ${pkg} (500)`);
        const stored = { id: `cfg-${this.next++}`, ...circleciConfig(publisher) };
        const kept = this.mangle ? this.mangle(stored) : stored;
        this.configs.set(pkg, [...(this.configs.get(pkg) ?? []), kept]);
        return [kept];
      },
      remove: async (pkg: string, id: string) => {
        this.calls.push(`remove ${pkg}`);
        this.configs.set(
          pkg,
          (this.configs.get(pkg) ?? []).filter((c) => c.id !== id),
        );
      },
      disallowTokens: async (pkg: string) => {
        this.calls.push(`disallow ${pkg}`);
        this.access.set(pkg, "publish");
      },
      tokens: async () => {
        this.calls.push("tokens");
        return [...this.tokens];
      },
      deleteToken: async (token: { name: string }) => {
        this.calls.push(`delete token ${token.name}`);
      },
    };
  }
}

function listed(name: string, last4: string): ListedToken {
  return { id: `key-${last4}`, name, shownPrefix: "npm_abcd", last4, kind: "read and write, bypasses 2FA", bypassPublisher: true };
}

function request(extra: Partial<TrustRequest> = {}): TrustRequest {
  return {
    command: "rotate trust npm",
    targets: [{ projectSlug: SLUG, envVar: "NPM_TOKEN" }],
    packages: ["widget", "@acme/widget"],
    registryUrl: "https://registry.test/",
    contextIds: [],
    actions: ["createPackage"],
    removeToken: false,
    yes: true,
    dryRun: false,
    ...extra,
  };
}

interface Run {
  outcome: unknown;
  text: string;
  circleci: FakeCircleci;
  npm: FakeNpm;
}

async function run(
  req: TrustRequest,
  options: { script?: Array<[RegExp, string | boolean]>; circleci?: FakeCircleci; npm?: FakeNpm; prove?: ProofOutcome; cwd?: string } = {},
): Promise<Run> {
  const circleci = options.circleci ?? new FakeCircleci();
  const npm = options.npm ?? new FakeNpm();
  const prompter = new ScriptedPrompter(options.script ?? []);
  const io = fakeIO(options.script !== undefined);
  const prove = options.prove;
  const outcome = await trustPublishing(req, {
    ask: new Ask(io, prompter),
    progress: new Progress(io),
    circleci,
    registry: npm.deps(),
    cwd: options.cwd ?? tmpdir(),
    ...(prove ? { prove: async () => prove } : {}),
    clock: () => new Date("2026-11-24T08:15:00Z"),
    signal: new AbortController().signal,
  }).catch((error: unknown) => error);
  expect(prompter.done, `questions left unasked; asked: ${prompter.asked.join(" | ")}`).toBe(true);
  expect(npm.sessionOpen, "the npm session ends whatever happens").toBe(false);
  return { outcome, text: io.text(), circleci, npm };
}

function trusted(outcome: unknown): TrustResult {
  if (!(outcome && typeof outcome === "object" && "kind" in outcome && outcome.kind === "trusted")) throw outcome;
  return outcome as TrustResult;
}

function failed(outcome: unknown): RunFailed {
  expect(outcome).toBeInstanceOf(RunFailed);
  return outcome as RunFailed;
}

const GITHUB: StoredTrust = { id: "gh-1", type: "github", claims: { repository: "acme/widget" }, permissions: ["createPackage"] };

test.describe("the pipeline definition", () => {
  const ask = (canPrompt: boolean, script: Array<[RegExp, string]> = []) => new Ask(fakeIO(canPrompt), new ScriptedPrompter(script));

  test("one: used without asking; several: the responder picks; a name or an id given: that one", async () => {
    expect(await choosePipelineDefinition([RELEASE], undefined, SLUG, ask(false))).toBe(RELEASE);
    expect(
      await choosePipelineDefinition(
        [RELEASE, NIGHTLY],
        undefined,
        SLUG,
        ask(true, [
          [/has 2 pipeline definitions; npm trusts exactly one/, "nightly (.circleci/nightly.yml, d0e9f8a7-b6c5-4d4e-9f3a-2b1c0d9e8f44)"],
        ]),
      ),
    ).toBe(NIGHTLY);
    expect(await choosePipelineDefinition([RELEASE, NIGHTLY], "nightly", SLUG, ask(false))).toBe(NIGHTLY);
    expect(await choosePipelineDefinition([RELEASE, NIGHTLY], RELEASE.id.toUpperCase(), SLUG, ask(false))).toBe(RELEASE);
  });

  test("several and no terminal, an unknown name, a name two share, none at all: refused, each saying what there is", async () => {
    const refusal = (definitions: CircleciPipelineDefinition[], wanted?: string) =>
      choosePipelineDefinition(definitions, wanted, SLUG, ask(false)).then(
        () => undefined,
        (error: unknown) => error,
      );
    const several = await refusal([RELEASE, NIGHTLY]);
    expect(several).toBeInstanceOf(UsageError);
    expect((several as Error).message).toContain(
      `"release" (${RELEASE.id}, .circleci/config.yml), "nightly" (${NIGHTLY.id}, .circleci/nightly.yml); pass --pipeline-definition NAME|ID`,
    );
    expect(((await refusal([RELEASE, NIGHTLY], "deploy")) as Error).message).toBe(
      `--pipeline-definition deploy: ${SLUG} has no pipeline definition of that name or id; it has "release" (${RELEASE.id}, .circleci/config.yml), "nightly" (${NIGHTLY.id}, .circleci/nightly.yml)`,
    );
    expect(((await refusal([RELEASE, { ...NIGHTLY, name: "release" }], "release")) as Error).message).toMatch(
      /2 pipeline definitions of gh\/acme\/widget have that name; give the id/,
    );
    expect(await refusal([])).toBeInstanceOf(CircleciError);
  });
});

test("a run without a terminal needs --yes; nothing is asked or read", async () => {
  const { outcome, npm } = await run(request({ yes: false }));
  expect(outcome).toBeInstanceOf(UsageError);
  expect(npm.calls).toEqual([]);
});

test("every package is read before any change; --dry-run stops at the plan with the token it would delete", async () => {
  const { outcome, npm, circleci } = await run(request({ dryRun: true, removeToken: true }));
  expect(outcome).toMatchObject({
    kind: "dry-run",
    ids: { projectId: PROJECT, organizationId: ORG, vcsOrigin: "github.com/acme/widget", pipelineDefinition: { id: RELEASE.id } },
  });
  expect((outcome as { plan: string[] }).plan).toEqual([
    "Plan:",
    '  1. widget: add the trusted publisher CircleCI project gh/acme/widget, pipeline "release", then read it back',
    '  2. @acme/widget: add the trusted publisher CircleCI project gh/acme/widget, pipeline "release", then read it back',
    "  3. show the change the CircleCI publish job needs",
    '  4. retire NPM_TOKEN: require 2FA and disallow tokens on widget, @acme/widget; delete npm token "NPM_TOKEN gh/acme/widget 2026-09-01T00:00Z" (read and write, bypasses 2FA); delete NPM_TOKEN in project gh/acme/widget',
  ]);
  expect(npm.calls).toEqual(["preflight widget,@acme/widget", "list widget", "list @acme/widget", "tokens"]);
  expect(circleci.deleted).toEqual([]);
});

test("configurations add up: CircleCI's goes alongside GitHub's, nothing deleted; the same one already there: nothing to add", async () => {
  const npm = new FakeNpm();
  npm.configs.set("widget", [GITHUB]);
  npm.configs.set("@acme/widget", [GITHUB, { id: "ours", ...circleciConfig(OURS) }]);
  const { outcome, text } = await run(request({ removeToken: true }), { npm });
  const result = trusted(outcome);
  expect(npm.calls.filter((c) => /^(add|remove)/.test(c))).toEqual(["add widget"]);
  expect(npm.configs.get("widget")).toEqual([GITHUB, expect.objectContaining({ claims: circleciConfig(OURS).claims })]);
  expect(result.journal.packages.map((p) => p.state)).toEqual(["verified", "already"]);
  expect(text).toContain(
    '1. widget: add the trusted publisher CircleCI project gh/acme/widget, pipeline "release" alongside the 1 it has (kept), then read it back',
  );
  expect(text).toContain('2. @acme/widget: already trusts CircleCI project gh/acme/widget, pipeline "release"; nothing to add');
  // Every package trusts CircleCI now, whatever else it trusts: the token can be retired.
  expect(result.retired).toBe(true);
});

test("the same job allowed another action: nothing added, and it says how to change it; --existing replace deletes and adds it again", async () => {
  const npm = new FakeNpm();
  npm.configs.set("widget", [{ id: "staging", ...circleciConfig({ ...OURS, actions: ["createStagedPackage"] }) }]);
  const kept = await run(request({ packages: ["widget"] }), { npm });
  expect(trusted(kept.outcome).journal.packages[0]?.state).toBe("already");
  expect(kept.text).toContain(
    'widget already trusts CircleCI project gh/acme/widget, pipeline "release", for npm stage publish, not npm publish: npm cannot change a configuration; pass --existing replace to delete and add it again',
  );
  const replaced = await run(request({ packages: ["widget"], existing: "replace" }), { npm });
  expect(trusted(replaced.outcome).journal.packages[0]?.state).toBe("verified");
  expect(npm.configs.get("widget")).toEqual([expect.objectContaining({ permissions: ["createPackage"] })]);
});

test("a package at npm's limit of configurations: one line before any change", async () => {
  const npm = new FakeNpm();
  npm.configs.set(
    "@acme/widget",
    Array.from({ length: 10 }, (_, i) => ({ ...GITHUB, id: `gh-${i}`, claims: { repository: `acme/repo-${i}` } })),
  );
  const failure = failed((await run(request(), { npm })).outcome);
  expect(failure.exitCode).toBe(ExitCode.nothingChanged);
  expect(failure.message).toBe(
    "@acme/widget already has 10 trusted publishers, npm's limit: delete one on npm's website (the package's settings), or pass --existing replace to replace them with CircleCI project gh/acme/widget, pipeline \"release\"",
  );
  expect(npm.calls.filter((c) => !c.startsWith("list") && !c.startsWith("preflight"))).toEqual([]);
});

test("where a package holds one configuration: one that trusts another publisher, without a terminal or --existing, is refused before any change", async () => {
  const npm = new FakeNpm();
  npm.perPackage = 1;
  npm.configs.set("@acme/widget", [GITHUB]);
  const failure = failed((await run(request(), { npm })).outcome);
  expect(failure.reason).toBeInstanceOf(UsageError);
  expect(failure.message).toBe(
    'no terminal to ask "What should @acme/widget trust": @acme/widget already trusts another publisher: pass --existing keep or --existing replace',
  );
  expect(failure.exitCode).toBe(ExitCode.usage);
  expect(npm.calls.filter((c) => !c.startsWith("list") && !c.startsWith("preflight"))).toEqual([]);
});

test("where a package holds one configuration: replace deletes it, then ours added and read back; keep leaves it, and then no token is retired", async () => {
  const npm = new FakeNpm();
  npm.perPackage = 1;
  npm.configs.set("widget", [GITHUB]);
  npm.configs.set("@acme/widget", [{ id: "cc-1", ...circleciConfig({ ...OURS, pipelineDefinitionId: NIGHTLY.id }) }]);
  const { outcome, text, circleci } = await run(request({ removeToken: true, yes: false }), {
    npm,
    script: [
      [/What should widget trust\?/, "keep"],
      [/What should @acme\/widget trust\?/, "replace"],
      [/Go ahead\?/, true],
    ],
  });
  const result = trusted(outcome);
  expect(npm.calls.slice(3)).toEqual(["remove @acme/widget", "add @acme/widget", "list @acme/widget"]);
  expect(npm.configs.get("widget")).toEqual([GITHUB]);
  expect(result.journal.packages.map((p) => p.state)).toEqual(["kept", "verified"]);
  expect(result.retired).toBe(false);
  expect(circleci.deleted).toEqual([]);
  expect(text).toContain(
    'widget already trusts github (repository "acme/widget"), for npm publish. npm allows one trusted publisher per package.',
  );
  expect(text).toContain("retire nothing: widget keeps another publisher, so CircleCI may still need NPM_TOKEN");
});

test("no --allow: asked in a terminal, each choice saying what it means for the job; without one, npm's default (staging only), said aloud", async () => {
  const asked = await run(request({ actions: undefined, packages: ["widget"], yes: false }), {
    script: [
      [/^What may the CircleCI job do through trusted publishing\?$/, "publish"],
      [/Go ahead\?/, true],
      [/^Retire NPM_TOKEN now/, false],
    ],
  });
  expect(trusted(asked.outcome).ids.actions).toEqual(["createPackage"]);
  const quiet = await run(request({ actions: undefined, packages: ["widget"] }));
  expect(trusted(quiet.outcome).ids.actions).toEqual(["createStagedPackage"]);
  expect(quiet.npm.configs.get("widget")).toEqual([expect.objectContaining({ permissions: ["createStagedPackage"] })]);
  expect(quiet.text).toContain(
    "The CircleCI job may run npm stage publish: the job stages each version; a maintainer approves it with 2FA on npmjs.com before it is published (npm's default and advice) (npm's default; --allow says otherwise).",
  );
  expect(trusted(quiet.outcome).jobChange.join("\n")).toContain("npm stage publish");
});

test("a configuration npm stores differently from what was sent: exit 3, the field named, the next step says check it", async () => {
  const npm = new FakeNpm();
  npm.mangle = (config) => ({ ...config, claims: { ...config.claims, "oidc.circleci.com/vcs-origin": "github.com/Acme/Widget" } });
  const failure = failed((await run(request({ packages: ["widget"] }), { npm })).outcome);
  expect(failure.exitCode).toBe(ExitCode.needsHuman);
  expect(failure.message).toBe(
    'npm holds a different trusted publisher for widget than rotate sent: oidc.circleci.com/vcs-origin: sent "github.com/acme/widget", npm holds "github.com/Acme/Widget"',
  );
  expect(failure.journal.whereThingsStand()).toContain(
    'widget: npm holds a configuration that differs from what was sent (oidc.circleci.com/vcs-origin: sent "github.com/acme/widget", npm holds "github.com/Acme/Widget")',
  );
  expect(failure.journal.nextStep(false)).toBe(
    'Check the trusted publisher of widget on npmjs.com (the package\'s Settings): it must be CircleCI project gh/acme/widget, pipeline "release". Then run `rotate trust npm` again; it reads what is there and adds only what is missing.',
  );
});

test("the add fails after the earlier configuration was deleted: exit 3, the package trusts nothing now, and says what it had", async () => {
  const npm = new FakeNpm();
  npm.configs.set("widget", [GITHUB]);
  npm.failAdd = true;
  const failure = failed((await run(request({ packages: ["widget"], existing: "replace" }), { npm })).outcome);
  expect(failure.exitCode).toBe(ExitCode.needsHuman);
  expect(failure.journal.whereThingsStand().split("\n")[1]).toBe(
    '  npm       widget: its earlier trusted publisher (github (repository "acme/widget"), for npm publish) was deleted; the new one was not added: it trusts no publisher now',
  );
  expect(failure.journal.nextStep(false)).toMatch(
    /^widget trusts no publisher now \(the earlier configuration was deleted\): run `rotate trust npm` again/,
  );
});

test("without a terminal and without --remove-token the token stays, and the summary says how to retire it", async () => {
  const { outcome, circleci, npm } = await run(request());
  const result = trusted(outcome);
  expect(result.retired).toBe(false);
  expect(circleci.deleted).toEqual([]);
  expect(npm.calls.filter((c) => c.startsWith("disallow") || c.startsWith("delete"))).toEqual([]);
  expect(result.journal.entries.find((e) => e.step === "retire-skipped")?.detail).toBe("a trusted publish has not been confirmed");
  expect(result.journal.nextStep(false)).toBe(
    "Trusted publishing is set up. Publish once through it from CircleCI, then run `rotate trust npm --remove-token` to retire NPM_TOKEN.",
  );
});

test("in a terminal, retiring is a question that says a trusted publish must have worked; no keeps the token", async () => {
  const { outcome, circleci } = await run(request({ yes: false }), {
    script: [
      [/Go ahead\?/, true],
      [
        /^Retire NPM_TOKEN now \(delete it from project gh\/acme\/widget, delete its npm token, require 2FA and disallow tokens on widget, @acme\/widget\)\? Say yes only if a publish through trusted publishing has already worked from CircleCI\.$/,
        false,
      ],
    ],
  });
  expect(trusted(outcome).retired).toBe(false);
  expect(circleci.projectVars.has("NPM_TOKEN")).toBe(true);
});

test("retiring: tokens disallowed on every package, then the npm token CircleCI holds (by its last four), then the variable", async () => {
  const { outcome, npm, circleci } = await run(request({ removeToken: true }));
  expect(trusted(outcome).retired).toBe(true);
  expect(npm.calls.filter((c) => /^(disallow|delete)/.test(c))).toEqual([
    "disallow widget",
    "disallow @acme/widget",
    "delete token NPM_TOKEN gh/acme/widget 2026-09-01T00:00Z",
  ]);
  expect(circleci.deleted).toEqual(["NPM_TOKEN in project gh/acme/widget"]);
});

test("an old-token value that does not end like what CircleCI shows is not taken for it: the token CircleCI's last four name goes", async () => {
  const npm = new FakeNpm();
  const oldTokenValue = new Secret("npm_abcdxxxxxxxxxxxxxxxxxxxxxxxxxxxxbbbb", "old npm token", { showLast4: true });
  await run(request({ removeToken: true, oldTokenValue }), { npm });
  expect(npm.calls.filter((c) => c.startsWith("delete"))).toEqual(["delete token NPM_TOKEN gh/acme/widget 2026-09-01T00:00Z"]);
});

test("CircleCI refuses to delete the variable after the npm token went: exit 3, and the next step names the variable", async () => {
  const circleci = new FakeCircleci();
  circleci.refuseDeletes = true;
  const failure = failed((await run(request({ removeToken: true }), { circleci })).outcome);
  expect(failure.exitCode).toBe(ExitCode.needsHuman);
  const journal = failure.journal as TrustJournal;
  expect(journal.whereThingsStand()).toContain('npm token "NPM_TOKEN gh/acme/widget 2026-09-01T00:00Z": deleted');
  expect(journal.whereThingsStand()).toContain("CircleCI  NPM_TOKEN in project gh/acme/widget: still set (…aaaa)");
  expect(journal.nextStep(false)).toBe(
    "The npm token is deleted; delete NPM_TOKEN in project gh/acme/widget in CircleCI too (Project Settings, or Organization Settings → Contexts), or run `rotate trust npm --remove-token` again.",
  );
});

test("a drill whose proof fails after a change: exit 3, and the next step says to compare the configuration", async () => {
  const prove: ProofOutcome = {
    ok: false,
    cases: [
      {
        package: "widget",
        job: "this project and pipeline",
        expected: "accepted",
        outcome: "refused",
        detail: "401 OIDC token exchange error - unauthorized",
      },
    ],
  };
  const failure = failed((await run(request({ packages: ["widget"] }), { prove })).outcome);
  expect(failure.exitCode).toBe(ExitCode.needsHuman);
  expect(failure.message).toBe(
    "the proof failed: widget: this project and pipeline was refused (401 OIDC token exchange error - unauthorized), expected accepted",
  );
  expect(failure.journal.nextStep(false)).toMatch(/^The drill's proof found the configuration does not work as set/);
});

test("no at the plan: cancelled, nothing changed", async () => {
  const { outcome, npm } = await run(request({ yes: false }), { script: [[/Go ahead\?/, false]] });
  const failure = failed(outcome);
  expect(failure.reason).toBeInstanceOf(CancelledError);
  expect(failure.exitCode).toBe(ExitCode.cancelled);
  expect(npm.calls.filter((c) => c.startsWith("add"))).toEqual([]);
});

test("a context restriction: the contexts' ids go into the configuration, and the job change names them", async () => {
  const { outcome, npm } = await run(request({ packages: ["widget"], contextIds: ["publishing"] }));
  expect(npm.configs.get("widget")?.[0]?.claims["oidc.circleci.com/context-ids"]).toEqual([CONTEXT.id]);
  expect(trusted(outcome).jobChange).toContain("  The workflow must run it with the context npm requires:  context: [publishing]");
  const unknown = (await run(request({ contextIds: ["nope"] }))).outcome;
  expect(unknown).toBeInstanceOf(UsageError);
  expect((unknown as Error).message).toBe(`--context-id nope: not a context of gh/acme; its contexts are "publishing" (${CONTEXT.id})`);
});

test("flags: --allow, scopes refused, the old token's value from the environment", () => {
  const settings = { packages: ["widget"], registryUrl: "https://registry.test/" };
  expect(trustRequest({ allow: "both" }, NPM, settings, [], {}).actions).toEqual(["createPackage", "createStagedPackage"]);
  expect(trustRequest({ allow: "stage" }, NPM, settings, [], {}).actions).toEqual(["createStagedPackage"]);
  expect(trustRequest({}, NPM, settings, [], {}).actions).toBeUndefined();
  expect(() => trustRequest({ allow: "everything" }, NPM, settings, [], {})).toThrow(UsageError);
  expect(() => trustRequest({}, NPM, { ...settings, packages: ["@acme", "widget"] }, [], {})).toThrow(
    "trusted publishing is set per package, and @acme is a scope: list the packages themselves with --npm-packages",
  );
  expect(trustRequest({ keepOld: true }, NPM, settings, [], { ROTATE_NPM_OLD_TOKEN: "npm_x" })).toMatchObject({
    oldToken: "none",
    oldTokenValue: expect.any(Secret),
  });
});

test("the job change: npm's audience from the configured registry's host, the versions, stage publishing", () => {
  const publish = jobChange({
    registryUrl: "https://registry.test/",
    actions: ["createPackage"],
    contexts: [],
    configFile: ".circleci/config.yml",
    envVar: "NPM_TOKEN",
  });
  expect(publish).toContain(`                export NPM_ID_TOKEN="$(circleci run oidc get --claims '{"aud": "npm:registry.test"}')"`);
  expect(publish).toContain("                npm install --global npm@^11.11.0    # npm 11.11.0 or newer; cimg/node:22.14 ships npm 10");
  expect(publish).toContain("                npm publish");
  const stage = jobChange({
    registryUrl: "https://registry.test/",
    actions: ["createStagedPackage"],
    contexts: [],
    configFile: ".circleci/release.yml",
    envVar: "NPM_TOKEN",
  });
  expect(stage[0]).toBe("The publish job's change, ready to paste into .circleci/release.yml:");
  expect(stage).toContain("                npm stage publish");
  expect(stage.join("\n")).toContain("npm@^11.15.0");
});

test("the checkout's lines that use the variable: the pipeline's config file and .npmrc, a token written there shown only as its kind", () => {
  const cwd = mkdtempSync(join(tmpdir(), "trust-checkout-"));
  try {
    mkdirSync(join(cwd, ".circleci"));
    writeFileSync(
      join(cwd, ".circleci", "release.yml"),
      "jobs:\n  publish:\n    environment:\n      NPM_TOKEN_X: no\n      TOKEN: $NPM_TOKEN\n",
    );
    writeFileSync(join(cwd, ".npmrc"), `//registry.test/:_authToken=npm_${"A".repeat(36)} # was NPM_TOKEN\n`);
    expect(tokenUses(cwd, ".circleci/release.yml", "NPM_TOKEN")).toEqual([
      { file: ".circleci/release.yml", line: 5, text: "TOKEN: $NPM_TOKEN" },
      { file: ".npmrc", line: 1, text: "//registry.test/:_authToken=npm_… # was NPM_TOKEN" },
    ]);
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
});

test("a checkout of another repository is not searched; one whose remote names the project's repository is", () => {
  const cwd = mkdtempSync(join(tmpdir(), "trust-checkout-"));
  try {
    expect(mayBeCheckoutOf(cwd, "github.com/acme/widget")).toBe(true);
    mkdirSync(join(cwd, ".git"));
    writeFileSync(
      join(cwd, ".git", "config"),
      '[remote "origin"]\n\turl = git@github.com:acme/gadget.git\n[remote "fork"]\n\turl = https://github.com/notacme/widget\n',
    );
    expect(mayBeCheckoutOf(cwd, "github.com/acme/widget")).toBe(false);
    writeFileSync(
      join(cwd, ".git", "config"),
      '[remote "origin"]\n\turl = git@github.com:acme/gadget.git\n[remote "upstream"]\n\turl = https://github.com/Acme/Widget.git\n',
    );
    expect(mayBeCheckoutOf(cwd, "github.com/acme/widget")).toBe(true);
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
});

test("field by field: a context list compares as a set; a missing, extra or different claim is named", () => {
  const publisher = { ...OURS, contextIds: [CONTEXT.id, "1f2e3d4c-5b6a-4978-8a9b-0c1d2e3f4a55"] };
  const sent = circleciConfig(publisher);
  const stored = (claims: Record<string, unknown>, permissions = ["createPackage"]): StoredTrust => ({
    id: "x",
    type: "circleci",
    claims,
    permissions,
  });
  expect(
    differences(
      stored({ ...sent.claims, "oidc.circleci.com/context-ids": ["1f2e3d4c-5b6a-4978-8a9b-0c1d2e3f4a55", CONTEXT.id] }),
      publisher,
    ),
  ).toEqual([]);
  expect(
    differences(stored({ ...sent.claims, "oidc.circleci.com/project-id": undefined, extra: 1 }, ["createStagedPackage"]), publisher),
  ).toEqual([
    `oidc.circleci.com/project-id: sent "${PROJECT}", npm holds nothing`,
    "extra: sent nothing, npm holds 1",
    'permissions: sent ["createPackage"], npm holds ["createStagedPackage"]',
  ]);
});
