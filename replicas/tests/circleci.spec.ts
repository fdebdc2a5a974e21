// The CircleCI replica (API v2, and API v3 for contexts) answers as docs/sites/circleci.md says the live API does.
import { createPublicKey, verify, type JsonWebKey } from "node:crypto";
import { test as base, expect } from "@playwright/test";
import { startCircleciReplica, type CircleciReplica, type CircleciReplicaOptions } from "rotate-replicas";

const ACME = { name: "Acme", slug: "gh/Acme", id: "5d1a3c52-7d5b-4a4e-9a43-1f8e0c3f0a01" };
const OTHER = { name: "Other", slug: "gh/Other", id: "5d1a3c52-7d5b-4a4e-9a43-1f8e0c3f0a02" };
const CONTEXT_ID = "a7e0c8a4-52b6-4d5e-8c2f-3b9e1d6f7a10";
const WIDGET_ID = "9f0e2d4c-0000-4000-8000-00000000000a";
const PUBLISH_PIPELINE = "c0ffee00-1111-4222-8333-444455556666";
const NIGHTLY_PIPELINE = "c0ffee00-1111-4222-8333-777788889999";
const ADMIN = "CCIPAT_admin";
const VIEWER = "CCIPAT_viewer";
const OUTSIDER = "CCIPAT_outsider";
const OLD_NPM = "npm_oldOLDoldOLDold1111";
const NEW_NPM = "npm_newNEWnewNEWnew2222";
const START = Date.parse("2026-11-24T08:00:00.000Z");

interface Answer {
  status: number;
  text: string;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- an answer under test, checked by expect()
  headers: Headers;
}
type Call = (
  path: string,
  /** `api: "v3"`: under /api/v3 instead of /api/v2. */
  init?: { method?: string; token?: string | null; headers?: Record<string, string>; body?: unknown; api?: "v3" },
) => Promise<Answer>;

const test = base.extend<{ knobs: Partial<CircleciReplicaOptions>; clock: { ms: number }; replica: CircleciReplica; call: Call }>({
  knobs: [{}, { option: true }],
  clock: async ({}, use) => use({ ms: START }),
  replica: async ({ knobs, clock }, use) => {
    const replica = await startCircleciReplica({
      tokens: [
        { value: ADMIN, user: { id: "11111111-1111-4111-8111-111111111111", login: "alice", name: "Alice" } },
        { value: VIEWER, user: { id: "22222222-2222-4222-8222-222222222222", login: "bob", name: "Bob" }, role: "viewer" },
        { value: OUTSIDER, user: { id: "33333333-3333-4333-8333-333333333333", login: "eve", name: "Eve" }, organizations: ["gh/Other"] },
      ],
      projects: [
        {
          slug: "gh/Acme/Widget",
          id: WIDGET_ID,
          organization: ACME,
          envVars: { NPM_TOKEN: OLD_NPM, OTHER_VAR: "abc123" },
          pipelineDefinitions: [
            { id: PUBLISH_PIPELINE, name: "build-and-publish" },
            { id: NIGHTLY_PIPELINE, name: "nightly", description: "Nightly checks", configFilePath: ".circleci/nightly.yml" },
          ],
        },
        { slug: "gh/Other/thing", organization: OTHER },
      ],
      contexts: [
        { id: CONTEXT_ID, name: "publishing", organizationId: ACME.id, envVars: { PYPI_TOKEN: "pypi-oldvalue9876" } },
        { name: "deploy", organizationId: ACME.id },
        { name: "elsewhere", organizationId: OTHER.id },
      ],
      now: () => new Date(clock.ms),
      ...knobs,
    });
    await use(replica);
    await replica.close();
  },
  // Plain fetch, so each test controls the exact auth headers and sees the raw body text.
  call: async ({ replica }, use) => {
    await use(async (path, init = {}) => {
      const headers: Record<string, string> = { Accept: "application/json", ...init.headers };
      if (init.token !== null) headers["Circle-Token"] ??= init.token ?? ADMIN;
      if (init.body !== undefined) headers["Content-Type"] = "application/json";
      const res = await fetch((init.api === "v3" ? replica.v3Url : replica.apiUrl) + path, {
        method: init.method ?? "GET",
        headers,
        body: init.body === undefined ? undefined : typeof init.body === "string" ? init.body : JSON.stringify(init.body),
      });
      const text = await res.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      return { status: res.status, text, json, headers: res.headers };
    });
  },
});

