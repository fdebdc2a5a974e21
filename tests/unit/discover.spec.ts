// `rotate discover` against the CircleCI replica: an organization's contexts and the projects
// named, the variables named like publishing tokens with their last four, the rotations proposal;
// the same through API v3 and, where v3 answers 404, through v2. Nothing is written and no value
// is shown.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test as base } from "@playwright/test";
import { startCircleciReplica, type CircleciReplica, type CircleciReplicaOptions } from "rotate-replicas";
import { CircleciClient } from "../../src/circleci/client.js";
import { runDiscover } from "../../src/commands/discover-run.js";
import type { DiscoverFlags } from "../../src/commands/discover.js";
import { CircleciError, UsageError } from "../../src/errors.js";
import { registries } from "../../src/registries.js";
import type { Runtime } from "../../src/runtime.js";
import { fakeIO, ScriptedPrompter } from "../support/fakes.js";
import { secretsIn } from "../support/secrets.js";

const ACME = { name: "acme", slug: "gh/acme", id: "5a1d2c3e-8a7b-4c5d-9e0f-1a2b3c4d5e6f" };
const OTHER = { name: "other", slug: "gh/other", id: "6b2e3d4f-9b8c-4d6e-8f10-2b3c4d5e6f70" };
const TOKEN = "CCIPAT_abcdefghijklmnopqrstuv_0123456789abcdef0123456789abcdef01234567";
const VALUES = {
  npmShared: `npm_${"a".repeat(32)}AAA1`,
  npmGadget: `npm_${"b".repeat(32)}BBB2`,
  npmElsewhere: `npm_${"e".repeat(32)}EEE3`,
  pypiWidget: `pypi-${"w".repeat(60)}WWW1`,
  twine: `pypi-${"t".repeat(60)}TTT1`,
  aws: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
  database: "postgres://app:hunter2hunter2@db.internal/app",
};

type Fixtures = {
  knobs: Partial<CircleciReplicaOptions>;
  circleci: CircleciReplica;
  discovery: (flags: Partial<DiscoverFlags>) => Promise<{ code: number; text: string }>;
};

const test = base.extend<Fixtures>({
  knobs: [{}, { option: true }],
  circleci: async ({ knobs }, use) => {
    const replica = await startCircleciReplica({
      tokens: [{ value: TOKEN, user: { id: "u-1", login: "alice", name: "Alice" } }],
      projects: [
        {
          slug: "gh/acme/widget",
          organization: ACME,
          envVars: { NPM_TOKEN: VALUES.npmShared, PYPI_TOKEN: VALUES.pypiWidget, DATABASE_URL: VALUES.database },
        },
        { slug: "gh/acme/gadget", organization: ACME, envVars: { NODE_AUTH_TOKEN: VALUES.npmGadget } },
        { slug: "gh/other/thing", organization: OTHER },
      ],
      contexts: [
        // The same npm token as widget's project variable: one token, two destinations.
        { name: "publishing", organizationId: ACME.id, envVars: { NPM_TOKEN: VALUES.npmShared, TWINE_PASSWORD: VALUES.twine } },
        { name: "deploy", organizationId: ACME.id, envVars: { AWS_SECRET_ACCESS_KEY: VALUES.aws } },
        { name: "elsewhere", organizationId: OTHER.id, envVars: { NPM_TOKEN: VALUES.npmElsewhere } },
      ],
      truncatedValue: true,
      pageSize: 1, // every list pages, through v2's page-token and v3's page[cursor] alike
      ...knobs,
    });
    await use(replica);
    await replica.close();
  },
  discovery: async ({ circleci }, use) => {
    const cwd = mkdtempSync(join(tmpdir(), "rotate-discover-"));
    await use(async (flags) => {
      const io = fakeIO(false);
      const runtime: Runtime = {
        io,
        prompter: new ScriptedPrompter([]),
        env: { CIRCLECI_TOKEN: TOKEN },
        cwd,
        clock: () => new Date("2026-12-01T10:00:00Z"),
        signal: new AbortController().signal,
        registries,
        circleci: ({ baseUrl, token }) => new CircleciClient({ baseUrl, token, retry: { sleep: async () => undefined } }),
        findBrowser: () => {
          throw new Error("discovery opens no browser");
        },
        launchBrowser: () => Promise.reject(new Error("discovery opens no browser")),
        reachable: async () => undefined,
        sleep: async () => undefined,
        cautions: [],
        replicas: () => Promise.reject(new Error("not a drill")),
      };
      const code = await runDiscover({ org: "gh/acme", circleciUrl: circleci.apiUrl, trustUrls: true, ...flags }, runtime);
      return { code, text: io.outText() };
    });
    rmSync(cwd, { recursive: true, force: true });
  },
});

