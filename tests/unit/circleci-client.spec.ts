// The CircleCI client against the CircleCI replica: every call it makes, with its body, and one
// sentence for each way CircleCI can say no.
import { createServer, type AddressInfo, type Socket } from "node:net";
import { expect, test as base } from "@playwright/test";
import { CircleciClient, describeHeld, type CircleciClientOptions } from "../../src/circleci/client.js";
import { v3BaseOf } from "../../src/circleci/contexts-v3.js";
import { confirmHolds, preflightCircleci, type PreflightedDestination, type TargetSpec } from "../../src/circleci/targets.js";
import { CircleciError } from "../../src/errors.js";
import { startCircleciReplica, type CircleciReplica, type CircleciReplicaOptions, type Fault } from "rotate-replicas";
import { Secret } from "../../src/secrets/secret.js";
import { startHostileListener } from "../support/hostile.js";

const ORG = { name: "acme", slug: "gh/acme", id: "5a1d2c3e-8a7b-4c5d-9e0f-1a2b3c4d5e6f" };
const SLUG = "gh/acme/widget";
const TOKEN = "CCIPAT_abcdefghijklmnopqrstuv_0123456789abcdef0123456789abcdef01234567";
const VIEWER = "CCIPAT_viewerviewerviewerview_0123456789abcdef0123456789abcdef01234567";
const OLD = `pypi-${"o".repeat(60)}OLD1`;

interface Fixtures {
  knobs: Partial<CircleciReplicaOptions>;
  circleci: CircleciReplica;
  waits: number[];
  client: (token?: string, options?: Partial<CircleciClientOptions>) => CircleciClient;
}

// Each reading of the clock is a second later, so every write has its own time.
const tickingClock = (start = Date.parse("2026-11-24T08:00:00Z")) => {
  let ticks = 0;
  return () => new Date(start + 1000 * ticks++);
};

const test = base.extend<Fixtures>({
  knobs: [{}, { option: true }],
  circleci: async ({ knobs }, use) => {
    const replica = await startCircleciReplica({
      tokens: [
        { value: TOKEN, user: { id: "u-1", login: "alice", name: "Alice" } },
        { value: VIEWER, user: { id: "u-2", login: "victor", name: "Victor" }, role: "viewer" },
      ],
      projects: [
        {
          slug: SLUG,
          id: PROJECT_ID,
          organization: ORG,
          envVars: { NPM_TOKEN: `npm_${"p".repeat(32)}PRJ1`, PYPI_TOKEN: OLD },
          vcsUrl: "https://github.com/acme/widget/",
          pipelineDefinitions: DEFINITIONS,
        },
      ],
      contexts: [
        { name: "publishing", organizationId: ORG.id, envVars: { NPM_TOKEN: `npm_${"x".repeat(32)}CTX1` } },
        { name: "deploy", organizationId: ORG.id },
      ],
      pageSize: 1, // so every list is paged and the client must follow next_page_token
      now: tickingClock(),
      ...knobs,
    });
    await use(replica);
    await replica.close();
  },
  waits: async ({}, use) => use([]),
  client: async ({ circleci, waits }, use) =>
    use(
      (token = TOKEN, options = {}) =>
        new CircleciClient({
          baseUrl: circleci.apiUrl,
          token: new Secret(token, "CircleCI token"),
          // Waits are recorded, not slept: the test checks Retry-After was honoured.
          retry: { sleep: async (ms) => void waits.push(ms), random: () => 0.5 },
          ...options,
        }),
    ),
});

/** The one destination a spec names, preflighted. */
async function destinations(client: CircleciClient, spec: TargetSpec): Promise<[PreflightedDestination]> {
  const [only] = (await preflightCircleci(client, [spec])).destinations;
  if (!only) throw new Error("preflight found no destination");
  return [only];
}

const DEFINITIONS = [
  { id: "3c1e0f3a-5b7d-4e2a-9c8b-0d1e2f3a4b5c", name: "build-and-publish", configFilePath: ".circleci/config.yml" },
  { id: "7a9b8c6d-1e2f-4a3b-8c4d-5e6f7a8b9c0d", name: "nightly", description: "Nightly checks", configFilePath: ".circleci/nightly.yml" },
];
const PROJECT_ID = "9f0e2d4c-1b3a-4c5d-8e6f-7a8b9c0d1e2f";

