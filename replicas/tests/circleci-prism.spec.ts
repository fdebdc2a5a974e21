// CircleCI's published spec as the witness, through Prism: in proxy mode (--errors) Prism checks
// every request the client makes and every answer the replica gives; in mock mode (static
// examples) the client reads answers made from the spec alone. Any validation error Prism reports
// fails the test unless the test names it and says why it is the spec's own.
import { spawn, type ChildProcess } from "node:child_process";
import { request } from "node:http";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { test as base, expect } from "@playwright/test";
import { listen, startCircleciReplica, type CircleciReplica, type CircleciReplicaOptions, type Listening } from "rotate-replicas";
import { CircleciClient } from "../../src/circleci/client.js";
import { CircleciError } from "../../src/errors.js";
import { confirmHolds, preflightCircleci } from "../../src/circleci/targets.js";
import { Secret } from "../../src/secrets/secret.js";

const SPEC = resolve("replicas/circleci/spec/circleci-openapi-v2.json");
const PRISM = createRequire(import.meta.url).resolve("@stoplight/prism-cli");

const ORG = { name: "acme", slug: "gh/acme", id: "5a1d2c3e-8a7b-4c5d-9e0f-1a2b3c4d5e6f" };
const SLUG = "gh/acme/widget";
const PROJECT_ID = "9f0e2d4c-1b3a-4c5d-8e6f-7a8b9c0d1e2f";
const CONTEXT_ID = "a7e0c8a4-52b6-4d5e-8c2f-3b9e1d6f7a10";
const TOKEN = "CCIPAT_abcdefghijklmnopqrstuv_0123456789abcdef0123456789abcdef01234567";
const VIEWER = "CCIPAT_viewerviewerviewerview_0123456789abcdef0123456789abcdef01234567";

interface Violation {
  location: string[];
  severity: string;
  message: string;
}
interface Exchange {
  method: string;
  path: string;
  status: number;
  violations: Violation[];
}

/** Forwards each request to target() + its path, and reports every answer with the violations Prism attached. */
async function relay(target: () => string, seen: (exchange: Exchange) => void = () => undefined): Promise<Listening> {
  return listen((req, res) => {
    const url = new URL(target());
    const forward = request(
      {
        host: url.hostname,
        port: url.port,
        method: req.method,
        path: url.pathname.replace(/\/$/, "") + (req.url ?? "/"),
        headers: { ...req.headers, host: url.host },
      },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on("data", (chunk: Buffer) => chunks.push(chunk));
        answer.on("end", () => {
          const body = Buffer.concat(chunks);
          seen({
            method: req.method ?? "",
            path: req.url ?? "",
            status: answer.statusCode ?? 0,
            violations: violationsOf(answer.headers, body),
          });
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          res.end(body);
        });
      },
    );
    forward.on("error", () => res.writeHead(502).end());
    req.pipe(forward);
  });
}

// Prism reports violations in the sl-violations header, or (with --errors) in the problem body.
function violationsOf(headers: Record<string, string | string[] | undefined>, body: Buffer): Violation[] {
  const header = headers["sl-violations"];
  if (typeof header === "string") return JSON.parse(header) as Violation[];
  if (String(headers["content-type"]).startsWith("application/problem+json")) {
    return (JSON.parse(body.toString("utf8")) as { validation?: Violation[] }).validation ?? [];
  }
  return [];
}

interface Prism {
  url: string;
  /** Everything Prism answered since the last take(). */
  exchanges: Exchange[];
  /** Hands over (and clears) the violations seen so far; what is left at the end fails the test. */
  take(): Violation[];
  close(): Promise<void>;
}

