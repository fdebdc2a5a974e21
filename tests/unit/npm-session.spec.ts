// The npm session against a registry of the spec's own, with a browser that never gets anywhere
// (the done URL hands the session over on its own): where its done URL is polled, and that every
// session the run signed in with is ended, or said to be left, with its expiry (issue 21).
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Page } from "playwright";
import { expect, test } from "@playwright/test";
import type { NpmSettings } from "../../flows/npm/settings.js";
import { NpmTokensApi } from "../../flows/npm/api.js";
import { NpmSession, type NpmCtx } from "../../flows/npm/session.js";
import { NeedsHumanError } from "../../src/errors.js";
import type { Steps } from "../../src/rotation/steps.js";
import { startHostileListener, type HostileListener } from "../support/hostile.js";

/** A page whose every action waits forever: the sign-in in the browser never finishes, the done URL does. */
function pageThatNeverLoads(): Page {
  const never: object = new Proxy(function () {}, {
    get: (_target, prop) => (prop === "then" ? () => undefined : never),
    apply: () => never,
  });
  return never as Page;
}

interface Registry {
  url: string;
  received: string[];
  /** How DELETE /-/user/token/… is answered. */
  revokeStatus: number;
  /** The next token list answers a plain 401, as a session that ended would. */
  signOutOnce: boolean;
  /** Where POST /-/v1/login says the session token will be. */
  doneUrl?: string;
  /** The token list's objects. */
  listed: unknown[];
  /** The session tokens handed out, in order. */
  issued: string[];
  close(): Promise<void>;
}

async function startRegistry(): Promise<Registry> {
  const registry = {
    received: [] as string[],
    revokeStatus: 200,
    signOutOnce: false,
    doneUrl: undefined as string | undefined,
    listed: [] as unknown[],
    issued: [] as string[],
  };
  const json = (res: ServerResponse, status: number, body: unknown) =>
    void res.writeHead(status, { "Content-Type": "application/json" }).end(JSON.stringify(body));
  const server = createServer((req: IncomingMessage, res) => {
    const path = req.url ?? "/";
    registry.received.push(`${req.method} ${path} ${req.headers.authorization ?? ""}`.trim());
    if (req.method === "POST" && path === "/-/v1/login")
      return json(res, 200, { loginUrl: `${base}/login`, doneUrl: registry.doneUrl ?? `${base}/-/v1/done?sessionId=1` });
    // Random like a real one: a session token is a secret, and the redactor cuts out what starts like one.
    if (path.startsWith("/-/v1/done")) {
      const token = randomBytes(16).toString("hex");
      registry.issued.push(token);
      return json(res, 200, { token });
    }
    if (path.startsWith("/-/npm/v1/tokens")) {
      if (registry.signOutOnce) {
        registry.signOutOnce = false;
        return json(res, 401, { error: "Unauthorized" });
      }
      return json(res, 200, { objects: registry.listed, urls: {} });
    }
    if (req.method === "DELETE" && path.startsWith("/-/user/token/")) return json(res, registry.revokeStatus, { ok: true });
    json(res, 404, { error: "Not found" });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return Object.assign(registry, { url: base, close: () => new Promise<void>((resolve) => server.close(() => resolve())) });
}

function ctxFor(registryUrl: string): NpmCtx {
  const notes: string[] = [];
  return {
    settings: { registryUrl, websiteUrl: registryUrl, packages: ["widget"] } as NpmSettings,
    // No call here asks for a code: none is in use.
    credentials: { otpInUse: () => undefined } as unknown as NpmCtx["credentials"],
    steps: { note: (text: string) => void notes.push(text) } as unknown as Steps,
    signal: new AbortController().signal,
    browser: { page: pageThatNeverLoads() } as NpmCtx["browser"],
    relaunch: () => Promise.reject(new Error("no browser here")),
  };
}

let registry: Registry;
let listener: HostileListener;
test.beforeEach(async () => {
  [registry, listener] = await Promise.all([startRegistry(), startHostileListener()]);
});
test.afterEach(async () => {
  await Promise.all([registry.close(), listener.close()]);
});

test("a done URL on another host is polled on the registry itself (npm's proxy rule): that host collects nothing", async () => {
  registry.doneUrl = `${listener.url}/-/v1/done?sessionId=7`;
  const session = await NpmSession.open(ctxFor(registry.url));
  await session.signOut();
  expect(listener.received).toEqual([]);
  expect(registry.received).toContain("GET /-/v1/done?sessionId=7");
});

test("after a plain 401 rotate signs in again, and both sessions are ended with the run", async () => {
  const session = await NpmSession.open(ctxFor(registry.url));
  registry.signOutOnce = true;
  expect((await session.request("GET", "/-/npm/v1/tokens", "listing tokens")).status).toBe(200);
  await session.signOut();
  const [first, second] = registry.issued;
  expect(registry.received.filter((line) => line.startsWith("DELETE"))).toEqual([
    `DELETE /-/user/token/${first} Bearer ${first}`,
    `DELETE /-/user/token/${second} Bearer ${second}`,
  ]);
  // Ended once: the clean-up copy and the run's end share the record.
  await session.forCleanUp().signOut();
  expect(registry.received.filter((line) => line.startsWith("DELETE"))).toHaveLength(2);
});

test("a session npm would not end is said, with when it expires (two hours after sign-in)", async () => {
  registry.revokeStatus = 500;
  const opened = new Date();
  const session = await NpmSession.open(ctxFor(registry.url));
  const error = await session.signOut().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(NeedsHumanError);
  const until = new Date(opened.getTime() + 2 * 60 * 60_000).toISOString().slice(11, 16);
  expect((error as Error).message).toMatch(
    new RegExp(
      `^npm did not end a session of this run: the one signed in at \\d\\d:\\d\\d UTC \\(npm answered 500\\) stays valid until ${until} UTC`,
    ),
  );
  // Asked again at the run's end: this time npm ends it.
  registry.revokeStatus = 200;
  await session.signOut();
  expect(registry.received.filter((line) => line.startsWith("DELETE"))).toHaveLength(2);
});

test("the token list says which tokens cannot be what CircleCI publishes the configured packages with", async () => {
  const token = (
    name: string,
    permissions: Array<{ name: string; action: string }>,
    scopes: Array<{ type: string; name: string }>,
    readonly = false,
  ) => ({
    key: name,
    name,
    token: `npm_${name.slice(0, 4).padEnd(4, "x")}...ABCD`,
    readonly,
    bypass_2fa: true,
    permissions,
    scopes,
  });
  const write = [{ name: "package", action: "write" }];
  registry.listed = [
    token("publisher", write, [{ type: "package", name: "widget" }]),
    token("all packages", write, [{ type: "package", name: "*" }]),
    token("the scope", write, [{ type: "scope", name: "@acme" }]),
    token("laptop", [{ name: "package", action: "read" }], [{ type: "package", name: "widget" }], true),
    token("other package", write, [{ type: "package", name: "gadget" }]),
    token("no details", write, []),
  ];
  const ctx = {
    ...ctxFor(registry.url),
    settings: { registryUrl: registry.url, websiteUrl: registry.url, packages: ["widget", "@acme/tool"] } as NpmSettings,
  };
  const tokens = await new NpmTokensApi(await NpmSession.open(ctx)).list();
  expect(Object.fromEntries(tokens.map((t) => [t.name, t.cannotPublish?.(ctx.settings.packages) ?? null]))).toEqual({
    publisher: "does not cover @acme/tool",
    "all packages": null,
    "the scope": "does not cover widget",
    laptop: "read-only",
    "other package": "does not cover widget, @acme/tool",
    "no details": null,
  });
});