test.describe("authentication", () => {
  test("GET /me accepts Circle-Token, Bearer and both Basic forms", async ({ replica, call }) => {
    const alice = { id: "11111111-1111-4111-8111-111111111111", login: "alice", name: "Alice" };
    const forms: Record<string, string>[] = [
      { "Circle-Token": ADMIN },
      { Authorization: `Bearer ${ADMIN}` },
      { Authorization: `Basic ${Buffer.from(`${ADMIN}:`).toString("base64")}` },
      { Authorization: `Basic ${Buffer.from(ADMIN).toString("base64")}` },
    ];
    for (const headers of forms) {
      const answer = await call("/me", { token: null, headers });
      expect(answer.status).toBe(200);
      expect(answer.json).toEqual(alice);
    }
    expect(replica.calls.map((c) => c.auth)).toEqual(["circle-token", "bearer", "basic", "basic"]);
  });

  test("GET /me with a bad or missing token is 401 'You must log in first.'", async ({ replica, call }) => {
    for (const token of ["CCIPAT_nope", null]) {
      const answer = await call("/me", { token });
      expect(answer.status).toBe(401);
      expect(answer.json).toEqual({ message: "You must log in first." });
    }
    expect(replica.calls.map((c) => c.auth)).toEqual(["circle-token", "none"]);
  });

  test("query-parameter auth is refused with the deprecation message, even with a good token", async ({ replica, call }) => {
    const answer = await call(`/me?circle-token=${ADMIN}`, { token: null });
    expect(answer.status).toBe(401);
    expect(answer.json.message).toBe(
      "Support for query parameter authentication has been deprecated to improve security. Please use a supported authentication method such as header-based, or basic authentication.",
    );
    const project = await call(`/project/gh/Acme/Widget/envvar?circle-token=${ADMIN}`, { token: null });
    expect(project.status).toBe(401);
    expect(replica.calls[0]).toMatchObject({ auth: "query", query: { "circle-token": ADMIN } });
  });

  test("JSON is pretty-printed with a space before the colon", async ({ call }) => {
    const answer = await call("/me", { token: "bad" });
    expect(answer.headers.get("content-type")).toMatch(/^application\/json/);
    expect(answer.text).toBe('{\n  "message" : "You must log in first."\n}');
    expect(answer.headers.get("x-powered-by")).toBeNull();
  });

  test("GET /me/collaborations lists the user's organizations", async ({ call }) => {
    const all = await call("/me/collaborations");
    expect(all.status).toBe(200);
    expect(all.json).toEqual([
      { id: ACME.id, "vcs-type": "github", name: "Acme", avatar_url: "", slug: "gh/Acme" },
      { id: OTHER.id, "vcs-type": "github", name: "Other", avatar_url: "", slug: "gh/Other" },
    ]);
    const outsider = await call("/me/collaborations", { token: OUTSIDER });
    expect(outsider.json.map((org: { slug: string }) => org.slug)).toEqual(["gh/Other"]);
    expect((await call("/me/collaborations", { token: "bad" })).status).toBe(401);
  });
});

test.describe("project", () => {
  const widget = {
    slug: "gh/Acme/Widget",
    name: "Widget",
    id: "9f0e2d4c-0000-4000-8000-00000000000a",
    organization_name: "Acme",
    organization_slug: "gh/Acme",
    organization_id: ACME.id,
    vcs_info: { vcs_url: "https://github.com/Acme/Widget", provider: "GitHub", default_branch: "main" },
  };

  test("GET /project/{slug} takes literal and %2F slashes, any case, and github/ for gh/", async ({ replica, call }) => {
    for (const slug of ["gh/Acme/Widget", "gh%2FAcme%2FWidget", "gh%2facme%2fwidget", "github/ACME/widget"]) {
      const answer = await call(`/project/${slug}`);
      expect(answer.status, slug).toBe(200);
      expect(answer.json).toEqual(widget);
    }
    expect(replica.calls[1]?.path).toBe("/api/v2/project/gh/Acme/Widget");
  });

  test("a bad token, an unknown slug or an org outside the user's is 404 'Project not found'", async ({ call }) => {
    const cases = [
      { path: "/project/gh/Acme/Widget", token: "CCIPAT_nope" },
      { path: "/project/gh/Acme/Widget/envvar", token: null },
      { path: "/project/gh/Acme/Nothing", token: ADMIN },
      { path: "/project/gh/Acme/Widget", token: OUTSIDER },
      { path: "/project/gh/Acme/Widget/envvar/NPM_TOKEN", token: OUTSIDER },
    ];
    for (const { path, token } of cases) {
      const answer = await call(path, { token });
      expect(answer.status, path).toBe(404);
      expect(answer.text).toBe('{\n  "message" : "Project not found"\n}');
    }
    expect((await call("/project/gh/Other/thing", { token: OUTSIDER })).status).toBe(200);
  });
});