/** Starts `prism <argv>` on a free loopback port, behind a relay that records what it answers. */
async function startPrism(argv: string[]): Promise<Prism> {
  const child: ChildProcess = spawn(process.execPath, [PRISM, ...argv, "-h", "127.0.0.1", "-p", "0"], {
    env: { PATH: process.env.PATH, NO_COLOR: "1", FORCE_COLOR: "0" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const prismUrl = await new Promise<string>((done, fail) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString("utf8");
      const listening = /Prism is listening on (http:\/\/[\d.]+:\d+)/.exec(output);
      if (listening?.[1]) done(listening[1]);
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => fail(new Error(`prism ${argv[0]} exited (${code}) before listening:\n${output}`)));
  });
  const exchanges: Exchange[] = [];
  const witness = await relay(
    () => prismUrl,
    (exchange) => exchanges.push(exchange),
  );
  return {
    url: witness.url,
    exchanges,
    take: () => exchanges.splice(0).flatMap((exchange) => exchange.violations),
    close: async () => {
      await witness.close();
      const exited = new Promise((done) => child.once("exit", done));
      child.kill();
      await exited;
    },
  };
}

const test = base.extend<
  { knobs: Partial<CircleciReplicaOptions>; replica: CircleciReplica; proxied: Prism; mocked: Prism },
  { upstream: { target: string }; proxyPrism: Prism; mockPrism: Prism }
>({
  // Prism proxies to one fixed upstream: a relay to whichever replica the current test started.
  upstream: [async ({}, use) => use({ target: "" }), { scope: "worker" }],
  proxyPrism: [
    async ({ upstream }, use) => {
      const switchboard = await relay(() => upstream.target);
      const prism = await startPrism(["proxy", SPEC, `${switchboard.url}/api/v2`, "--errors"]);
      await use(prism);
      await prism.close();
      await switchboard.close();
    },
    { scope: "worker", timeout: 60_000 },
  ],
  mockPrism: [
    async ({}, use) => {
      const prism = await startPrism(["mock", SPEC, "--dynamic=false"]);
      await use(prism);
      await prism.close();
    },
    { scope: "worker", timeout: 60_000 },
  ],
  knobs: [{}, { option: true }],
  replica: async ({ knobs, upstream }, use) => {
    const replica = await startCircleciReplica({
      tokens: [
        { value: TOKEN, user: { id: "11111111-1111-4111-8111-111111111111", login: "alice", name: "Alice" } },
        { value: VIEWER, user: { id: "22222222-2222-4222-8222-222222222222", login: "victor", name: "Victor" }, role: "viewer" },
      ],
      projects: [
        {
          slug: SLUG,
          id: PROJECT_ID,
          organization: ORG,
          envVars: { NPM_TOKEN: `npm_${"p".repeat(32)}PRJ1`, PYPI_TOKEN: `pypi-${"o".repeat(60)}OLD1`, OTHER: "abc123" },
        },
      ],
      contexts: [
        { id: CONTEXT_ID, name: "publishing", organizationId: ORG.id, envVars: { NPM_TOKEN: `npm_${"x".repeat(32)}CTX1` } },
        { name: "deploy", organizationId: ORG.id },
      ],
      pageSize: 1, // every list pages, so the page-token requests pass Prism too
      ...knobs,
    });
    upstream.target = replica.url;
    await use(replica);
    await replica.close();
  },
  proxied: async ({ proxyPrism, replica }, use) => {
    void replica; // started first: the proxy forwards to it
    proxyPrism.take();
    await use(proxyPrism);
    expect(unexplained(proxyPrism), "validation errors Prism reported").toEqual([]);
  },
  mocked: async ({ mockPrism }, use) => {
    mockPrism.take();
    await use(mockPrism);
    expect(unexplained(mockPrism), "validation errors Prism reported").toEqual([]);
  },
});

// One worker runs this file in order, so each Prism starts once.
test.describe.configure({ mode: "default" });

/** Violations no test took, each with the request it came from. */
function unexplained(prism: Prism): string[] {
  return prism.exchanges.flatMap((e) =>
    e.violations.map((v) => `${e.method} ${e.path} → ${e.status}: ${v.location.join(".")} ${v.message}`),
  );
}

function clientOf(prism: Prism, token = TOKEN): CircleciClient {
  // No waiting between retries: a 5xx Prism makes up is retried at once.
  return new CircleciClient({ baseUrl: prism.url, token: new Secret(token, "CircleCI token"), retry: { sleep: async () => undefined } });
}

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error as Error,
  );

// Each reading of the clock is a second later, so a write's updated_at is always after the seed's.
const tickingClock = (start = Date.parse("2026-11-24T08:00:00Z")) => {
  let ticks = 0;
  return () => new Date(start + 1000 * ticks++);
};
const statuses = (prism: Prism) => prism.exchanges.map((exchange) => `${exchange.method} ${exchange.status}`);