const calls = (replica: CircleciReplica) =>
  replica.calls.map((c) => `${c.method} ${c.path}${c.query["page-token"] || c.query["page[cursor]"] ? " (page 2+)" : ""}`);

test("preflight asks /me, the project, and pages through its variables; nothing is written", async ({ circleci, client }) => {
  const result = await preflightCircleci(client(), [{ projectSlug: SLUG, envVar: "PYPI_TOKEN" }]);
  expect(result.user.login).toBe("alice");
  expect(result.destinations.map((d) => [d.target.where, d.held?.last4])).toEqual([[`project ${SLUG}`, "OLD1"]]);
  expect(calls(circleci)).toEqual(["GET /api/v2/me", `GET /api/v2/project/${SLUG}`, `GET /api/v2/project/${SLUG}/envvar/PYPI_TOKEN`]);
  expect(circleci.calls.every((c) => c.auth === "circle-token")).toBe(true);
});

test("a project variable is set by one POST of name and value, then read back by its last four", async ({ circleci, client }) => {
  const [{ target, held }] = await destinations(client(), { projectSlug: SLUG, envVar: "PYPI_TOKEN" });
  const value = new Secret(`pypi-${"n".repeat(60)}NEW2`, "PyPI token", { showLast4: true });
  await target.write(value);
  expect(await confirmHolds(target, value, held)).toEqual({ holds: true });
  const writes = circleci.calls.filter((c) => c.method !== "GET");
  expect(writes.map((c) => [c.method, c.path, c.body])).toEqual([
    ["POST", `/api/v2/project/${SLUG}/envvar`, { name: "PYPI_TOKEN", value: value.reveal() }],
  ]);
  expect(circleci.envVar(SLUG, "PYPI_TOKEN")?.value).toBe(value.reveal());
});

// docs/sites/circleci.md, "API v3 for contexts": v3 where it answers (here with v2's context
// routes off, so nothing can quietly go through v2), v2 where /api/v3 answers 404.
for (const api of ["v3", "v2"] as const) {
  for (const shape of ["the spec's shape", "truncated_value"] as const) {
    test.describe(`context variables through ${api}, in ${shape}`, () => {
      test.use({
        knobs:
          api === "v3"
            ? { contextsV2: false, truncatedValue: shape === "truncated_value" }
            : { contextsV3: false, truncatedValue: shape === "truncated_value" },
      });

      test("a context is found by name through the project's organization, and written with one write of the value", async ({
        circleci,
        client,
      }) => {
        const circle = client();
        const [{ target, held }] = await destinations(circle, { projectSlug: SLUG, envVar: "NPM_TOKEN", context: "publishing" });
        expect(held).toEqual({ last4: shape === "truncated_value" ? "CTX1" : undefined, setAt: expect.any(Date) });
        const value = new Secret(`npm_${"y".repeat(32)}NEW3`, "npm token", { showLast4: true });
        await target.write(value);
        // Without the last four, the evidence is an updated_at later than before the write.
        expect(await confirmHolds(target, value, held)).toEqual({ holds: true });
        expect(circleci.contextEnvVar("publishing", "NPM_TOKEN")?.value).toBe(value.reveal());
        expect(circle.contextApi).toBe(api);
        const writes = circleci.calls.filter((c) => c.method !== "GET");
        if (api === "v3") {
          const contextList = circleci.calls.find((c) => c.path === "/api/v3/contexts");
          expect(contextList?.query).toEqual({ "filter[org_id]": ORG.id, "page[limit]": "100" });
          expect(writes.map((c) => [c.method, c.path, c.body])).toEqual([
            [
              "POST",
              expect.stringMatching(/^\/api\/v3\/contexts\/[0-9a-f-]+\/env-vars\/set$/),
              { name: "NPM_TOKEN", value: value.reveal() },
            ],
          ]);
          expect(circleci.calls.some((c) => c.path.startsWith("/api/v2/context"))).toBe(false);
        } else {
          const contextList = circleci.calls.find((c) => c.path === "/api/v2/context");
          expect(contextList?.query["owner-id"]).toBe(ORG.id);
          expect(writes.map((c) => [c.method, c.path, c.body])).toEqual([
            ["PUT", expect.stringMatching(/^\/api\/v2\/context\/[0-9a-f-]+\/environment-variable\/NPM_TOKEN$/), { value: value.reveal() }],
          ]);
          // v3 was asked once, answered 404, and was not asked again.
          expect(circleci.calls.filter((c) => c.path.startsWith("/api/v3")).map((c) => `${c.method} ${c.path}`)).toEqual([
            "GET /api/v3/contexts",
          ]);
        }
      });
    });
  }
}