test.describe("project environment variables", () => {
  test("list and get return masked values with created-at (hyphen)", async ({ call }) => {
    const list = await call("/project/gh%2FAcme%2FWidget/envvar");
    expect(list.status).toBe(200);
    expect(list.json).toEqual({
      items: [
        { name: "NPM_TOKEN", value: "xxxx1111", "created-at": "2026-11-24T08:00:00.000Z" },
        { name: "OTHER_VAR", value: "xxxxc123", "created-at": "2026-11-24T08:00:00.000Z" },
      ],
      next_page_token: null,
    });
    const one = await call("/project/gh/Acme/Widget/envvar/NPM_TOKEN");
    expect(one.status).toBe(200);
    expect(one.json).toEqual({ name: "NPM_TOKEN", value: "xxxx1111", "created-at": "2026-11-24T08:00:00.000Z" });
    expect(one.text).not.toContain(OLD_NPM);
  });

  test("POST creates or overwrites, answering 201 with the masked value", async ({ replica, call, clock }) => {
    clock.ms += 60_000;
    const replaced = await call("/project/gh/Acme/Widget/envvar", { method: "POST", body: { name: "NPM_TOKEN", value: NEW_NPM } });
    expect(replaced.status).toBe(201);
    expect(replaced.json).toEqual({ name: "NPM_TOKEN", value: "xxxx2222", "created-at": "2026-11-24T08:01:00.000Z" });
    expect(replica.envVar("gh/acme/widget", "NPM_TOKEN")).toEqual({ value: NEW_NPM, createdAt: new Date("2026-11-24T08:01:00.000Z") });

    const created = await call("/project/gh%2FAcme%2FWidget/envvar", { method: "POST", body: { name: "_NEW", value: "v" } });
    expect(created.status).toBe(201);
    expect(created.json.value).toBe("xxxxv");
    const names = (await call("/project/gh/Acme/Widget/envvar")).json.items.map((item: { name: string }) => item.name);
    expect(names).toEqual(["NPM_TOKEN", "OTHER_VAR", "_NEW"]);
    expect(replica.calls.at(-2)?.body).toEqual({ name: "_NEW", value: "v" });
  });

  test("GET and DELETE of a missing name are 404; DELETE answers 200 'Deleted.'", async ({ replica, call }) => {
    const missing = await call("/project/gh/Acme/Widget/envvar/NOPE");
    expect(missing.status).toBe(404);
    expect(missing.json).toEqual({ message: "Environment variable not found." });

    const deleted = await call("/project/gh%2FAcme%2FWidget/envvar/NPM_TOKEN", { method: "DELETE" });
    expect(deleted.status).toBe(200);
    expect(deleted.json).toEqual({ message: "Deleted." });
    expect(replica.envVar("gh/Acme/Widget", "NPM_TOKEN")).toBeUndefined();

    const again = await call("/project/gh/Acme/Widget/envvar/NPM_TOKEN", { method: "DELETE" });
    expect(again.status).toBe(404);
    expect(again.json).toEqual({ message: "Environment variable not found." });
  });

  test("a malformed body or name is 400 with a message, and the raw body is recorded", async ({ replica, call }) => {
    const bodies: unknown[] = [
      { name: "NPM_TOKEN" },
      { value: "x" },
      { name: "NPM_TOKEN", value: 42 },
      { name: "1NPM", value: "x" },
      { name: "NPM-TOKEN", value: "x" },
      { name: "A".repeat(301), value: "x" },
      "{not json",
    ];
    for (const body of bodies) {
      const answer = await call("/project/gh/Acme/Widget/envvar", { method: "POST", body });
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(typeof answer.json.message).toBe("string");
    }
    expect((await call("/project/gh/Acme/Widget/envvar", { method: "POST", body: { name: "1NPM", value: "x" } })).json.message).toMatch(
      /^Invalid environment variable name/,
    );
    expect(replica.calls[6]?.body).toBe("{not json");
    expect(replica.envVar("gh/Acme/Widget", "NPM_TOKEN")?.value).toBe(OLD_NPM);
  });

  test("a viewer can read but writes are 403 'Permission denied.'", async ({ replica, call }) => {
    expect((await call("/project/gh/Acme/Widget/envvar", { token: VIEWER })).status).toBe(200);
    const post = await call("/project/gh/Acme/Widget/envvar", {
      method: "POST",
      token: VIEWER,
      body: { name: "NPM_TOKEN", value: NEW_NPM },
    });
    expect(post.status).toBe(403);
    expect(post.json).toEqual({ message: "Permission denied." });
    const del = await call("/project/gh/Acme/Widget/envvar/NPM_TOKEN", { method: "DELETE", token: VIEWER });
    expect(del.status).toBe(403);
    expect(replica.envVar("gh/Acme/Widget", "NPM_TOKEN")?.value).toBe(OLD_NPM);
  });

  test("setEnvVar stores a raw value the API then shows masked", async ({ replica, call }) => {
    replica.setEnvVar("gh/Acme/Widget", "PYPI_TOKEN", "pypi-seeded5555");
    expect((await call("/project/gh/Acme/Widget/envvar/PYPI_TOKEN")).json.value).toBe("xxxx5555");
    expect(() => replica.setEnvVar("gh/Acme/Nothing", "X", "y")).toThrow(/unknown project/);
  });
});