test.describe("prism proxy --errors: the client's requests and the replica's answers", () => {
  test("the token check, the project and its ids for trusted publishing; the slug goes out escaped", async ({
    proxied: proxy,
    replica,
  }) => {
    const client = clientOf(proxy);
    expect((await client.me()).login).toBe("alice");
    expect(await client.projectIdentity(SLUG)).toEqual({
      slug: SLUG,
      projectId: PROJECT_ID,
      organizationId: ORG.id,
      organizationSlug: "gh/acme",
      vcsOrigin: "github.com/acme/widget",
    });
    expect(replica.calls.map((call) => `${call.method} ${call.rawPath}`)).toEqual([
      "GET /api/v2/me",
      "GET /api/v2/project/gh%2Facme%2Fwidget",
    ]);
  });

  test("project variables: every page of the list, one read, a missing one, a write, a delete", async ({ proxied: proxy, replica }) => {
    const client = clientOf(proxy);
    expect((await client.projectEnvVars(SLUG)).map((v) => v.name)).toEqual(["NPM_TOKEN", "PYPI_TOKEN", "OTHER"]);
    expect(await client.projectEnvVar(SLUG, "PYPI_TOKEN")).toMatchObject({ last4: "OLD1" });
    expect(await client.projectEnvVar(SLUG, "NOPE")).toBeUndefined();
    const value = new Secret(`pypi-${"n".repeat(60)}NEW2`, "PyPI token", { showLast4: true });
    await client.setProjectEnvVar(SLUG, "PYPI_TOKEN", value);
    expect(replica.envVar(SLUG, "PYPI_TOKEN")?.value).toBe(value.reveal());
    expect(await client.deleteProjectEnvVar(SLUG, "OTHER")).toBe(true);
    expect(await client.deleteProjectEnvVar(SLUG, "OTHER")).toBe(false);
    expect(statuses(proxy)).toEqual(["GET 200", "GET 200", "GET 200", "GET 200", "GET 404", "POST 201", "DELETE 200", "DELETE 404"]);
  });

  for (const truncatedValue of [false, true]) {
    test.describe(truncatedValue ? "with truncated_value" : "in the spec's shape", () => {
      test.use({ knobs: { truncatedValue, now: tickingClock() } });

      test("a context target: preflight, the write, its read-back, the contexts with their ids, a delete", async ({
        proxied: proxy,
        replica,
      }) => {
        const client = clientOf(proxy);
        const [destination] = (await preflightCircleci(client, [{ projectSlug: SLUG, envVar: "NPM_TOKEN", context: "publishing" }]))
          .destinations;
        if (!destination) throw new Error("preflight found no destination");
        const { target, held } = destination;
        expect(held?.last4).toBe(truncatedValue ? "CTX1" : undefined);
        const value = new Secret(`npm_${"y".repeat(32)}NEW3`, "npm token", { showLast4: true });
        await target.write(value);
        expect(await confirmHolds(target, value, held)).toEqual({ holds: true });
        expect(replica.contextEnvVar("publishing", "NPM_TOKEN")?.value).toBe(value.reveal());
        expect(await client.contexts(ORG.id)).toEqual([
          { id: CONTEXT_ID, name: "publishing" },
          { id: expect.any(String), name: "deploy" },
        ]);
        expect(await client.deleteContextEnvVar(CONTEXT_ID, "NPM_TOKEN")).toBe(true);
        expect(replica.calls.filter((call) => call.method !== "GET").map((call) => call.method)).toEqual(["PUT", "DELETE"]);
        // The published spec has no v3, and a base that is not …/api/v2 names none: this witness covers v2's contexts.
        expect(client.contextApi).toBe("v2");
      });
    });
  }

  test("refusals: a bad token, an unknown project, a viewer's write; each answer within the spec", async ({ proxied: proxy }) => {
    expect((await failure(clientOf(proxy, "CCIPAT_wrong").me()))?.message).toMatch(/^CircleCI rejected the API token \(401\)/);
    expect((await failure(clientOf(proxy).project("gh/acme/nope")))?.message).toMatch(
      /^CircleCI found no project while looking up project gh\/acme\/nope \(404\)/,
    );
    const write = clientOf(proxy, VIEWER).setProjectEnvVar(SLUG, "PYPI_TOKEN", new Secret("pypi-x", "PyPI token"));
    expect((await failure(write))?.message).toMatch(/^CircleCI refused setting PYPI_TOKEN in gh\/acme\/widget \(403, permission denied\)/);
    expect(statuses(proxy)).toEqual(["GET 401", "GET 404", "POST 403"]);
  });

  test("the proxy is a gate: an answer outside the spec fails the call, and Prism names the field", async ({ proxied: proxy, replica }) => {
    replica.faults.add({
      method: "GET",
      path: `/api/v2/project/${SLUG}/envvar`,
      times: 10,
      fault: {
        kind: "status",
        status: 200,
        headers: { "Content-Type": "application/json" },
        body: '{"items" : "none", "next_page_token" : null}',
      },
    });
    const error = await failure(clientOf(proxy).projectEnvVars(SLUG));
    expect(error).toBeInstanceOf(CircleciError);
    expect(error?.message).toMatch(/^CircleCI failed while listing environment variables of gh\/acme\/widget \(500\) after several tries/);
    const violations = proxy.take();
    expect(violations.length).toBeGreaterThan(0);
    expect(violations.every((v) => v.location.join(".") === "response.body.items" && v.severity === "Error")).toBe(true);
  });

  test("pipeline definitions are not in the Feb-2025 spec: Prism has no such route, and the client says where to find the id", async ({
    proxied: proxy,
    replica,
  }) => {
    const error = await failure(clientOf(proxy).pipelineDefinitions(PROJECT_ID));
    expect(error?.message).toBe(
      "CircleCI answered 404 while listing the project's pipeline definitions: this CircleCI may not offer pipeline definitions on API v2; copy the id from Project Settings → Project Setup and pass it with --pipeline-definition",
    );
    expect(replica.calls).toEqual([]);
  });
});

