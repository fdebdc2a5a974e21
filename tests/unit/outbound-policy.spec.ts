// One outbound HTTP policy (src/http/policy.ts) for every request rotate makes: no redirect is
// followed, a credential goes only to its own origin, plain http only to this machine. This spec
// finds every place in src/ and flows/ that could make an HTTP client, checks each goes through
// the policy, and drives each client at a hostile server to prove it (issue 21).
import { readdirSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { expect, test } from "@playwright/test";
import { exchangeIdToken } from "../../flows/npm/trust.js";
import { npmTrust } from "../../flows/npm/trust-capability.js";
import { http as npmRegistryHttp } from "../../flows/npm/session.js";
import { OutboundRefusedError } from "../../src/errors.js";
import { checkRequest } from "../../src/http/checks.js";
import { createHttp } from "../../src/http/policy.js";
import { reachable } from "../../src/http/reachable.js";
import type { Steps } from "../../src/rotation/steps.js";
import { Secret } from "../../src/secrets/secret.js";
import { drillProver } from "../../src/trust/proof.js";
import { startHostileListener, type HostileListener } from "../support/hostile.js";

/** Every file that makes an HTTP client with createHttp(), and the spec that drives that client at a hostile server. */
const CLIENTS: Record<string, string> = {
  "src/circleci/client.ts": "tests/unit/circleci-client.spec.ts › a 307 on POST … / a 308 on PUT … / a 302 on GET … pointing elsewhere",
  "src/http/checks.ts": "a token check answered with a redirect",
  "src/http/reachable.ts": "the reachability check answered with a redirect",
  "flows/npm/session.ts": "the npm registry's client, and the session's done URL (tests/unit/npm-session.spec.ts)",
  "src/trust/proof.ts": "the drill's proof, its front desk answering with a redirect",
  "src/drill/open.ts": "tests/unit/drill-attach.spec.ts",
};

/**
 * What else could reach the network, and the one place each may appear with why. Anything found
 * elsewhere fails the spec: it would be a client the policy does not govern.
 */
const OTHER_WAYS: Array<{ pattern: RegExp; what: string; allowed: Record<string, string> }> = [
  {
    pattern: /^import(?!\s+type\b)[^;]*from\s+"axios"|require\("axios"\)|import\("axios"\)|\("axios"\)/m,
    what: "axios itself",
    allowed: { "src/http/policy.ts": "the policy builds every axios instance" },
  },
  {
    pattern: /(?<![.\w])fetch\(/,
    what: "the global fetch()",
    allowed: { "flows/pypi/flow.ts": "inside page.evaluate(): the page's own same-origin request, under the browser guard" },
  },
  {
    pattern: /\broute\.fetch\(/,
    what: "Playwright's route.fetch()",
    allowed: { "src/browser/guard.ts": "the browser guard sends the page's own requests, redirects refused before they are followed" },
  },
  {
    pattern: /from\s+"(?:node:)?(?:http|https|http2|tls|undici)"/,
    what: "a Node HTTP or TLS module",
    allowed: {},
  },
  {
    pattern: /from\s+"(?:node:)?net"/,
    what: "raw sockets",
    allowed: { "src/browser/refusing-proxy.ts": "a server on 127.0.0.1 that answers nothing (it never connects anywhere)" },
  },
  { pattern: /\bnew\s+(?:WebSocket|XMLHttpRequest|EventSource)\(/, what: "a browser-style client", allowed: {} },
  { pattern: /\brequest\.newContext\(|APIRequestContext/, what: "Playwright's HTTP client", allowed: {} },
];

function sources(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((file) => file.endsWith(".ts"))
    .map((file) => join(dir, file));
}

/** The code without comments, so a comment naming fetch() or axios does not count. */
function code(file: string): string {
  return readFileSync(file, "utf8")
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
}

test("every place in src/ and flows/ that could make an HTTP client goes through the policy, and each has its hostile-server spec", () => {
  const files = [...sources("src"), ...sources("flows")];
  const makers = files.filter((file) => /\bcreateHttp\(/.test(code(file)) && file !== "src/http/policy.ts");
  expect(makers.sort()).toEqual(Object.keys(CLIENTS).sort());
  const elsewhere = OTHER_WAYS.flatMap(({ pattern, what, allowed }) =>
    files.filter((file) => pattern.test(code(file)) && !(file in allowed)).map((file) => `${file}: ${what}`),
  );
  expect(elsewhere, "HTTP clients outside the policy").toEqual([]);
});

/** A server standing in for a site: answers each request with `answer`, recording what came. */
async function startSite(answer: (req: IncomingMessage, res: ServerResponse, body: string) => void) {
  const received: string[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      received.push(`${req.method} ${req.url}`);
      answer(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const redirectTo =
  (listener: HostileListener, status = 307) =>
  (_req: IncomingMessage, res: ServerResponse) =>
    void res.writeHead(status, { Location: `${listener.url}/collect` }).end();

let listener: HostileListener;
test.beforeEach(async () => {
  listener = await startHostileListener();
});
test.afterEach(async () => {
  await listener.close();
});

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

const bearer = () => new Secret(`npm_${"P0licy".repeat(6)}`, "npm token", { showLast4: true });

test.describe("the policy itself", () => {
  test("a redirect is an error naming where it pointed; nothing is sent there", async () => {
    const site = await startSite(redirectTo(listener, 308));
    try {
      const token = bearer();
      const error = await failure(
        createHttp({ timeoutMs: 5_000, credentialsFor: site.url }).post(
          `${site.url}/envvar`,
          { value: token.reveal() },
          {
            headers: { Authorization: token.derive((raw) => `Bearer ${raw}`) },
            maxRedirects: 5,
          },
        ),
      );
      expect(error).toBeInstanceOf(OutboundRefusedError);
      expect((error as Error).message).toBe(
        `${site.url} answered the POST of /envvar with a redirect (308) to ${listener.url}; rotate follows no redirect, so nothing was sent to ${listener.url}`,
      );
      expect(listener.received).toEqual([]);
    } finally {
      await site.close();
    }
  });

  test("a credential goes only to the origin it belongs to: header, basic auth, or a secret in the address or the body", async () => {
    const token = bearer();
    const client = createHttp({ timeoutMs: 5_000, credentialsFor: "https://registry.example.test" });
    const attempts = [
      client.get(`${listener.url}/a`, { headers: { Authorization: token.derive((raw) => `Bearer ${raw}`) } }),
      client.get(`${listener.url}/b`, { headers: { "Circle-Token": "CCIPAT_x" } }),
      client.get(`${listener.url}/c`, { headers: { "npm-otp": "123456" } }),
      client.get(`${listener.url}/d`, { auth: { username: "__token__", password: "x" } }),
      client.delete(`${listener.url}/-/user/token/${encodeURIComponent(token.reveal())}`),
      client.put(`${listener.url}/e`, { value: token.reveal() }),
    ];
    for (const attempt of attempts) expect(await failure(attempt)).toBeInstanceOf(OutboundRefusedError);
    // A client made for no origin sends no credential anywhere.
    expect(await failure(createHttp({ timeoutMs: 5_000 }).get(`${listener.url}/f`, { headers: { Cookie: "s=1" } }))).toBeInstanceOf(
      OutboundRefusedError,
    );
    expect(listener.received).toEqual([]);
    // Without a credential, another origin is just another address.
    expect((await client.get(`${listener.url}/public`)).status).toBe(200);
  });

  test("plain http:// only to this machine; loopback never through a proxy from the environment", async () => {
    const error = await failure(createHttp({ timeoutMs: 5_000 }).get("http://registry.example.test/-/ping"));
    expect((error as Error).message).toBe(
      "rotate refused to send a request to http://registry.example.test: only https:// may leave this machine (plain http:// only to 127.0.0.1 or localhost); check the address settings, then rerun",
    );
    const site = await startSite((_req, res) => void res.end("pong"));
    const saved = { HTTP_PROXY: process.env.HTTP_PROXY, NO_PROXY: process.env.NO_PROXY };
    process.env.HTTP_PROXY = listener.url;
    delete process.env.NO_PROXY;
    try {
      expect((await createHttp({ timeoutMs: 5_000 }).get(`${site.url}/-/ping`)).data).toBe("pong");
      expect(listener.received).toEqual([]);
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
      await site.close();
    }
  });
});

test.describe("each client, against a site answering with a redirect elsewhere", () => {
  const steps = { note: () => undefined } as unknown as Steps;

  test("a token check answered with a redirect: an error naming it, not a verdict; the token went nowhere else", async () => {
    const site = await startSite(redirectTo(listener));
    try {
      const token = bearer();
      const error = await failure(
        checkRequest(
          { method: "GET", url: `${site.url}/-/whoami`, headers: { Authorization: token.derive((raw) => `Bearer ${raw}`) } },
          { steps, signal: new AbortController().signal },
        ),
      );
      expect(error).toBeInstanceOf(OutboundRefusedError);
      expect(listener.received).toEqual([]);
    } finally {
      await site.close();
    }
  });

  test("the reachability check answered with a redirect: named, not taken for an answer", async () => {
    const site = await startSite(redirectTo(listener, 302));
    try {
      expect(String(await failure(reachable(`${site.url}/-/ping`)))).toContain(`with a redirect (302) to ${listener.url}`);
      expect(listener.received).toEqual([]);
    } finally {
      await site.close();
    }
  });

  test("the npm registry's client: the session token never goes to another origin, even to a `next` page the registry names", async () => {
    const site = await startSite((_req, res) => void res.end("{}"));
    try {
      const client = npmRegistryHttp(site.url);
      const token = bearer();
      const auth = { headers: { Authorization: token.derive((raw) => `Bearer ${raw}`) } };
      expect((await client.get(`${site.url}/-/npm/v1/tokens`, auth)).status).toBe(200);
      expect(await failure(client.get(`${listener.url}/-/npm/v1/tokens?page=2`, auth))).toBeInstanceOf(OutboundRefusedError);
      expect(listener.received).toEqual([]);
    } finally {
      await site.close();
    }
  });

  test("the OIDC exchange answered with a redirect: the job's id token goes nowhere else", async () => {
    const site = await startSite(redirectTo(listener));
    try {
      const idToken = new Secret("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJqb2IifQ.c2lnbmF0dXJl", "CircleCI id token");
      expect(await failure(exchangeIdToken(site.url, "widget", idToken, new AbortController().signal))).toBeInstanceOf(
        OutboundRefusedError,
      );
      expect(listener.received).toEqual([]);
    } finally {
      await site.close();
    }
  });

  test("the drill's proof, its front desk answering with a redirect: refused, nothing sent there", async () => {
    const site = await startSite(redirectTo(listener, 302));
    try {
      const prove = drillProver(site.url, npmTrust);
      const subject = { registryUrl: site.url, packages: ["widget"], projectSlug: "gh/a/b", pipelineDefinitionId: "p", contextIds: [] };
      expect(await failure(prove(subject, new AbortController().signal))).toBeInstanceOf(OutboundRefusedError);
      expect(listener.received).toEqual([]);
    } finally {
      await site.close();
    }
  });
});