test.describe("contexts", () => {
  test("listed by owner-id or owner-slug (literal or encoded), with created_at (underscore)", async ({ call }) => {
    const expected = {
      items: [
        { id: CONTEXT_ID, name: "publishing", created_at: "2026-11-24T08:00:00.000Z" },
        { id: expect.any(String), name: "deploy", created_at: "2026-11-24T08:00:00.000Z" },
      ],
      next_page_token: null,
    };
    for (const query of [
      `owner-id=${ACME.id}`,
      "owner-slug=gh%2FAcme",
      "owner-slug=gh/acme",
      "owner-slug=github%2FAcme&owner-type=organization",
    ]) {
      const answer = await call(`/context?${query}`);
      expect(answer.status, query).toBe(200);
      expect(answer.json).toEqual(expected);
    }
  });

  test("context list errors: no owner 400, unknown or foreign owner 404, bad token 401", async ({ call }) => {
    const noOwner = await call("/context");
    expect(noOwner.status).toBe(400);
    expect(typeof noOwner.json.message).toBe("string");
    for (const [query, token] of [
      ["owner-id=00000000-0000-4000-8000-000000000000", ADMIN],
      ["owner-slug=gh%2FAcme", OUTSIDER],
    ] as const) {
      const answer = await call(`/context?${query}`, { token });
      expect(answer.status, query).toBe(404);
      expect(answer.json).toEqual({ message: "Organization does not exist." });
    }
    const bad = await call(`/context?owner-id=${ACME.id}`, { token: "bad" });
    expect(bad.status).toBe(401);
    expect(bad.json).toEqual({ message: "You must log in first." });
  });

  test("GET /context/{id} answers the context (with the 2026 CLI's extra fields); unknown is 404", async ({ call }) => {
    const answer = await call(`/context/${CONTEXT_ID}`);
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({
      id: CONTEXT_ID,
      name: "publishing",
      created_at: "2026-11-24T08:00:00.000Z",
      org_id: ACME.id,
      environment_variables: [
        {
          variable: "PYPI_TOKEN",
          created_at: "2026-11-24T08:00:00.000Z",
          updated_at: "2026-11-24T08:00:00.000Z",
          context_id: CONTEXT_ID,
        },
      ],
      restrictions: [],
    });
    for (const [id, token] of [
      ["00000000-0000-4000-8000-000000000000", ADMIN],
      [CONTEXT_ID, OUTSIDER],
    ] as const) {
      const missing = await call(`/context/${id}/environment-variable`, { token });
      expect(missing.status).toBe(404);
      expect(missing.json).toEqual({ message: "Context not found." });
    }
  });

  test("env var list has the spec's four fields; PUT upserts with 200, no value, updated_at advancing", async ({
    replica,
    call,
    clock,
  }) => {
    const list = await call(`/context/${CONTEXT_ID}/environment-variable`);
    expect(list.json).toEqual({
      items: [
        {
          variable: "PYPI_TOKEN",
          created_at: "2026-11-24T08:00:00.000Z",
          updated_at: "2026-11-24T08:00:00.000Z",
          context_id: CONTEXT_ID,
        },
      ],
      next_page_token: null,
    });

    clock.ms += 5 * 60_000;
    const put = await call(`/context/${CONTEXT_ID}/environment-variable/PYPI_TOKEN`, {
      method: "PUT",
      body: { value: "pypi-newvalue4321" },
    });
    expect(put.status).toBe(200);
    expect(put.json).toEqual({
      variable: "PYPI_TOKEN",
      created_at: "2026-11-24T08:00:00.000Z",
      updated_at: "2026-11-24T08:05:00.000Z",
      context_id: CONTEXT_ID,
    });
    expect(replica.contextEnvVar("publishing", "PYPI_TOKEN")).toEqual({
      value: "pypi-newvalue4321",
      createdAt: new Date("2026-11-24T08:00:00.000Z"),
      updatedAt: new Date("2026-11-24T08:05:00.000Z"),
    });
    expect((await call(`/context/${CONTEXT_ID}/environment-variable`)).json.items[0].updated_at).toBe("2026-11-24T08:05:00.000Z");

    const created = await call(`/context/${CONTEXT_ID}/environment-variable/NPM_TOKEN`, { method: "PUT", body: { value: NEW_NPM } });
    expect(created.status).toBe(200);
    expect(created.json).toEqual({
      variable: "NPM_TOKEN",
      created_at: "2026-11-24T08:05:00.000Z",
      updated_at: "2026-11-24T08:05:00.000Z",
      context_id: CONTEXT_ID,
    });
  });

  test.describe("with truncatedValue: true (the newer shape)", () => {
    test.use({ knobs: { truncatedValue: true } });

    test("list and get carry truncated_value, the last four; the PUT answer never does", async ({ call }) => {
      const list = await call(`/context/${CONTEXT_ID}/environment-variable`);
      expect(list.json.items[0]).toEqual({
        variable: "PYPI_TOKEN",
        created_at: "2026-11-24T08:00:00.000Z",
        updated_at: "2026-11-24T08:00:00.000Z",
        context_id: CONTEXT_ID,
        truncated_value: "9876",
      });
      expect((await call(`/context/${CONTEXT_ID}`)).json.environment_variables[0].truncated_value).toBe("9876");
      const put = await call(`/context/${CONTEXT_ID}/environment-variable/PYPI_TOKEN`, {
        method: "PUT",
        body: { value: "pypi-newvalue4321" },
      });
      expect(put.json).not.toHaveProperty("truncated_value");
      expect((await call(`/context/${CONTEXT_ID}/environment-variable`)).json.items[0].truncated_value).toBe("4321");
    });
  });

  test("context PUT/DELETE: bad body or name 400, viewer 403, missing 404, delete 200", async ({ replica, call }) => {
    const path = `/context/${CONTEXT_ID}/environment-variable`;
    for (const body of [{}, { value: 7 }, "[oops"]) {
      expect((await call(`${path}/PYPI_TOKEN`, { method: "PUT", body })).status).toBe(400);
    }
    const badName = await call(`${path}/9LIVES`, { method: "PUT", body: { value: "x" } });
    expect(badName.status).toBe(400);
    expect(badName.json.message).toMatch(/^Invalid environment variable name/);

    for (const method of ["PUT", "DELETE"]) {
      const denied = await call(`${path}/PYPI_TOKEN`, { method, token: VIEWER, body: method === "PUT" ? { value: "x" } : undefined });
      expect(denied.status, method).toBe(403);
      expect(denied.json).toEqual({ message: "Permission denied." });
    }
    expect(replica.contextEnvVar("publishing", "PYPI_TOKEN")?.value).toBe("pypi-oldvalue9876");

    const deleted = await call(`${path}/PYPI_TOKEN`, { method: "DELETE" });
    expect(deleted.status).toBe(200);
    expect(typeof deleted.json.message).toBe("string");
    expect(replica.contextEnvVar("publishing", "PYPI_TOKEN")).toBeUndefined();
    const again = await call(`${path}/PYPI_TOKEN`, { method: "DELETE" });
    expect(again.status).toBe(404);
    expect(again.json).toEqual({ message: "Environment variable not found." });
  });
});