test.describe("which API for contexts", () => {
  test("decided by the first answer from v3 and kept: a 410 sends this and every later context call to v2", async ({
    circleci,
    client,
  }) => {
    circleci.faults.add({ method: "GET", path: "/api/v3/contexts", times: Infinity, fault: fault(410) });
    const circle = client();
    expect(circle.contextApi).toBeUndefined();
    const [publishing] = await circle.contexts(ORG.id);
    expect(circle.contextApi).toBe("v2");
    await circle.contextEnvVars(publishing!.id);
    await circle.setContextEnvVar(publishing!.id, "NPM_TOKEN", new Secret(`npm_${"z".repeat(32)}NEW5`, "npm token"));
    expect(circleci.calls.filter((c) => c.path.startsWith("/api/v3")).map((c) => c.path)).toEqual(["/api/v3/contexts"]);
    expect(circleci.calls.filter((c) => c.method === "PUT")).toHaveLength(1);
  });

  test("a 401 from v3 for a token v2's /me took: v3 does not take it, v2 does the work", async ({ circleci, client }) => {
    circleci.faults.add({ method: "GET", path: "/api/v3/contexts", fault: fault(401) });
    const circle = client();
    await circle.me();
    expect((await circle.contexts(ORG.id)).map((c) => c.name)).toEqual(["publishing", "deploy"]);
    expect(circle.contextApi).toBe("v2");
  });

  test("a by-id 404 in v3's own error shape is an answer (no such context), not a missing v3: the sentence, and no v2 call", async ({
    circleci,
    client,
  }) => {
    const circle = client();
    const error = await circle.contextEnvVars("00000000-0000-4000-8000-000000000000").then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as Error).message).toBe(
      "CircleCI answered 404 while listing the context's variables: check the context name and that the token's user belongs to the organization",
    );
    expect(circle.contextApi).toBe("v3");
    expect(circleci.calls.map((c) => c.path)).toEqual(["/api/v3/contexts/00000000-0000-4000-8000-000000000000/env-vars"]);
  });

  test("a 400 from v3 is said in one sentence with CircleCI's own words, and v3 stays the choice", async ({ circleci, client }) => {
    circleci.faults.add({
      method: "GET",
      path: "/api/v3/contexts",
      fault: {
        kind: "status",
        status: 400,
        headers: { "Content-Type": "application/json" },
        body: '{"error":{"type":"validation_error","title":"Bad Request","detail":"filter[org_id] must be a UUID"}}',
      },
    });
    const circle = client();
    const error = await circle.contexts(ORG.id).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as Error).message).toBe(
      "CircleCI did not accept the request while listing the organization's contexts (400: Bad Request: filter[org_id] must be a UUID): the organization and context ids in it came from CircleCI itself, so check that --circleci-url is CircleCI's API v2 and rerun",
    );
    expect(circle.contextApi).toBe("v3");
  });

  test("the v3 base is the v2 base's …/api/v2 made …/api/v3 on the same origin; a base that is not …/api/v2 names none: v2 from the start", async ({
    circleci,
  }) => {
    const viaProxy = new CircleciClient({
      baseUrl: circleci.apiUrl.replace(/\/api\/v2$/, "/api/v2/"),
      token: new Secret(TOKEN, "CircleCI token"),
      retry: { sleep: async () => undefined },
    });
    expect(viaProxy.contextApi).toBeUndefined();
    await viaProxy.contexts(ORG.id);
    expect(viaProxy.contextApi).toBe("v3");
    expect(v3BaseOf("https://circleci.com/api/v2")).toBe("https://circleci.com/api/v3");
    expect(v3BaseOf("https://circleci.example.com/api/v2/")).toBe("https://circleci.example.com/api/v3");
    expect(v3BaseOf("http://127.0.0.1:4010")).toBeUndefined();
    const mock = new CircleciClient({
      baseUrl: "http://127.0.0.1:4010",
      token: new Secret(TOKEN, "CircleCI token"),
      retry: { sleep: async () => undefined },
    });
    expect(mock.contextApi).toBe("v2");
  });
});