const FOUND = [
  { registry: "npm", envVar: "NPM_TOKEN", where: 'context "publishing"', context: "publishing", projectSlug: null, last4: "AAA1" },
  { registry: "pypi", envVar: "TWINE_PASSWORD", where: 'context "publishing"', context: "publishing", projectSlug: null, last4: "TTT1" },
  { registry: "npm", envVar: "NPM_TOKEN", where: "project gh/acme/widget", context: null, projectSlug: "gh/acme/widget", last4: "AAA1" },
  { registry: "pypi", envVar: "PYPI_TOKEN", where: "project gh/acme/widget", context: null, projectSlug: "gh/acme/widget", last4: "WWW1" },
  {
    registry: "npm",
    envVar: "NODE_AUTH_TOKEN",
    where: "project gh/acme/gadget",
    context: null,
    projectSlug: "gh/acme/gadget",
    last4: "BBB2",
  },
].map((found) => ({ ...found, setAt: expect.any(String) }));

const PROPOSAL = {
  npm: {
    rotations: [
      { name: "publishing", envVar: "NPM_TOKEN", targets: ["gh/acme/widget@publishing", "gh/acme/widget"] },
      { name: "gadget", envVar: "NODE_AUTH_TOKEN", targets: ["gh/acme/gadget"] },
    ],
  },
  pypi: {
    rotations: [
      { name: "publishing", envVar: "TWINE_PASSWORD", targets: ["gh/acme/widget@publishing"] },
      { name: "widget", envVar: "PYPI_TOKEN", targets: ["gh/acme/widget"] },
    ],
  },
};

for (const api of ["v3", "v2"] as const) {
  test.describe(`contexts through ${api}`, () => {
    test.use({ knobs: api === "v3" ? { contextsV2: false } : { contextsV3: false } });

    test("--json: every context's and named project's token-like variables with their last four, and one rotation per token", async ({
      circleci,
      discovery,
    }) => {
      const { code, text } = await discovery({ project: ["gh/acme/widget", "gh/acme/gadget"], json: true });
      expect(code).toBe(0);
      expect(JSON.parse(text)).toEqual({
        ok: true,
        changed: false,
        organization: { slug: "gh/acme", id: ACME.id },
        user: "alice",
        contextApi: api,
        contexts: 2,
        projects: ["gh/acme/widget", "gh/acme/gadget"],
        found: FOUND,
        proposal: PROPOSAL,
        notes: ['each npm rotation needs its "packages" before it can run', 'each PyPI rotation needs its "project" before it can run'],
      });
      expect(circleci.calls.filter((c) => c.method !== "GET")).toEqual([]);
      const contextCalls = circleci.calls.filter((c) => /^\/api\/v[23]\/contexts?\b/.test(c.path)).map((c) => c.path.slice(0, 7));
      expect(new Set(contextCalls)).toEqual(new Set(api === "v3" ? ["/api/v3"] : ["/api/v3", "/api/v2"]));
    });
  });
}