// docs/sites/circleci.md, "API v3 for contexts": the routes CircleCI's CLI calls since it moved contexts to v3.
test.describe("API v3 contexts", () => {
  const v3 = { api: "v3" } as const;
  const TITLES: Record<number, [string, string]> = {
    400: ["validation_error", "Bad Request"],
    401: ["unauthorized", "Unauthorized"],
    403: ["forbidden", "Forbidden"],
    404: ["not_found", "Not Found"],
  };
  const v3Error = (status: number, detail: string) => ({
    error: { type: TITLES[status]?.[0], id: expect.stringMatching(/^req_/), title: TITLES[status]?.[1], detail },
  });

  test("GET /contexts?filter[org_id]: {data: [{id, attributes: {name, created_at}}], page}; filter[name] is a case-insensitive substring", async ({
    call,
  }) => {
    const all = await call(`/contexts?filter%5Borg_id%5D=${ACME.id}&page%5Blimit%5D=100`, v3);
    expect(all.status).toBe(200);
    expect(all.json).toEqual({
      data: [
        { id: CONTEXT_ID, attributes: { name: "publishing", created_at: "2026-11-24T08:00:00.000Z" } },
        { id: expect.any(String), attributes: { name: "deploy", created_at: "2026-11-24T08:00:00.000Z" } },
      ],
      page: { next: null, prev: null },
    });
    // Brackets literal or encoded, as a client sends them; the Circle-Token header works as Bearer does.
    const named = await call(`/contexts?filter[org_id]=${ACME.id}&filter[name]=PUB`, {
      ...v3,
      token: null,
      headers: { Authorization: `Bearer ${ADMIN}` },
    });
    expect(named.json.data.map((c: { attributes: { name: string } }) => c.attributes.name)).toEqual(["publishing"]);
  });

  test("list refusals in v3's error shape: no org 400, not a UUID 400, limit outside 1..250 400, a foreign or unknown org 403, no token 401, Basic or query auth 401", async ({
    call,
  }) => {
    const cases: Array<[string, Parameters<Call>[1], number, string]> = [
      ["/contexts", v3, 400, "filter[org_id] is required"],
      ["/contexts?filter[org_id]=gh/Acme", v3, 400, "filter[org_id] must be a UUID"],
      [`/contexts?filter[org_id]=${ACME.id}&page[limit]=0`, v3, 400, "page[limit] must be between 1 and 250"],
      [`/contexts?filter[org_id]=${ACME.id}&page[limit]=251`, v3, 400, "page[limit] must be between 1 and 250"],
      [`/contexts?filter[org_id]=${ACME.id}`, { ...v3, token: OUTSIDER }, 403, "Forbidden"],
      ["/contexts?filter[org_id]=00000000-0000-4000-8000-000000000000", v3, 403, "Forbidden"],
      [`/contexts?filter[org_id]=${ACME.id}`, { ...v3, token: null }, 401, "You must log in first."],
      [
        `/contexts?filter[org_id]=${ACME.id}`,
        { ...v3, token: null, headers: { Authorization: `Basic ${Buffer.from(`${ADMIN}:`).toString("base64")}` } },
        401,
        "Use a Bearer token in the Authorization header, or the Circle-Token header.",
      ],
    ];
    for (const [path, init, status, detail] of cases) {
      const answer = await call(path, init);
      expect(answer.status, path).toBe(status);
      expect(answer.json, path).toEqual(v3Error(status, detail));
    }
    const query = await call(`/contexts?filter[org_id]=${ACME.id}&circle-token=${ADMIN}`, { ...v3, token: null });
    expect(query.status).toBe(401);
  });

  test("env vars: {attributes: {name, created_at, updated_at}, references: {context: {id}}}; set takes a flat {name, value}, answers 200 {data} without the value, and v2 reads what v3 wrote", async ({
    replica,
    call,
    clock,
  }) => {
    const list = await call(`/contexts/${CONTEXT_ID}/env-vars?page[limit]=100`, v3);
    expect(list.json).toEqual({
      data: [
        {
          attributes: { name: "PYPI_TOKEN", created_at: "2026-11-24T08:00:00.000Z", updated_at: "2026-11-24T08:00:00.000Z" },
          references: { context: { id: CONTEXT_ID } },
        },
      ],
      page: { next: null, prev: null },
    });
    clock.ms += 5 * 60_000;
    for (const name of ["PYPI_TOKEN", "NPM_TOKEN"]) {
      const set = await call(`/contexts/${CONTEXT_ID}/env-vars/set`, { ...v3, method: "POST", body: { name, value: NEW_NPM } });
      expect(set.status, name).toBe(200);
      expect(set.json.data.attributes).toMatchObject({ name, updated_at: "2026-11-24T08:05:00.000Z" });
      expect(set.text).not.toContain(NEW_NPM.slice(-4));
    }
    expect(replica.contextEnvVar("publishing", "PYPI_TOKEN")).toEqual({
      value: NEW_NPM,
      createdAt: new Date("2026-11-24T08:00:00.000Z"),
      updatedAt: new Date("2026-11-24T08:05:00.000Z"),
    });
    const throughV2 = await call(`/context/${CONTEXT_ID}/environment-variable`);
    expect(throughV2.json.items.map((v: { variable: string }) => v.variable)).toEqual(["PYPI_TOKEN", "NPM_TOKEN"]);
  });

  test.describe("with truncatedValue: true", () => {
    test.use({ knobs: { truncatedValue: true, pageSize: 1 } });

    test("the list carries truncated_value, pages by page.next / page[cursor], and set's answer never carries it", async ({ call }) => {
      await call(`/contexts/${CONTEXT_ID}/env-vars/set`, { ...v3, method: "POST", body: { name: "NPM_TOKEN", value: NEW_NPM } });
      const first = await call(`/contexts/${CONTEXT_ID}/env-vars`, v3);
      expect(first.json.data).toEqual([expect.objectContaining({ attributes: expect.objectContaining({ truncated_value: "9876" }) })]);
      expect(first.json.page).toEqual({ next: expect.any(String), prev: null });
      const second = await call(`/contexts/${CONTEXT_ID}/env-vars?page[cursor]=${encodeURIComponent(first.json.page.next)}`, v3);
      expect(second.json.data).toEqual([
        expect.objectContaining({ attributes: expect.objectContaining({ name: "NPM_TOKEN", truncated_value: "2222" }) }),
      ]);
      expect(second.json.page.next).toBeNull();
      const set = await call(`/contexts/${CONTEXT_ID}/env-vars/set`, {
        ...v3,
        method: "POST",
        body: { name: "NPM_TOKEN", value: NEW_NPM },
      });
      expect(set.json.data.attributes).not.toHaveProperty("truncated_value");
    });
  });

  test("set and delete: bad body or name 400, viewer 403, unknown context 404, delete by filter[name] 204 then 404", async ({
    replica,
    call,
  }) => {
    const set = `/contexts/${CONTEXT_ID}/env-vars/set`;
    for (const body of [{}, { value: "x" }, { name: "PYPI_TOKEN", value: 7 }, { data: { attributes: { name: "A", value: "x" } } }]) {
      expect((await call(set, { ...v3, method: "POST", body })).status, JSON.stringify(body)).toBe(400);
    }
    expect((await call(set, { ...v3, method: "POST", body: { name: "9LIVES", value: "x" } })).json.error.detail).toMatch(
      /^Invalid environment variable name/,
    );
    const denied = await call(set, { ...v3, method: "POST", token: VIEWER, body: { name: "PYPI_TOKEN", value: "x" } });
    expect(denied.json).toEqual(v3Error(403, "Permission denied."));
    const unknown = await call("/contexts/00000000-0000-4000-8000-000000000000/env-vars", v3);
    expect(unknown.json).toEqual(v3Error(404, "Context not found."));
    expect((await call(`/contexts/${CONTEXT_ID}/env-vars`, { ...v3, method: "DELETE" })).json).toEqual(
      v3Error(400, "filter[name] is required"),
    );

    const deleted = await call(`/contexts/${CONTEXT_ID}/env-vars?filter[name]=PYPI_TOKEN`, { ...v3, method: "DELETE" });
    expect([deleted.status, deleted.text]).toEqual([204, ""]);
    expect(replica.contextEnvVar("publishing", "PYPI_TOKEN")).toBeUndefined();
    const again = await call(`/contexts/${CONTEXT_ID}/env-vars?filter%5Bname%5D=PYPI_TOKEN`, { ...v3, method: "DELETE" });
    expect(again.json).toEqual(v3Error(404, "not found"));
  });

  test.describe("with contextsV3: false (CircleCI Server: no v3)", () => {
    test.use({ knobs: { contextsV3: false } });

    test("every v3 route answers 404 in v2's shape, and the v2 context routes still serve", async ({ call }) => {
      for (const [path, method] of [
        [`/contexts?filter[org_id]=${ACME.id}`, "GET"],
        [`/contexts/${CONTEXT_ID}/env-vars/set`, "POST"],
      ] as const) {
        const answer = await call(path, { ...v3, method, ...(method === "POST" ? { body: { name: "A", value: "x" } } : {}) });
        expect([answer.status, answer.json]).toEqual([404, { message: "Not found." }]);
      }
      expect((await call(`/context?owner-id=${ACME.id}`)).status).toBe(200);
    });
  });

  test.describe("with contextsV2: false (contexts on v3 only)", () => {
    test.use({ knobs: { contextsV2: false } });

    test("the v2 context routes answer 404 while v3 serves, and projects stay on v2", async ({ call }) => {
      expect((await call(`/context?owner-id=${ACME.id}`)).status).toBe(404);
      expect((await call(`/context/${CONTEXT_ID}/environment-variable`)).status).toBe(404);
      expect((await call(`/contexts?filter[org_id]=${ACME.id}`, v3)).status).toBe(200);
      expect((await call("/project/gh/Acme/Widget/envvar")).status).toBe(200);
    });
  });
});