test("a read-back showing other last four is reported as not holding the new value", async ({ circleci, client }) => {
  const [{ target, held }] = await destinations(client(), { projectSlug: SLUG, envVar: "PYPI_TOKEN" });
  const value = new Secret(`pypi-${"n".repeat(60)}NEW4`, "PyPI token", { showLast4: true });
  await target.write(value);
  circleci.setEnvVar(SLUG, "PYPI_TOKEN", `pypi-${"z".repeat(60)}ZZZZ`);
  expect(await confirmHolds(target, value, held)).toEqual({ holds: false, shown: "a value ending in …ZZZZ" });
});

const fault = (status: number, headers: Record<string, string> = {}): Fault => ({
  kind: "status",
  status,
  headers: { "Content-Type": "application/json", ...headers },
  body: `{"message" : "status ${status}"}`,
});

test("429 and 5xx are retried, honouring Retry-After; other statuses are not", async ({ circleci, client, waits }) => {
  circleci.faults.add({ method: "GET", path: "/api/v2/me", fault: fault(429, { "Retry-After": "7" }) });
  circleci.faults.add({ method: "GET", path: "/api/v2/me", fault: fault(503) });
  expect((await client().me()).login).toBe("alice");
  // 7 s as told, then the client's own backoff for the 503 (500 ms × jitter 0.75).
  expect(waits).toEqual([7000, 750]);
  expect(calls(circleci)).toEqual(["GET /api/v2/me", "GET /api/v2/me", "GET /api/v2/me"]);
});

const refusals: Array<{
  name: string;
  token?: string;
  arrange?: (c: CircleciReplica) => void;
  act: (client: CircleciClient) => Promise<unknown>;
  says: string;
}> = [
  {
    name: "a bad token (401 on /me)",
    token: "CCIPAT_wrong",
    act: (c) => c.me(),
    says: "CircleCI rejected the API token (401): create a personal API token",
  },
  {
    name: "an unknown project (404, after /me vouched for the token)",
    act: async (c) => (await c.me(), c.project("gh/acme/nope")),
    says: "CircleCI found no project while looking up project gh/acme/nope (404): check --project-slug (e.g. gh/org/repo) and that alice can see the project",
  },
  {
    name: "a viewer writing (403)",
    token: VIEWER,
    act: async (c) => (await c.me(), c.setProjectEnvVar(SLUG, "PYPI_TOKEN", new Secret("pypi-x", "PyPI token"))),
    says: "CircleCI refused setting PYPI_TOKEN in gh/acme/widget (403, permission denied): victor needs permission",
  },
  {
    name: "a 500 that outlasts the retries",
    arrange: (c) => c.faults.add({ method: "GET", path: "/api/v2/me", times: 10, fault: fault(500) }),
    act: (c) => c.me(),
    says: "CircleCI failed while checking the CircleCI token (500) after several tries",
  },
  { name: "a malformed slug", act: (c) => c.project("acme/widget"), says: 'project slug "acme/widget" is not of the form vcs/org/repo' },
];

