// The CircleCI client against the CircleCI replica: every call it makes, with its body, and one
// sentence for each way CircleCI can say no.
import { expect, test as base } from "@playwright/test";
import { CircleciClient } from "../src/circleci.js";
import { confirmHolds, preflightCircleci, type PreflightedDestination, type TargetSpec } from "../src/circleci-target.js";
import { CircleciError } from "../src/errors.js";
import { startCircleciReplica, type CircleciReplica, type Fault } from "rotate-replicas";
import { Secret } from "../src/secret.js";

const ORG = { name: "acme", slug: "gh/acme", id: "5a1d2c3e-8a7b-4c5d-9e0f-1a2b3c4d5e6f" };
const SLUG = "gh/acme/widget";
const TOKEN = "CCIPAT_abcdefghijklmnopqrstuv_0123456789abcdef0123456789abcdef01234567";
const VIEWER = "CCIPAT_viewerviewerviewerview_0123456789abcdef0123456789abcdef01234567";
const OLD = `pypi-${"o".repeat(60)}OLD1`;

interface Fixtures {
  circleci: CircleciReplica;
  waits: number[];
  client: (token?: string) => CircleciClient;
}

const test = base.extend<Fixtures>({
  circleci: async ({}, use) => {
    const replica = await startCircleciReplica({
      tokens: [
        { value: TOKEN, user: { id: "u-1", login: "alice", name: "Alice" } },
        { value: VIEWER, user: { id: "u-2", login: "victor", name: "Victor" }, role: "viewer" },
      ],
      projects: [{ slug: SLUG, organization: ORG, envVars: { NPM_TOKEN: `npm_${"p".repeat(32)}PRJ1`, PYPI_TOKEN: OLD } }],
      contexts: [{ name: "publishing", organizationId: ORG.id, envVars: { NPM_TOKEN: `npm_${"x".repeat(32)}CTX1` } }],
      pageSize: 1, // so every list is paged and the client must follow next_page_token
    });
    await use(replica);
    await replica.close();
  },
  waits: async ({}, use) => use([]),
  client: async ({ circleci, waits }, use) =>
    use(
      (token = TOKEN) =>
        new CircleciClient({
          baseUrl: circleci.apiUrl,
          token: new Secret(token, "CircleCI token"),
          // Waits are recorded, not slept: the test checks Retry-After was honoured.
          retry: { sleep: async (ms) => void waits.push(ms), random: () => 0.5 },
        }),
    ),
});

/** The one destination a spec names, preflighted. */
async function destinations(client: CircleciClient, spec: TargetSpec): Promise<[PreflightedDestination]> {
  const [only] = (await preflightCircleci(client, [spec])).destinations;
  if (!only) throw new Error("preflight found no destination");
  return [only];
}

const calls = (replica: CircleciReplica) => replica.calls.map((c) => `${c.method} ${c.path}${c.query["page-token"] ? " (page 2+)" : ""}`);

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
  expect(writes.map((c) => [c.method, c.path, c.body])).toEqual([["POST", `/api/v2/project/${SLUG}/envvar`, { name: "PYPI_TOKEN", value: value.reveal() }]]);
  expect(circleci.envVar(SLUG, "PYPI_TOKEN")?.value).toBe(value.reveal());
});

test("a context is found by name through the project's organization, and written with one PUT of the value", async ({ circleci, client }) => {
  const [{ target, held }] = await destinations(client(), { projectSlug: SLUG, envVar: "NPM_TOKEN", context: "publishing" });
  expect(held?.last4).toBe("CTX1");
  const value = new Secret(`npm_${"y".repeat(32)}NEW3`, "npm token", { showLast4: true });
  await target.write(value);
  expect(await confirmHolds(target, value, held)).toEqual({ holds: true });
  const contextList = circleci.calls.find((c) => c.path === "/api/v2/context");
  expect(contextList?.query["owner-id"]).toBe(ORG.id);
  const writes = circleci.calls.filter((c) => c.method !== "GET");
  expect(writes.map((c) => [c.method, c.body])).toEqual([["PUT", { value: value.reveal() }]]);
  expect(writes[0]?.path).toMatch(/^\/api\/v2\/context\/[0-9a-f-]+\/environment-variable\/NPM_TOKEN$/);
  expect(circleci.contextEnvVar("publishing", "NPM_TOKEN")?.value).toBe(value.reveal());
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

const refusals: Array<{ name: string; token?: string; arrange?: (c: CircleciReplica) => void; act: (client: CircleciClient) => Promise<unknown>; says: string }> = [
  { name: "a bad token (401 on /me)", token: "CCIPAT_wrong", act: (c) => c.me(), says: "CircleCI rejected the API token (401): create a personal API token" },
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
    const error = await refusal.act(client(refusal.token)).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain(refusal.says);
    expect((error as Error).message).not.toContain(refusal.token ?? TOKEN);
    if (refusal.name !== "a malformed slug") expect(error).toBeInstanceOf(CircleciError);
  });
}

test("an unreachable CircleCI is named with the address and what to check", async () => {
  const unreachable = new CircleciClient({ baseUrl: "http://127.0.0.1:9/api/v2", token: new Secret(TOKEN, "CircleCI token"), retry: { sleep: async () => undefined } });
  const error = await unreachable.me().then(() => undefined, (e: unknown) => e);
  expect((error as Error).message).toBe("cannot reach CircleCI at http://127.0.0.1:9/api/v2 while checking the CircleCI token (ECONNREFUSED): check the network or --circleci-url, then rerun");
});