test.describe("paging", () => {
  test.use({ knobs: { pageSize: 1 } });

  test("with pageSize, lists page through next_page_token / page-token", async ({ call }) => {
    const seen: string[] = [];
    let token: string | null = "";
    do {
      const answer: Answer = await call(`/project/gh/Acme/Widget/envvar?page-token=${encodeURIComponent(token)}`);
      expect(answer.status).toBe(200);
      expect(answer.json.items).toHaveLength(1);
      seen.push(answer.json.items[0].name);
      token = answer.json.next_page_token;
    } while (token);
    expect(seen).toEqual(["NPM_TOKEN", "OTHER_VAR"]);

    const first = await call(`/context?owner-id=${ACME.id}`);
    expect(first.json.items.map((c: { name: string }) => c.name)).toEqual(["publishing"]);
    expect(first.json.next_page_token).toEqual(expect.any(String));
    const second = await call(`/context?owner-id=${ACME.id}&page-token=${encodeURIComponent(first.json.next_page_token)}`);
    expect(second.json).toEqual({ items: [expect.objectContaining({ name: "deploy" })], next_page_token: null });

    const bogus = await call("/project/gh/Acme/Widget/envvar?page-token=bogus");
    expect(bogus.status).toBe(400);
    expect(bogus.json).toEqual({ message: "Invalid page token." });
  });
});