test.describe("prism mock (static examples): the client on answers made from the spec alone", () => {
  // The spec's example organization_id is "CircleCI-Public", which its own format: uuid refuses.
  const exampleOrgIdViolation = {
    location: ["response", "body", "organization_id"],
    severity: "Error",
    code: "format",
    message: 'Response body property organization_id must match format "uuid"',
  };

  test("the token check and the project read the examples", async ({ mocked: mock }) => {
    const client = clientOf(mock);
    expect(await client.me()).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), login: "string", name: "string" });
    expect(await client.project(SLUG)).toMatchObject({ slug: "gh/CircleCI-Public/api-preview-docs", organization_id: "CircleCI-Public" });
    expect(mock.take()).toEqual([exampleOrgIdViolation]);
  });

  test("projectIdentity refuses the example's organization_id before anything is configured: npm needs a UUID", async ({
    mocked: mock,
  }) => {
    const error = await failure(clientOf(mock).projectIdentity(SLUG));
    expect(error?.message).toBe(
      `CircleCI's answer for project ${SLUG} has no usable organization_id (a UUID is expected, it sent "CircleCI-Public"): is --circleci-url CircleCI's API v2?`,
    );
    expect(mock.take()).toEqual([exampleOrgIdViolation]);
  });

  test("the example next_page_token repeats: each list stops after its second request", async ({ mocked: mock }) => {
    const client = clientOf(mock);
    for (const list of [() => client.projectEnvVars(SLUG), () => client.contextEnvVars(CONTEXT_ID), () => client.contexts(ORG.id)]) {
      const error = await failure(list());
      expect(error?.message).toMatch(/^CircleCI sent the same next_page_token twice while /);
    }
    expect(statuses(mock)).toEqual(["GET 200", "GET 200", "GET 200", "GET 200", "GET 200", "GET 200"]);
  });

  test("the example organization_id makes the context lookup a 422 that names CircleCI's ids, not the project slug", async ({
    mocked: mock,
  }) => {
    const client = clientOf(mock);
    const project = await client.project(SLUG);
    expect(mock.take()).toEqual([exampleOrgIdViolation]);
    const error = await failure(client.findContext(project.organization_id, "publishing"));
    expect(error?.message).toBe(
      "CircleCI did not accept the request while listing the organization's contexts (422: string): the organization and context ids in it came from CircleCI itself, so check that --circleci-url is CircleCI's API v2 and rerun",
    );
    // The request carried the spec's own example id back; Prism's complaint is about that id.
    expect(mock.take()).toEqual([
      {
        location: ["request", "query", "owner-id"],
        severity: "Error",
        code: "format",
        message: 'Request query parameter owner-id must match format "uuid"',
      },
    ]);
  });

  test("one variable's write, read and delete, in a project and in a context, are requests the spec accepts", async ({ mocked: mock }) => {
    const client = clientOf(mock);
    await client.setProjectEnvVar(SLUG, "NPM_TOKEN", new Secret(`npm_${"z".repeat(32)}NEW4`, "npm token"));
    // The example's "#joda/inst …" created-at still reads as a date.
    expect(await client.projectEnvVar(SLUG, "NPM_TOKEN")).toEqual({ last4: "1234", setAt: new Date("2023-04-14T21:20:14Z") });
    expect(await client.deleteProjectEnvVar(SLUG, "NPM_TOKEN")).toBe(true);
    await client.setContextEnvVar(CONTEXT_ID, "NPM_TOKEN", new Secret(`npm_${"z".repeat(32)}NEW5`, "npm token"));
    expect(await client.deleteContextEnvVar(CONTEXT_ID, "NPM_TOKEN")).toBe(true);
    expect(statuses(mock)).toEqual(["POST 201", "GET 200", "DELETE 200", "PUT 200", "DELETE 200"]);
  });
});