test("for people: the organization, the API, each token with its last four, the proposal and what to fill in; no value anywhere", async ({
  discovery,
}) => {
  const { code, text } = await discovery({ project: ["gh/acme/widget", "gh/acme/gadget"] });
  expect(code).toBe(0);
  expect(text).toContain(
    "CircleCI organization gh/acme as alice sees it (contexts through API v3): read 2 contexts and gh/acme/widget, gh/acme/gadget; nothing was changed.",
  );
  expect(text).toMatch(/^ {2}npm {3}NPM_TOKEN in context "publishing" +…AAA1, set \d{4}-\d\d-\d\d$/m);
  expect(text).toMatch(/^ {2}PyPI {2}TWINE_PASSWORD in context "publishing" +…TTT1, set /m);
  // The proposal is JSON to paste, one rotation a line.
  const pasted = text.slice(text.indexOf("\n{\n") + 1, text.indexOf("\n}\n") + 2);
  expect(JSON.parse(pasted)).toEqual(PROPOSAL);
  expect(pasted).toContain(
    '      { "name": "publishing", "envVar": "NPM_TOKEN", "targets": ["gh/acme/widget@publishing", "gh/acme/widget"] },\n',
  );
  expect(text).toContain('Note: each PyPI rotation needs its "project" before it can run.');
  expect(text).not.toMatch(/AWS_SECRET_ACCESS_KEY|DATABASE_URL|elsewhere/);
  expect(secretsIn(text, new Map(Object.entries(VALUES)))).toEqual([]);
});

test("without --project: contexts only, each target through REPO for the responder to fill in", async ({ discovery }) => {
  const { text } = await discovery({ json: true });
  const report = JSON.parse(text) as {
    found: unknown[];
    proposal: Record<string, { rotations: Array<{ targets: string[] }> }>;
    notes: string[];
  };
  expect(report.found).toHaveLength(2);
  expect(report.proposal.npm?.rotations).toEqual([{ name: "publishing", envVar: "NPM_TOKEN", targets: ["gh/acme/REPO@publishing"] }]);
  expect(report.notes).toContain(
    "REPO stands for any project of gh/acme (a context is found through one): fill it in, or rerun with --project",
  );
});

test.describe("where CircleCI shows no last four of context variables", () => {
  test.use({ knobs: { truncatedValue: false } });

  test("those are said as such, each is a rotation of its own, and the notes say to merge rotations that hold one token", async ({
    discovery,
  }) => {
    const { text } = await discovery({ project: ["gh/acme/widget"] });
    expect(text).toMatch(/^ {2}npm {3}NPM_TOKEN in context "publishing" +last four not shown, set /m);
    expect(text).toContain('      { "name": "publishing", "envVar": "NPM_TOKEN", "targets": ["gh/acme/widget@publishing"] },\n');
    expect(text).toContain('      { "name": "widget", "envVar": "NPM_TOKEN", "targets": ["gh/acme/widget"] }\n');
    expect(text).toContain(
      "Note: a variable whose last four CircleCI does not show is a rotation of its own: merge rotations that hold the same token.",
    );
  });
});

test("an organization the user does not belong to, a project outside it, an --org that is not vcs/org: one sentence each, nothing read", async ({
  circleci,
  discovery,
}) => {
  const failure = (flags: Partial<DiscoverFlags>) =>
    discovery(flags).then(
      () => undefined,
      (error: unknown) => error as Error,
    );
  const notMember = await failure({ org: "gh/nope" });
  expect(notMember).toBeInstanceOf(CircleciError);
  expect(notMember?.message).toBe(
    "CircleCI shows alice no organization gh/nope (theirs: gh/acme, gh/other): check --org, and that the token is theirs",
  );
  circleci.calls.length = 0;
  const outside = await failure({ project: ["gh/other/thing"] });
  expect(outside).toBeInstanceOf(UsageError);
  expect(outside?.message).toBe("--project gh/other/thing: write a project of gh/acme, e.g. gh/acme/widget");
  expect((await failure({ org: "acme" }))?.message).toBe("--org acme: write the organization as vcs/org, e.g. gh/mozilla");
  expect(circleci.calls).toEqual([]);
});