for (const refusal of refusals) {
  test(`one sentence for ${refusal.name}, with no token in it`, async ({ circleci, client }) => {
    refusal.arrange?.(circleci);
    const error = await refusal.act(client(refusal.token)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain(refusal.says);
    expect((error as Error).message).not.toContain(refusal.token ?? TOKEN);
    if (refusal.name !== "a malformed slug") expect(error).toBeInstanceOf(CircleciError);
  });
}

// The outbound policy (src/http/policy.ts): CircleCI's client follows no redirect, so a 3xx pointing
// elsewhere gets neither Circle-Token nor the new token's value (issue 21, the critical break).
const redirects: Array<{
  status: number;
  rule: { method: string; path: string | RegExp };
  act: (c: CircleciClient) => Promise<unknown>;
  what: string;
}> = [
  {
    status: 307,
    rule: { method: "POST", path: `/api/v2/project/${SLUG}/envvar` },
    act: async (c) => (await c.me(), c.setProjectEnvVar(SLUG, "NPM_TOKEN", new Secret(`npm_${"r".repeat(32)}RED1`, "npm token"))),
    what: "setting NPM_TOKEN in gh/acme/widget",
  },
  {
    status: 308,
    rule: { method: "POST", path: /^\/api\/v3\/contexts\/[^/]+\/env-vars\/set$/ },
    act: async (c) => {
      const context = await c.findContext(ORG.id, "publishing");
      return c.setContextEnvVar(context?.id ?? "", "NPM_TOKEN", new Secret(`npm_${"r".repeat(32)}RED2`, "npm token"));
    },
    what: "setting NPM_TOKEN in the context",
  },
  { status: 302, rule: { method: "GET", path: "/api/v2/me" }, act: (c) => c.me(), what: "checking the CircleCI token" },
];

for (const { status, rule, act, what } of redirects) {
  test(`a ${status} on ${rule.method} ${what} pointing elsewhere: nothing is sent there, one sentence naming it`, async ({
    circleci,
    client,
  }) => {
    const listener = await startHostileListener();
    try {
      const before = [circleci.envVar(SLUG, "NPM_TOKEN")?.value, circleci.contextEnvVar("publishing", "NPM_TOKEN")?.value];
      circleci.faults.add({ ...rule, times: 5, fault: { kind: "status", status, headers: { Location: `${listener.url}/collect` } } });
      const error = await act(client()).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(CircleciError);
      expect((error as Error).message).toBe(
        `CircleCI at ${circleci.apiUrl} answered with a redirect to ${listener.url} while ${what}; rotate follows no redirect, so neither the CircleCI token nor anything else was sent to ${listener.url}: --circleci-url must be CircleCI's API v2 itself (e.g. https://circleci.com/api/v2), not an address that forwards`,
      );
      expect(listener.received).toEqual([]);
      // Not retried either: one request, answered with the redirect.
      expect(circleci.faults.hits).toHaveLength(1);
      expect([circleci.envVar(SLUG, "NPM_TOKEN")?.value, circleci.contextEnvVar("publishing", "NPM_TOKEN")?.value]).toEqual(before);
    } finally {
      await listener.close();
    }
  });
}

test("an unreachable CircleCI is named with the address and what to check", async () => {
  const unreachable = new CircleciClient({
    baseUrl: "http://127.0.0.1:9/api/v2",
    token: new Secret(TOKEN, "CircleCI token"),
    retry: { sleep: async () => undefined },
  });
  const error = await unreachable.me().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect((error as Error).message).toBe(
    "cannot reach CircleCI at http://127.0.0.1:9/api/v2 while checking the CircleCI token (ECONNREFUSED): check the network or --circleci-url, then rerun",
  );
});

test("a CircleCI that accepts connections but never answers: each retry is said, and the call fails as not answering within its budget", async () => {
  // Connections are taken and never answered; each socket is kept so the server can close.
  const sockets: Socket[] = [];
  const silent = createServer((socket) => void sockets.push(socket));
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  const { port } = silent.address() as AddressInfo;
  const notices: string[] = [];
  try {
    const client = new CircleciClient({
      baseUrl: `http://127.0.0.1:${port}/api/v2`,
      token: new Secret(TOKEN, "CircleCI token"),
      timeoutMs: 200,
      policy: { attempts: 5, baseDelayMs: 10, maxDelayMs: 10, maxTotalWaitMs: 60_000, noAnswerBudgetMs: 700 },
      retry: { sleep: async () => undefined, onRetry: ({ reason }) => void notices.push(reason) },
    });
    const error = await client.me().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CircleciError);
    expect((error as Error).message).toBe(
      `CircleCI at http://127.0.0.1:${port}/api/v2 is not answering (nothing within 1 s while checking the CircleCI token); nothing changed: check the network or CircleCI's status page (status.circleci.com), then rerun`,
    );
    // Tries of 200 ms until the 700 ms budget: three or four, not five of them.
    expect(notices.length).toBeGreaterThanOrEqual(2);
    expect(notices.length).toBeLessThan(4);
    expect(notices.every((reason) => reason === "failed (ECONNABORTED)")).toBe(true);
  } finally {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  }
});