test.describe("without paging, faults, recording", () => {
  test("every list is one page, and an empty page-token is the first page", async ({ call }) => {
    const project = await call("/project/gh/Acme/Widget/envvar?page-token=");
    expect(project.json.items).toHaveLength(2);
    expect(project.json.next_page_token).toBeNull();
    const contexts = await call(`/context?owner-id=${ACME.id}&page-token=`);
    expect(contexts.json.items).toHaveLength(2);
    expect(contexts.json.next_page_token).toBeNull();
  });

  test("seeds that contradict themselves are refused at start", async () => {
    const tokens = [{ value: ADMIN, user: { id: "u", login: "alice", name: "Alice" } }];
    await expect(startCircleciReplica({ tokens, projects: [{ slug: "gh/Other/Widget", organization: ACME }] })).rejects.toThrow(
      /not in organization/,
    );
    await expect(startCircleciReplica({ tokens, projects: [], contexts: [{ name: "c", organizationId: ACME.id }] })).rejects.toThrow(
      /organization/,
    );
  });

  test("an injected 429 with Retry-After answers once, on the decoded path, then the real handler runs", async ({ replica, call }) => {
    replica.faults.add({
      method: "POST",
      path: "/api/v2/project/gh/Acme/Widget/envvar",
      fault: {
        kind: "status",
        status: 429,
        headers: { "Retry-After": "1", "Content-Type": "application/json" },
        body: '{"message" : "Rate limit exceeded."}',
      },
    });
    const body = { name: "NPM_TOKEN", value: NEW_NPM };
    const limited = await call("/project/gh%2FAcme%2FWidget/envvar", { method: "POST", body });
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("1");
    expect(limited.json).toEqual({ message: "Rate limit exceeded." });
    expect(replica.envVar("gh/Acme/Widget", "NPM_TOKEN")?.value).toBe(OLD_NPM);

    const retried = await call("/project/gh%2FAcme%2FWidget/envvar", { method: "POST", body });
    expect(retried.status).toBe(201);
    expect(replica.envVar("gh/Acme/Widget", "NPM_TOKEN")?.value).toBe(NEW_NPM);
    expect(replica.calls.map((c) => [c.method, c.path, c.body])).toEqual([
      ["POST", "/api/v2/project/gh/Acme/Widget/envvar", body],
      ["POST", "/api/v2/project/gh/Acme/Widget/envvar", body],
    ]);
  });

  test("unknown routes are 404 JSON and still recorded", async ({ replica, call }) => {
    const answer = await call("/nowhere?x=1");
    expect(answer.status).toBe(404);
    expect(typeof answer.json.message).toBe("string");
    expect(replica.calls).toEqual([
      { method: "GET", path: "/api/v2/nowhere", rawPath: "/api/v2/nowhere", query: { x: "1" }, body: undefined, auth: "circle-token" },
    ]);
  });
});

test.describe("pipeline definitions (route inferred from CircleCI's CLI)", () => {
  test("GET /projects/{id}/pipeline-definitions lists the project's definitions in the CLI's v2 shape", async ({ call, replica }) => {
    const answer = await call(`/projects/${WIDGET_ID}/pipeline-definitions`);
    expect(answer.status).toBe(200);
    const repo = { full_name: "Acme/Widget", external_id: expect.stringMatching(/^\d+$/) };
    expect(answer.json).toEqual({
      items: [
        {
          id: PUBLISH_PIPELINE,
          name: "build-and-publish",
          description: "",
          created_at: "2026-11-24T08:00:00.000Z",
          config_source: { provider: "github_app", repo, file_path: ".circleci/config.yml" },
          checkout_source: { provider: "github_app", repo },
        },
        {
          id: NIGHTLY_PIPELINE,
          name: "nightly",
          description: "Nightly checks",
          created_at: "2026-11-24T08:00:00.000Z",
          config_source: { provider: "github_app", repo, file_path: ".circleci/nightly.yml" },
          checkout_source: { provider: "github_app", repo },
        },
      ],
    });
    const other = replica.project("gh/Other/thing")!;
    expect(other.pipelineDefinitions).toEqual([{ id: expect.stringMatching(/^[0-9a-f-]{36}$/), name: "default" }]);
    expect((await call(`/projects/${other.id}/pipeline-definitions`, { token: OUTSIDER })).json.items).toHaveLength(1);
  });

  test("an unknown project id, a project outside the user's organizations and a bad token are all 404 'Project not found'", async ({
    call,
  }) => {
    for (const [id, token] of [
      ["00000000-0000-4000-8000-000000000000", ADMIN],
      [WIDGET_ID, OUTSIDER],
      [WIDGET_ID, "CCIPAT_nope"],
    ] as const) {
      const answer = await call(`/projects/${id}/pipeline-definitions`, { token });
      expect(answer.status, `${id} ${token}`).toBe(404);
      expect(answer.json).toEqual({ message: "Project not found" });
    }
  });

  test("the project hook gives the ids a job's token carries", async ({ replica }) => {
    expect(replica.project("gh/acme/widget")).toEqual({
      id: WIDGET_ID,
      slug: "gh/Acme/Widget",
      organizationId: ACME.id,
      vcsOrigin: "github.com/Acme/Widget",
      pipelineDefinitions: [
        { id: PUBLISH_PIPELINE, name: "build-and-publish" },
        { id: NIGHTLY_PIPELINE, name: "nightly" },
      ],
    });
    expect(replica.project("gh/Acme/Nothing")).toBeUndefined();
  });
});