// What a mock generated from CircleCI's published spec answers, and what the real API may: shapes
// our replica does not produce on its own, injected as whole answers.
test.describe("answers shaped like the spec", () => {
  const ENVVARS = `/api/v2/project/${SLUG}/envvar`;
  const answer = (body: unknown): Fault => ({
    kind: "status",
    status: 200,
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });

  test("a next_page_token that repeats ends the listing after the second request, and the error says why", async ({ circleci, client }) => {
    test.setTimeout(10_000); // without the guard this loops until the timeout
    circleci.faults.add({
      method: "GET",
      path: ENVVARS,
      times: Infinity,
      fault: answer({ items: [{ name: "foo", value: "xxxx1234" }], next_page_token: "string" }),
    });
    const error = await client()
      .projectEnvVars(SLUG)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(CircleciError);
    expect((error as Error).message).toBe(
      `CircleCI sent the same next_page_token twice while listing environment variables of ${SLUG}: rotate stopped rather than ask for the same page again; rerun, and report it to CircleCI support if it persists`,
    );
    expect(calls(circleci)).toEqual([`GET ${ENVVARS}`, `GET ${ENVVARS} (page 2+)`]);
  });

  test("a listing longer than the page limit stops at the limit, and the error names it", async ({ circleci, client }) => {
    for (const name of ["A_VAR", "B_VAR", "C_VAR"]) circleci.setEnvVar(SLUG, name, "value-1234");
    const error = await client(TOKEN, { maxPages: 3 })
      .projectEnvVars(SLUG)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect((error as Error).message).toBe(
      `CircleCI had more than 3 pages while listing environment variables of ${SLUG}: rotate stopped at its page limit rather than page on; rerun, and report it to CircleCI support if it persists`,
    );
    expect(circleci.calls).toHaveLength(3);
  });

  test("a created-at of an unexpected type costs that item its date, not the whole list", async ({ circleci, client }) => {
    circleci.faults.add({
      method: "GET",
      path: ENVVARS,
      fault: answer({
        items: [
          { name: "PYPI_TOKEN", value: "xxxxOLD1", "created-at": 1681507214000 },
          { name: "NPM_TOKEN", value: "xxxxPRJ1", "created-at": { "#joda/inst": "2023-04-14" } },
          { name: "SPEC_EXAMPLE", value: "xxxx1234", "created-at": "#joda/inst 2023-04-14T21:20:14+0000" },
          { name: "NO_DATE", value: "xxxx5678" },
        ],
        next_page_token: null,
      }),
    });
    expect(await client().projectEnvVars(SLUG)).toEqual([
      { name: "PYPI_TOKEN", last4: "OLD1", setAt: undefined },
      { name: "NPM_TOKEN", last4: "PRJ1", setAt: undefined },
      { name: "SPEC_EXAMPLE", last4: "1234", setAt: new Date("2023-04-14T21:20:14Z") },
      { name: "NO_DATE", last4: "5678", setAt: undefined },
    ]);
  });

  test("a 200,000-item answer is read without overflowing the stack", async ({ circleci, client }) => {
    const items = Array.from({ length: 200_000 }, (_, i) => ({ name: `VAR_${i}`, value: `xxxx${String(i % 10_000).padStart(4, "0")}` }));
    circleci.faults.add({ method: "GET", path: ENVVARS, fault: answer({ items, next_page_token: null }) });
    const started = Date.now();
    const listed = await client().projectEnvVars(SLUG);
    test.info().annotations.push({ type: "measured", description: `200,000 variables read in ${Date.now() - started} ms` });
    expect(listed).toHaveLength(200_000);
    expect(listed.at(-1)).toEqual({ name: "VAR_199999", last4: "9999", setAt: undefined });
    expect(circleci.calls).toHaveLength(1);
  });

  test("a context variable without truncated_value (the spec's shape) is set, its last four unknown", async () => {
    const replica = await startCircleciReplica({
      tokens: [{ value: TOKEN, user: { id: "u-1", login: "alice", name: "Alice" } }],
      projects: [{ slug: SLUG, organization: ORG }],
      contexts: [{ name: "publishing", organizationId: ORG.id, envVars: { NPM_TOKEN: `npm_${"x".repeat(32)}CTX1` } }],
      truncatedValue: false,
      now: () => new Date("2026-11-24T08:00:00Z"),
    });
    try {
      const client = new CircleciClient({
        baseUrl: replica.apiUrl,
        token: new Secret(TOKEN, "CircleCI token"),
        retry: { sleep: async () => undefined },
      });
      const [{ held }] = await destinations(client, { projectSlug: SLUG, envVar: "NPM_TOKEN", context: "publishing" });
      expect(held).toEqual({ last4: undefined, setAt: new Date("2026-11-24T08:00:00Z") });
      expect(describeHeld(held)).toBe("set (CircleCI shows no last four characters), updated 2026-11-24 08:00 UTC");
      expect(describeHeld({ last4: "CTX1" })).toBe("holds …CTX1");
      expect(describeHeld(undefined)).toBe("not set yet");
    } finally {
      await replica.close();
    }
  });
});

test.describe("messages that fit the failure", () => {
  test("a 404 on the token check says the URL looks wrong (here: the origin without /api/v2)", async ({ circleci }) => {
    const client = new CircleciClient({
      baseUrl: circleci.url,
      token: new Secret(TOKEN, "CircleCI token"),
      retry: { sleep: async () => undefined },
    });
    const error = await client.me().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as Error).message).toBe(
      `CircleCI answered 404 to the token check (GET /me) at ${circleci.url}: the URL looks wrong; --circleci-url must be CircleCI's API v2 base URL, e.g. https://circleci.com/api/v2`,
    );
  });

  test.describe("on v2 (no v3 here)", () => {
    test.use({ knobs: { contextsV3: false } });
    for (const [status, path] of [
      [400, "/api/v2/context"],
      [422, "/api/v2/context"],
      [422, /^\/api\/v2\/context\/[^/]+\/environment-variable$/],
    ] as const) {
      test(`a ${status} on the context lookup ${typeof path === "string" ? "(contexts)" : "(its variables)"} does not blame the project slug`, async ({
        circleci,
        client,
      }) => {
        circleci.faults.add({
          method: "GET",
          path,
          fault: {
            kind: "status",
            status,
            headers: { "Content-Type": "application/json" },
            body: '{"message" : "Request query parameter owner-id must match format \\"uuid\\""}',
          },
        });
        const error = await preflightCircleci(client(), [{ projectSlug: SLUG, envVar: "NPM_TOKEN", context: "publishing" }]).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(CircleciError);
        const what = typeof path === "string" ? "listing the organization's contexts" : "listing the context's variables";
        expect((error as Error).message).toBe(
          `CircleCI did not accept the request while ${what} (${status}: Request query parameter owner-id must match format "uuid"): the organization and context ids in it came from CircleCI itself, so check that --circleci-url is CircleCI's API v2 and rerun`,
        );
      });
    }
  });

  test("text from CircleCI cannot drive the terminal: the login is made inert before any message uses it", async () => {
    const replica = await startCircleciReplica({
      tokens: [
        {
          value: VIEWER,
          // A right-to-left override (and the other bidirectional controls) would reorder what the terminal shows.
          user: { id: "u-2", login: "vic\x1b[2J\x1b]52;c;ZXZpbA==\x07\u202etor", name: "Vic\u2066\u200ftor\u2069\x1b]0;pwned\x07" },
          role: "viewer",
        },
      ],
      projects: [{ slug: SLUG, organization: ORG }],
    });
    try {
      const client = new CircleciClient({
        baseUrl: replica.apiUrl,
        token: new Secret(VIEWER, "CircleCI token"),
        retry: { sleep: async () => undefined },
      });
      expect(await client.me()).toEqual({ id: "u-2", login: "victor", name: "Victor" });
      const error = await client.setProjectEnvVar(SLUG, "PYPI_TOKEN", new Secret("pypi-x", "PyPI token")).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((error as Error).message).toContain("victor needs permission");
      expect((error as Error).message).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]/);
    } finally {
      await replica.close();
    }
  });
});