test.describe("OIDC id tokens", () => {
  const decode = (token: string) => {
    const [header = "", payload = "", signature = ""] = token.split(".");
    const json = (part: string) => JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
    return { header: json(header), claims: json(payload), input: `${header}.${payload}`, signature: Buffer.from(signature, "base64url") };
  };

  /** What a verifier does: discovery under the issuer, the key set it names, the key by kid. */
  const keyFor = async (issuer: string, kid: string) => {
    const discovery = await fetch(`${issuer}/.well-known/openid-configuration`);
    expect(discovery.status).toBe(200);
    const config = (await discovery.json()) as { issuer: string; jwks_uri: string; id_token_signing_alg_values_supported: string[] };
    expect(config.issuer).toBe(issuer);
    expect(config.id_token_signing_alg_values_supported).toEqual(["RS256"]);
    const jwks = (await (await fetch(config.jwks_uri)).json()) as { keys: Array<JsonWebKey & { kid: string }> };
    const jwk = jwks.keys.find((key) => key.kid === kid);
    expect(jwk, "the key set holds the token's kid").toBeDefined();
    return { key: createPublicKey({ key: jwk!, format: "jwk" }), jwksUri: config.jwks_uri };
  };

  test("a minted token verifies with the key OIDC discovery names, and carries the documented claims", async ({ replica, clock }) => {
    const token = replica.mintIdToken({
      projectSlug: "gh/Acme/Widget",
      pipelineDefinitionId: PUBLISH_PIPELINE,
      audience: "npm:registry.test",
      contextIds: [CONTEXT_ID],
    });
    const { header, claims, input, signature } = decode(token);
    const issuer = `${replica.oidcIssuerBase}/org/${ACME.id}`;
    expect(replica.oidcIssuerBase).toBe(`${replica.url}/oidc`);
    expect(header).toEqual({ alg: "RS256", typ: "JWT", kid: expect.any(String) });

    const { key, jwksUri } = await keyFor(issuer, header.kid);
    expect(jwksUri).toBe(`${issuer}/.well-known/jwks-pub.json`);
    expect(verify("sha256", Buffer.from(input), key, signature)).toBe(true);
    const forged = Buffer.from(JSON.stringify({ ...claims, "oidc.circleci.com/project-id": "someone-else" })).toString("base64url");
    expect(verify("sha256", Buffer.from(`${input.split(".")[0]}.${forged}`), key, signature)).toBe(false);

    const iat = Math.floor(clock.ms / 1000);
    expect(claims).toEqual({
      iss: issuer,
      sub: `org/${ACME.id}/project/${WIDGET_ID}/user/11111111-1111-4111-8111-111111111111/vcs-origin/github.com/Acme/Widget/vcs-ref/refs/heads/main`,
      aud: "npm:registry.test",
      iat,
      exp: iat + 3600,
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
      "oidc.circleci.com/org-id": ACME.id,
      "oidc.circleci.com/project-id": WIDGET_ID,
      "oidc.circleci.com/pipeline-definition-id": PUBLISH_PIPELINE,
      "oidc.circleci.com/pipeline-id": expect.stringMatching(/^[0-9a-f-]{36}$/),
      "oidc.circleci.com/workflow-id": expect.stringMatching(/^[0-9a-f-]{36}$/),
      "oidc.circleci.com/job-id": expect.stringMatching(/^[0-9a-f-]{36}$/),
      "oidc.circleci.com/context-ids": [CONTEXT_ID],
      "oidc.circleci.com/ssh-rerun": false,
      "oidc.circleci.com/vcs-origin": "github.com/Acme/Widget",
      "oidc.circleci.com/vcs-ref": "refs/heads/main",
    });
  });

  test("defaults are a plain job's: audience the organization id, no contexts; an SSH rerun and a tag ref say so", async ({ replica }) => {
    const plain = decode(replica.mintIdToken({ projectSlug: "gh/Acme/Widget", pipelineDefinitionId: NIGHTLY_PIPELINE })).claims;
    expect(plain).toMatchObject({
      aud: ACME.id,
      "oidc.circleci.com/context-ids": [],
      "oidc.circleci.com/ssh-rerun": false,
      "oidc.circleci.com/pipeline-definition-id": NIGHTLY_PIPELINE,
    });
    const rerun = decode(
      replica.mintIdToken({
        projectSlug: "gh/Acme/Widget",
        pipelineDefinitionId: PUBLISH_PIPELINE,
        sshRerun: true,
        vcsRef: "refs/tags/v1.2.3",
      }),
    ).claims;
    expect(rerun).toMatchObject({ "oidc.circleci.com/ssh-rerun": true, "oidc.circleci.com/vcs-ref": "refs/tags/v1.2.3" });
    expect(rerun.sub).toMatch(/\/vcs-ref\/refs\/tags\/v1\.2\.3$/);
    const other = decode(
      replica.mintIdToken({
        projectSlug: "gh/Other/thing",
        pipelineDefinitionId: replica.project("gh/Other/thing")!.pipelineDefinitions[0]!.id,
      }),
    ).claims;
    expect(other.iss).toBe(`${replica.oidcIssuerBase}/org/${OTHER.id}`);
  });

  test("a job cannot get what it does not have: an unknown project, another project's definition, a foreign context", async ({
    replica,
  }) => {
    expect(() => replica.mintIdToken({ projectSlug: "gh/Acme/Nothing", pipelineDefinitionId: PUBLISH_PIPELINE })).toThrow(
      /no project gh\/Acme\/Nothing/,
    );
    const othersDefinition = replica.project("gh/Other/thing")!.pipelineDefinitions[0]!.id;
    expect(() => replica.mintIdToken({ projectSlug: "gh/Acme/Widget", pipelineDefinitionId: othersDefinition })).toThrow(
      /is not a pipeline definition of gh\/Acme\/Widget/,
    );
    const elsewhere = "b1b1b1b1-0000-4000-8000-000000000001";
    expect(() =>
      replica.mintIdToken({ projectSlug: "gh/Acme/Widget", pipelineDefinitionId: PUBLISH_PIPELINE, contextIds: [elsewhere] }),
    ).toThrow(/is not a context of gh\/Acme/);
  });

  test("discovery of an organization the replica does not know is 404; another replica's key does not verify this one's tokens", async ({
    replica,
  }) => {
    const unknown = await fetch(`${replica.oidcIssuerBase}/org/00000000-0000-4000-8000-000000000000/.well-known/openid-configuration`);
    expect(unknown.status).toBe(404);
    const token = decode(replica.mintIdToken({ projectSlug: "gh/Acme/Widget", pipelineDefinitionId: PUBLISH_PIPELINE }));
    const twin = await startCircleciReplica({
      tokens: [],
      projects: [
        {
          slug: "gh/Acme/Widget",
          id: WIDGET_ID,
          organization: ACME,
          pipelineDefinitions: [{ id: PUBLISH_PIPELINE, name: "build-and-publish" }],
        },
      ],
    });
    try {
      const twinToken = decode(twin.mintIdToken({ projectSlug: "gh/Acme/Widget", pipelineDefinitionId: PUBLISH_PIPELINE }));
      const { key } = await keyFor(`${twin.oidcIssuerBase}/org/${ACME.id}`, twinToken.header.kid);
      expect(verify("sha256", Buffer.from(token.input), key, token.signature)).toBe(false);
    } finally {
      await twin.close();
    }
  });
});