// `rotate trust npm` finds the ids npm's trusted publishing matches, and retires the token variable.
test.describe("calls for trusted publishing", () => {
  test("projectIdentity: one GET of the project, slug sent escaped; ids and the VCS origin without scheme or trailing slash", async ({
    circleci,
    client,
  }) => {
    expect(await client().projectIdentity(SLUG)).toEqual({
      slug: SLUG,
      projectId: PROJECT_ID,
      organizationId: ORG.id,
      organizationSlug: "gh/acme",
      vcsOrigin: "github.com/acme/widget",
    });
    expect(circleci.calls.map((c) => [c.method, c.rawPath, c.body])).toEqual([["GET", "/api/v2/project/gh%2Facme%2Fwidget", undefined]]);
  });

  test("pipelineDefinitions: one GET by project id, each definition with its id, name and config file", async ({ circleci, client }) => {
    expect(await client().pipelineDefinitions(PROJECT_ID)).toEqual([
      { id: DEFINITIONS[0]!.id, name: "build-and-publish", configFile: ".circleci/config.yml", repo: "acme/widget" },
      { id: DEFINITIONS[1]!.id, name: "nightly", description: "Nightly checks", configFile: ".circleci/nightly.yml", repo: "acme/widget" },
    ]);
    expect(circleci.calls.map((c) => [c.method, c.path, c.body])).toEqual([
      ["GET", `/api/v2/projects/${PROJECT_ID}/pipeline-definitions`, undefined],
    ]);
  });

  test("pipelineDefinitions of a project CircleCI does not show: one sentence pointing at Project Settings", async ({ client }) => {
    const error = await client()
      .pipelineDefinitions("00000000-0000-4000-8000-000000000000")
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect((error as Error).message).toBe(
      "CircleCI answered 404 while listing the project's pipeline definitions: this CircleCI may not offer pipeline definitions on API v2; copy the id from Project Settings → Project Setup and pass it with --pipeline-definition",
    );
  });

  test("contexts: every page of the organization's contexts, with their ids", async ({ circleci, client }) => {
    const contexts = await client().contexts(ORG.id);
    expect(contexts.map((c) => c.name)).toEqual(["publishing", "deploy"]);
    for (const context of contexts) expect(context.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(calls(circleci)).toEqual(["GET /api/v3/contexts", "GET /api/v3/contexts (page 2+)"]);
    expect(circleci.calls.every((c) => c.query["filter[org_id]"] === ORG.id)).toBe(true);
  });

  test("deleteProjectEnvVar: one DELETE of the variable, no body; true, then false once it is gone", async ({ circleci, client }) => {
    expect(await client().deleteProjectEnvVar(SLUG, "NPM_TOKEN")).toBe(true);
    expect(circleci.envVar(SLUG, "NPM_TOKEN")).toBeUndefined();
    expect(circleci.envVar(SLUG, "PYPI_TOKEN")?.value).toBe(OLD);
    expect(await client().deleteProjectEnvVar(SLUG, "NPM_TOKEN")).toBe(false);
    expect(circleci.calls.map((c) => [c.method, c.rawPath, c.body])).toEqual([
      ["DELETE", "/api/v2/project/gh%2Facme%2Fwidget/envvar/NPM_TOKEN", undefined],
      ["DELETE", "/api/v2/project/gh%2Facme%2Fwidget/envvar/NPM_TOKEN", undefined],
    ]);
  });

  test("deleteContextEnvVar: one DELETE of the context's variable (v3: its name a filter), no body; true, then false", async ({
    circleci,
    client,
  }) => {
    const publishing = await client().findContext(ORG.id, "publishing");
    circleci.calls.length = 0;
    expect(await client().contextEnvVars(publishing!.id)).toEqual([{ name: "NPM_TOKEN", last4: undefined, setAt: expect.any(Date) }]);
    expect(await client().deleteContextEnvVar(publishing!.id, "NPM_TOKEN")).toBe(true);
    expect(circleci.contextEnvVar("publishing", "NPM_TOKEN")).toBeUndefined();
    expect(await client().deleteContextEnvVar(publishing!.id, "NPM_TOKEN")).toBe(false);
    const deletion = [`/api/v3/contexts/${publishing!.id}/env-vars`, { "filter[name]": "NPM_TOKEN" }, undefined];
    expect(circleci.calls.map((c) => [c.method, c.path, c.query, c.body])).toEqual([
      ["GET", `/api/v3/contexts/${publishing!.id}/env-vars`, { "page[limit]": "100" }, undefined],
      ["DELETE", ...deletion],
      ["DELETE", ...deletion],
    ]);
  });

  test("a viewer deleting is refused in one sentence and nothing is deleted", async ({ circleci, client }) => {
    const error = await client(VIEWER)
      .deleteProjectEnvVar(SLUG, "NPM_TOKEN")
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect((error as Error).message).toBe(
      "CircleCI refused deleting NPM_TOKEN from gh/acme/widget (403, permission denied): the token's user needs permission to manage this project's or context's variables",
    );
    expect(circleci.envVar(SLUG, "NPM_TOKEN")).toBeDefined();
  });
});
