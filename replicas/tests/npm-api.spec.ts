// The npm registry replica's API against the facts in docs/sites/npm.md, over plain HTTP: the web
// login, session tokens and their revocation, the tokens API (paging, validation texts, one-time
// codes, web OTP, delete), trusted publishing and the CircleCI OIDC exchange. Chromium only where
// a person would be: the website's login and security-key pages.
import { generateKeyPairSync, randomUUID, sign, type KeyObject } from "node:crypto";
import { expect, test as base, type APIRequestContext, type APIResponse } from "@playwright/test";
import { listen, startNpmReplica, type Listening, type NpmReplica } from "rotate-replicas";
import { TestClock } from "./support/clock.js";
import { ALICE, BOB, CAROL, csrfIn, KEYHOLDER, postForm, signInHttp } from "./support/npm-site.js";

const TOKENS = "/-/npm/v1/tokens";
const FULL_TOKEN = /^npm_[A-Za-z0-9]{36}$/;
const UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
const MISSING_OTP = "You must provide a one-time pass. Upgrade your client to npm@latest in order to use 2FA.";

/** Calls to the registry with a Bearer token and any extra headers. */
interface Registry {
  get(path: string, token?: string, headers?: Record<string, string>): Promise<APIResponse>;
  post(path: string, body: unknown, token?: string, headers?: Record<string, string>): Promise<APIResponse>;
  delete(path: string, token?: string, headers?: Record<string, string>): Promise<APIResponse>;
}

function registryOf(request: APIRequestContext, npm: NpmReplica): Registry {
  const headers = (token: string | undefined, extra: Record<string, string> = {}) => ({
    ...(token ? { authorization: `Bearer ${token}` } : {}),
    ...extra,
  });
  return {
    get: (path, token, extra) => request.get(npm.registryUrl + path, { headers: headers(token, extra), maxRedirects: 0 }),
    post: (path, body, token, extra) =>
      request.post(npm.registryUrl + path, { data: body as object, headers: headers(token, extra), maxRedirects: 0 }),
    delete: (path, token, extra) => request.delete(npm.registryUrl + path, { headers: headers(token, extra), maxRedirects: 0 }),
  };
}

const test = base.extend<{ clock: TestClock; npm: NpmReplica; registry: Registry }>({
  clock: async ({}, use) => use(new TestClock(ALICE.totpSecret)),
  npm: async ({ clock }, use) => {
    const replica = await startNpmReplica({ users: [ALICE, KEYHOLDER, BOB, CAROL], now: clock.now });
    await use(replica);
    await replica.close();
  },
  registry: async ({ request, npm }, use) => use(registryOf(request, npm)),
});

/** A valid create body in the API docs' spelling: read and write on one package, 30 days. */
const createBody = (overrides: Record<string, unknown> = {}) => ({
  password: ALICE.password,
  name: "NPM_TOKEN gh/mozilla/nimbus-shared",
  packages: ["nimbus-shared"],
  packages_and_scopes_permission: "read-write",
  expires: 30,
  ...overrides,
});

test.describe("web login", () => {
  test("login and done URLs; 202 with Retry-After and a JSON body while waiting; without the confirmation (knob), the session token once the person signed in", async ({
    request,
    npm,
    registry,
    clock,
  }) => {
    npm.settings.webLogin.confirm = false;
    const started = await registry.post("/-/v1/login", {});
    expect(started.status()).toBe(200);
    const { loginUrl, doneUrl } = (await started.json()) as { loginUrl: string; doneUrl: string };
    expect(loginUrl).toMatch(new RegExp(`^${npm.url}/login\\?next=/login/cli/${UUID}$`));
    const id = loginUrl.slice(-36);
    expect(doneUrl).toBe(`${npm.registryUrl}/-/v1/done?sessionId=${id}`);

    const waiting = await request.get(doneUrl);
    expect(waiting.status()).toBe(202);
    expect(waiting.headers()["retry-after"]).toBe("1");
    expect(await waiting.json()).toEqual({});
    npm.settings.webLogin.retryAfterSeconds = 7;
    expect((await request.get(doneUrl)).headers()["retry-after"]).toBe("7");

    // The person follows the login URL: sign-in, then the page that completes the CLI login.
    expect((await request.get(`${npm.url}/login/cli/${id}`, { maxRedirects: 0 })).headers()["location"]).toBe(
      `/login?next=%2Flogin%2Fcli%2F${id}`,
    );
    await signInHttp(request, npm, clock, ALICE, `/login/cli/${id}`);
    const page = await request.get(`${npm.url}/login/cli/${id}`);
    expect(page.status()).toBe(200);
    expect(await page.text()).toContain("<h1>Logged in</h1>");

    const done = await request.get(doneUrl);
    expect(done.status()).toBe(200);
    const { token } = (await done.json()) as { token: string };
    expect(token).toMatch(FULL_TOKEN);
    expect(npm.isSessionLive(token)).toBe(true);
    expect(npm.issuedSecrets()).toContain(token);
    expect(await (await registry.get("/-/whoami", token)).json()).toEqual({ username: "alice" });
    // Handed out once; the login link is spent.
    expect((await request.get(doneUrl)).status()).toBe(404);
    expect((await request.get(`${npm.url}/login/cli/${id}`)).status()).toBe(404);
  });

  test("by default the CLI login completes only when the person presses Login (Cancel leaves it waiting)", async ({
    page,
    request,
    npm,
    registry,
    clock,
  }) => {
    const { loginUrl, doneUrl } = (await (await registry.post("/-/v1/login", {})).json()) as { loginUrl: string; doneUrl: string };
    await page.goto(loginUrl);
    await page.getByLabel("Username").fill(ALICE.username);
    await page.getByLabel("Password", { exact: true }).fill(ALICE.password);
    await page.getByRole("button", { name: "Sign In" }).click();
    await page.getByLabel("One-time password").fill(clock.code());
    await page.getByRole("button", { name: "Verify" }).click();

    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Log in to the npm CLI");
    expect((await request.get(doneUrl)).status()).toBe(202);
    const here = page.url();
    await page.getByRole("link", { name: "Cancel" }).click();
    expect((await request.get(doneUrl)).status()).toBe(202);
    await page.goto(here);
    await page.getByRole("button", { name: "Login" }).click();
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Logged in");
    const done = await request.get(doneUrl);
    expect(done.status()).toBe(200);
    expect(npm.isSessionLive(((await done.json()) as { token: string }).token)).toBe(true);
  });

  test("a security-key account signs in with its key, and the done URL of an unknown login is a 404", async ({
    request,
    npm,
    registry,
    clock,
  }) => {
    const { loginUrl, doneUrl } = (await (await registry.post("/-/v1/login", {})).json()) as { loginUrl: string; doneUrl: string };
    npm.settings.webLogin.confirm = false;
    const next = new URL(loginUrl).searchParams.get("next") ?? "?";
    await signInHttp(request, npm, clock, KEYHOLDER, next);
    expect(await (await request.get(npm.url + next)).text()).toContain("<h1>Logged in</h1>");
    const { token } = (await (await request.get(doneUrl)).json()) as { token: string };
    expect(await (await registry.get("/-/whoami", token)).json()).toEqual({ username: "keyholder" });
    expect((await registry.get(`/-/v1/done?sessionId=${randomUUID()}`)).status()).toBe(404);
  });
});

test.describe("session tokens", () => {
  test("npm logout's DELETE ends the session: whoami and the tokens API answer 401 afterwards", async ({ registry, npm }) => {
    const token = npm.startSession("alice");
    expect((await registry.get(TOKENS, token)).status()).toBe(200);
    // Someone else's token, or no token at all, ends nothing.
    const other = npm.startSession("bob");
    expect((await registry.delete(`/-/user/token/${encodeURIComponent(other)}`, token)).status()).toBe(404);
    expect((await registry.delete(`/-/user/token/${encodeURIComponent(token)}`)).status()).toBe(401);
    expect(npm.isSessionLive(other)).toBe(true);

    const logout = await registry.delete(`/-/user/token/${encodeURIComponent(token)}`, token);
    expect(logout.status()).toBe(200);
    expect(await logout.json()).toEqual({ ok: true });
    expect(npm.isSessionLive(token)).toBe(false);
    expect(npm.isLive(token)).toBe(false);
    expect((await registry.get("/-/whoami", token)).status()).toBe(401);
    const list = await registry.get(TOKENS, token);
    expect(list.status()).toBe(401);
    expect(await list.json()).toEqual({ error: "Unauthorized" });
  });

  test("a session lasts two hours on the replica's clock", async ({ registry, npm, clock }) => {
    const token = npm.startSession("alice");
    clock.advance(2 * 3600 - 1);
    expect((await registry.get("/-/whoami", token)).status()).toBe(200);
    clock.advance(1);
    expect((await registry.get("/-/whoami", token)).status()).toBe(401);
    expect((await registry.get(TOKENS, token)).status()).toBe(401);
    expect(npm.isSessionLive(token)).toBe(false);
  });
});

test.describe("the tokens API", () => {
  test("only session tokens are accepted, and every answer carries the security notice", async ({ registry, npm }) => {
    const granular = npm.issueToken("alice", { name: "ci" });
    for (const token of [undefined, granular, `npm_${"a".repeat(36)}`]) {
      const answer = await registry.get(TOKENS, token);
      expect(answer.status()).toBe(401);
      expect(await answer.json()).toEqual({ error: "Unauthorized" });
      expect(answer.headers()["npm-notice"]).toMatch(/^SECURITY NOTICE: Granular tokens now limited to 90 days/);
    }
    expect((await registry.get("/-/whoami", granular)).status()).toBe(200);
  });

  test("list: pages of perPage newest first, redacted values, urls always there and next relative until the last page", async ({
    registry,
    npm,
    clock,
  }) => {
    const values = Array.from({ length: 12 }, (_, i) =>
      npm.issueToken("alice", { name: `t${i}`, created: new Date(clock.now().getTime() - (12 - i) * 1000) }),
    );
    const session = npm.startSession("alice");

    const first = await registry.get(`${TOKENS}?perPage=5`, session);
    const page1 = (await first.json()) as { objects: Array<{ name: string; token: string }>; total: number; urls: { next?: string } };
    expect(page1.total).toBe(12);
    expect(page1.objects.map((o) => o.name)).toEqual(["t11", "t10", "t9", "t8", "t7"]);
    expect(page1.objects[0]?.token).toBe(`${values[11]?.slice(0, 8)}...${values[11]?.slice(-4)}`);
    expect(page1.urls.next).toBe(`${TOKENS}?page=1&perPage=5`);

    const names: string[] = [];
    let next: string | undefined = TOKENS;
    while (next) {
      const page = (await (await registry.get(next, session)).json()) as { objects: Array<{ name: string }>; urls: { next?: string } };
      expect(page).toHaveProperty("urls");
      names.push(...page.objects.map((o) => o.name));
      next = page.urls.next;
    }
    expect(names).toEqual(Array.from({ length: 12 }, (_, i) => `t${11 - i}`));
    expect(((await (await registry.get(`${TOKENS}?page=2&perPage=5`, session)).json()) as { urls: object }).urls).toEqual({});
    expect((await registry.get(`${TOKENS}?perPage=0`, session)).status()).toBe(400);
    expect((await registry.get(`${TOKENS}?page=-1`, session)).status()).toBe(400);
  });

  test("create: 201 with the full value once; the docs' and the CLI's spellings both work; stage-only; days or a date", async ({
    registry,
    npm,
    clock,
  }) => {
    const session = npm.startSession("alice");
    const documented = await registry.post(
      TOKENS,
      createBody({
        token_description: "for CircleCI",
        cidr: ["192.0.2.0/24"],
        packages: ["*"],
        packages_and_scopes_permission: "read-write-stage-only",
        bypass_2fa: true,
        expires: "2027-01-01T00:00:00Z",
      }),
      session,
      { "npm-otp": clock.code() },
    );
    expect(documented.status()).toBe(201);
    const created = (await documented.json()) as Record<string, unknown>;
    expect(Object.keys(created).sort()).toEqual(
      [
        "accessed",
        "bypass_2fa",
        "cidr",
        "created",
        "description",
        "expiry",
        "key",
        "name",
        "permissions",
        "publish_policy",
        "revoked",
        "scopes",
        "token",
        "updated",
      ].sort(),
    );
    expect(created).toMatchObject({
      name: "NPM_TOKEN gh/mozilla/nimbus-shared",
      description: "for CircleCI",
      expiry: "2027-01-01T00:00:00.000Z",
      cidr: ["192.0.2.0/24"],
      bypass_2fa: true,
      revoked: null,
      created: clock.now().toISOString(),
      updated: null,
      accessed: null,
      permissions: [{ name: "package", action: "write" }],
      scopes: [{ type: "package", name: "*" }],
      publish_policy: "stage_only",
    });
    expect(created.token).toMatch(FULL_TOKEN);
    expect(npm.isLive(String(created.token))).toBe(true);
    expect(npm.issuedSecrets()).toContain(created.token);

    clock.advance(30);
    const cli = await registry.post(
      TOKENS,
      createBody({
        description: "for CircleCI",
        cidr_whitelist: ["192.0.2.0/24"],
        packages: undefined,
        packages_all: true,
        packages_and_scopes_permission: "read-write-stage-only",
        bypass_2fa: true,
        expires: 30,
      }),
      session,
      { "npm-otp": clock.code() },
    );
    expect(cli.status()).toBe(201);
    const [viaCli, viaDocs] = npm.tokens("alice");
    expect(viaCli).toMatchObject({
      description: "for CircleCI",
      cidr: ["192.0.2.0/24"],
      packagesAll: true,
      permission: "read-write-stage-only",
      bypass2fa: true,
      expires: new Date(clock.now().getTime() + 30 * 86_400_000),
    });
    expect(viaDocs).toMatchObject({
      description: "for CircleCI",
      cidr: ["192.0.2.0/24"],
      packagesAll: true,
      permission: "read-write-stage-only",
      bypass2fa: true,
    });

    // Defaults: a write token lives 7 days; naming packages without a permission grants read-only for 30.
    clock.advance(30);
    await registry.post(TOKENS, createBody({ expires: undefined, scopes: ["@mozilla"] }), session, { "npm-otp": clock.code() });
    expect(npm.tokens("alice")[0]).toMatchObject({
      permission: "read-write",
      packages: ["nimbus-shared", "@mozilla"],
      expires: new Date(clock.now().getTime() + 7 * 86_400_000),
    });
    clock.advance(30);
    await registry.post(TOKENS, createBody({ expires: undefined, packages_and_scopes_permission: undefined }), session, {
      "npm-otp": clock.code(),
    });
    expect(npm.tokens("alice")[0]).toMatchObject({ permission: "read-only", expires: new Date(clock.now().getTime() + 30 * 86_400_000) });
    const listed = (await (await registry.get(TOKENS, session)).json()) as { objects: Array<Record<string, unknown>> };
    expect(listed.objects.map((o) => o.readonly)).toEqual([true, false, false, false]);
    expect(listed.objects[1]?.scopes).toEqual([
      { type: "package", name: "nimbus-shared" },
      { type: "scope", name: "@mozilla" },
    ]);
  });

  test("create: each refusal answers 400 with npm's text and makes nothing; a wrong password answers 401", async ({
    registry,
    npm,
    clock,
  }) => {
    const session = npm.startSession("alice");
    const cases: Array<[string, Record<string, unknown>]> = [
      ["Token name is required", { name: " " }],
      ["Token name is required", { name: undefined }],
      ["Packages must be an array", { packages: "nimbus-shared" }],
      ["Scopes must be an array", { scopes: "@mozilla" }],
      ["Organizations must be an array", { orgs: "mozilla" }],
      [
        "Invalid packages_and_scopes_permission. Must be one of: no-access, read-only, read-write, read-write-stage-only",
        { packages_and_scopes_permission: "publish" },
      ],
      [
        "Invalid orgs_permission. Must be one of: no-access, read-only, read-write",
        { orgs: ["mozilla"], orgs_permission: "read-write-stage-only" },
      ],
      [
        "You must have at least one package / scope or organization added to this token.",
        { packages: undefined, packages_and_scopes_permission: undefined },
      ],
      ["You must select at least one package or scope if granting package/scopes permissions to this token.", { packages: [] }],
      ["You must select at least one organization if granting organization permissions to this token.", { orgs_permission: "read-only" }],
      ["Please select at least one: package, scope or organization.", { packages_and_scopes_permission: "no-access" }],
      ["Read-write tokens cannot have expiration longer than 90 days", { expires: 91 }],
      [
        "Read-write tokens cannot have expiration longer than 90 days",
        { packages_and_scopes_permission: "read-write-stage-only", expires: "2027-02-23T08:00:01Z" },
      ],
      ["The expiration date must be at least 1 day in the future.", { expires: 0 }],
      ["expires must be a number of days or an ISO 8601 date", { expires: "30" }],
      ["You do not have access to left-pad", { packages: ["left-pad"] }],
      ["10.0.0.0/33 is not a valid IP range. Must be valid CIDR notation.", { cidr: ["10.0.0.0/33"] }],
      ["Password is required", { password: undefined }],
      ['Unknown field "token_name"', { token_name: "x" }],
      ['Unknown field "cidr_allowlist"', { cidr_allowlist: ["192.0.2.0/24"] }],
      [
        "description/token_description or cidr/cidr_whitelist given twice with different values",
        { description: "a", token_description: "b" },
      ],
    ];
    for (const [error, overrides] of cases) {
      const answer = await registry.post(TOKENS, createBody(overrides), session, { "npm-otp": clock.code() });
      expect(answer.status(), error).toBe(400);
      expect(await answer.json(), error).toEqual({ error });
    }
    // Read-only tokens have no maximum; 90 days is the write limit's edge.
    clock.advance(30);
    expect(
      (
        await registry.post(TOKENS, createBody({ packages_and_scopes_permission: "read-only", expires: 365 }), session, {
          "npm-otp": clock.code(),
        })
      ).status(),
    ).toBe(201);
    clock.advance(30);
    expect(
      (await registry.post(TOKENS, createBody({ expires: "2027-02-22T08:01:00Z" }), session, { "npm-otp": clock.code() })).status(),
    ).toBe(201);

    clock.advance(30);
    const code = clock.code();
    const wrong = await registry.post(TOKENS, createBody({ password: "not it" }), session, { "npm-otp": code });
    expect(wrong.status()).toBe(401);
    expect(await wrong.json()).toEqual({ error: "Invalid password" });
    expect(wrong.headers()["www-authenticate"]).toBeUndefined();
    // The code was not spent on the wrong password.
    expect((await registry.post(TOKENS, createBody(), session, { "npm-otp": code })).status()).toBe(201);
    expect(npm.tokens("alice")).toHaveLength(3);
  });

  test("one-time codes: the documented 401s, each with www-authenticate: OTP; a code serves several calls while valid, or once (knob); the refusal knob", async ({
    registry,
    npm,
    clock,
  }) => {
    const session = npm.startSession("alice");
    const legacy = await registry.post(TOKENS, createBody(), session);
    expect(legacy.status()).toBe(401);
    expect(legacy.headers()["www-authenticate"]).toBe("OTP");
    expect(await legacy.json()).toEqual({ error: MISSING_OTP });
    expect(legacy.headers()["npm-notice"]).toMatch(
      new RegExp(`^Open ${npm.url}/login/${UUID} to use your security key for authentication$`),
    );

    const web = await registry.post(TOKENS, createBody(), session, { "npm-auth-type": "web", "npm-command": "token" });
    expect(web.status()).toBe(401);
    expect(web.headers()["www-authenticate"]).toBe("OTP");
    const { authUrl, doneUrl } = (await web.json()) as { authUrl: string; doneUrl: string };
    expect(authUrl).toMatch(new RegExp(`^${npm.url}/auth/cli/${UUID}$`));
    expect(doneUrl).toBe(`${npm.registryUrl}/-/v1/done?authId=${authUrl.slice(-36)}`);
    // The web answer is for the token command only; another npm-command gets the plain one.
    expect(await (await registry.post(TOKENS, createBody(), session, { "npm-auth-type": "web", "npm-command": "trust" })).json()).toEqual({
      error: MISSING_OTP,
    });

    const wrongCode = clock.code() === "000000" ? "111111" : "000000";
    const wrong = await registry.post(TOKENS, createBody(), session, { "npm-otp": wrongCode });
    expect(wrong.status()).toBe(401);
    expect(wrong.headers()["www-authenticate"]).toBe("OTP");
    expect(await wrong.json()).toEqual({ error: "invalid OTP" });

    npm.settings.refuseOtps = 2;
    const code = clock.code();
    for (let i = 0; i < 2; i++)
      expect(await (await registry.post(TOKENS, createBody(), session, { "npm-otp": code })).json()).toEqual({ error: "invalid OTP" });
    expect(npm.tokens("alice")).toHaveLength(0);
    expect((await registry.post(TOKENS, createBody(), session, { "npm-otp": code })).status()).toBe(201);
    expect(npm.settings.refuseOtps).toBe(0);
    // By default the same code serves the next call too, while it is valid (a step either side of now).
    expect((await registry.post(TOKENS, createBody(), session, { "npm-otp": code })).status()).toBe(201);
    clock.advance(30);
    expect((await registry.post(TOKENS, createBody(), session, { "npm-otp": code })).status()).toBe(201);
    clock.advance(30);
    expect(await (await registry.post(TOKENS, createBody(), session, { "npm-otp": code })).json()).toEqual({ error: "invalid OTP" });
    expect(npm.tokens("alice")).toHaveLength(3);
    // Single-use (as some servers are): a code works once, and an older one is refused after a newer.
    npm.settings.oneTimeCodes = "single-use";
    const fresh = clock.code();
    expect((await registry.post(TOKENS, createBody(), session, { "npm-otp": fresh })).status()).toBe(201);
    expect((await registry.post(TOKENS, createBody(), session, { "npm-otp": fresh })).status()).toBe(401);
    expect(npm.tokens("alice")).toHaveLength(4);
  });

  test("web OTP for a security-key account: the auth URL wants the key, then the done URL gives a 16-digit code good once", async ({
    page,
    request,
    registry,
    npm,
    clock,
  }) => {
    const session = npm.startSession("keyholder");
    const body = createBody({ packages: ["nimbus-shared"] });
    // A security-key account has no authenticator codes.
    expect((await registry.post(TOKENS, body, session, { "npm-otp": clock.code() })).status()).toBe(401);
    const challenge = await registry.post(TOKENS, body, session, { "npm-auth-type": "web", "npm-command": "token" });
    const { authUrl, doneUrl } = (await challenge.json()) as { authUrl: string; doneUrl: string };
    const waiting = await request.get(doneUrl);
    expect(waiting.status()).toBe(202);
    expect(waiting.headers()["retry-after"]).toBe("1");

    await page.goto(authUrl);
    await page.getByLabel("Username").fill(KEYHOLDER.username);
    await page.getByLabel("Password", { exact: true }).fill(KEYHOLDER.password);
    await page.getByRole("button", { name: "Sign In" }).click();
    // The key twice: once to sign in, once to confirm the action.
    await page.getByRole("button", { name: "Use security key" }).click();
    await expect(page).toHaveURL(authUrl);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Two-Factor Authentication");
    await page.getByRole("button", { name: "Use security key" }).click();
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Authentication successful");

    const done = await request.get(doneUrl);
    expect(done.status()).toBe(200);
    const { token: otp } = (await done.json()) as { token: string };
    expect(otp).toMatch(/^\d{16}$/);
    expect(npm.issuedSecrets()).toContain(otp);
    expect((await registry.post(TOKENS, body, session, { "npm-otp": otp })).status()).toBe(201);
    expect(await (await registry.post(TOKENS, body, session, { "npm-otp": otp })).json()).toEqual({ error: "invalid OTP" });
    expect(npm.tokens("keyholder")).toHaveLength(1);

    // The npm-notice page for older clients shows the code to paste instead.
    const notice = (await registry.post(TOKENS, body, session)).headers()["npm-notice"] ?? "";
    await page.goto(/Open (\S+) to use/.exec(notice)?.[1] ?? "missing");
    await page.getByRole("button", { name: "Use security key" }).click();
    await expect(page.getByText("Please paste the below one-time password into your terminal.")).toBeVisible();
    const pasted = (await page.locator("code").innerText()).trim();
    expect(pasted).toMatch(/^\d{16}$/);
    expect((await registry.post(TOKENS, body, session, { "npm-otp": pasted })).status()).toBe(201);
  });

  test("an account without 2FA: the e-mail answer, then the e-mailed code works once; the web headers change nothing", async ({
    request,
    registry,
    npm,
    clock,
  }) => {
    const { loginUrl, doneUrl } = (await (await registry.post("/-/v1/login", {})).json()) as { loginUrl: string; doneUrl: string };
    const next = new URL(loginUrl).searchParams.get("next") ?? "?";
    await signInHttp(request, npm, clock, CAROL, next);
    await postForm(request, npm.url + next, [["csrftoken", csrfIn(await (await request.get(npm.url + next)).text())]]);
    const { token: session } = (await (await request.get(doneUrl)).json()) as { token: string };

    const asWebClient: Record<string, string> = { "npm-auth-type": "web", "npm-command": "token" };
    for (const headers of [{}, asWebClient]) {
      const asked = await registry.post(TOKENS, createBody(), session, headers);
      expect(asked.status()).toBe(401);
      expect(asked.headers()["www-authenticate"]).toBe("OTP");
      expect(await asked.json()).toEqual({ error: "A One Time Password (OTP) by email is required." });
    }
    const code = npm.lastEmailedOtp("carol") ?? "?";
    expect(code).toMatch(/^\d{8}$/);
    expect((await registry.post(TOKENS, createBody(), session, { "npm-otp": code })).status()).toBe(201);
    expect(await (await registry.post(TOKENS, createBody(), session, { "npm-otp": code })).json()).toEqual({ error: "invalid OTP" });
    expect(npm.tokens("carol")).toHaveLength(1);
  });

  test("the auth URL belongs to its account: another signed-in account is refused", async ({ request, registry, npm, clock }) => {
    const session = npm.startSession("keyholder");
    const { authUrl, doneUrl } = (await (
      await registry.post(TOKENS, createBody(), session, { "npm-auth-type": "web", "npm-command": "token" })
    ).json()) as { authUrl: string; doneUrl: string };
    const csrftoken = await signInHttp(request, npm, clock, ALICE);
    expect((await request.get(authUrl)).status()).toBe(403);
    expect((await postForm(request, authUrl, [["csrftoken", csrftoken]])).status()).toBe(403);
    expect((await request.get(doneUrl)).status()).toBe(202);
  });

  test("delete by key or by full value (204); the 400 and 404 answers", async ({ registry, npm, clock }) => {
    const session = npm.startSession("alice");
    const [first, second, third] = ["one", "two", "three"].map((name) => npm.issueToken("alice", { name }));
    const bobs = npm.issueToken("bob", { name: "bob's" });
    const keyOf = (name: string) => npm.tokens("alice").find((t) => t.name === name)?.key ?? "?";
    const otp = () => {
      clock.advance(30);
      return { "npm-otp": clock.code() };
    };

    expect(await (await registry.delete(`${TOKENS}/token/${keyOf("one")}`, session)).json()).toEqual({ error: MISSING_OTP });
    const byKey = await registry.delete(`${TOKENS}/token/${keyOf("one")}`, session, otp());
    expect(byKey.status()).toBe(204);
    expect(await byKey.text()).toBe("");
    expect(npm.isLive(first ?? "?")).toBe(false);
    expect((await registry.delete(`${TOKENS}/token/${second}`, session, otp())).status()).toBe(204);
    expect(npm.isLive(second ?? "?")).toBe(false);

    const redacted = `${third?.slice(0, 8)}...${third?.slice(-4)}`;
    const invalid = await registry.delete(`${TOKENS}/token/${encodeURIComponent(redacted)}`, session, otp());
    expect(invalid.status()).toBe(400);
    expect(await invalid.json()).toEqual({ message: "invalid token" });
    const unknownValue = await registry.delete(`${TOKENS}/token/${bobs}`, session, otp());
    expect(unknownValue.status()).toBe(400);
    expect(await unknownValue.json()).toEqual({ message: "could not delete token" });
    expect((await registry.delete(`${TOKENS}/token/${randomUUID()}`, session, otp())).status()).toBe(404);
    expect(npm.tokens("alice").map((t) => t.name)).toEqual(["three"]);
    expect(npm.isLive(bobs ?? "?")).toBe(true);
  });

  test("a seed may choose its value, so two tokens can end in the same four characters", async ({ registry, npm }) => {
    const first = npm.issueToken("alice", { name: "first" });
    const twin = `npm_${"A".repeat(32)}${first.slice(-4)}`;
    expect(npm.issueToken("alice", { name: "twin", value: twin })).toBe(twin);
    const listed = (await (await registry.get(TOKENS, npm.startSession("alice"))).json()) as { objects: Array<{ token: string }> };
    expect(listed.objects.map((o) => o.token.slice(-4))).toEqual([first.slice(-4), first.slice(-4)]);
    expect(() => npm.issueToken("alice", { name: "again", value: twin })).toThrow(/already exists/);
    expect(() => npm.issueToken("alice", { name: "odd", value: "npm_short" })).toThrow(/36 base62/);
  });

  test("the fault plan reaches the registry origin too", async ({ registry, npm }) => {
    npm.faults.add({ method: "GET", path: TOKENS, fault: { kind: "status", status: 503, body: "busy" } });
    const session = npm.startSession("alice");
    expect((await registry.get(TOKENS, session)).status()).toBe(503);
    expect((await registry.get(TOKENS, session)).status()).toBe(200);
    expect(npm.faults.hits).toEqual([{ method: "GET", path: TOKENS, kind: "status" }]);
  });
});

const ORG = "7b1c1c5e-1f7d-4d44-9c5a-0d5d6b0b8a11";
const PROJECT = "a3b0e0f4-8f0c-4f77-8a6c-5d7e2f9b1c22";
const PIPELINE = "c9d8e7f6-a5b4-4c3d-8e2f-1a0b9c8d7e33";
const CONTEXT = "0e1d2c3b-4a59-4687-9a5b-c4d3e2f1a044";
const VCS = "github.com/mozilla/nimbus-shared";
const SCOPED = "@mozilla/nimbus-shared";
const TRUST = `/-/package/${encodeURIComponent(SCOPED)}/trust`;

const circleci = (claims: Record<string, unknown> = {}, permissions = ["createPackage"]) => ({
  type: "circleci",
  claims: {
    "oidc.circleci.com/org-id": ORG,
    "oidc.circleci.com/project-id": PROJECT,
    "oidc.circleci.com/pipeline-definition-id": PIPELINE,
    "oidc.circleci.com/vcs-origin": VCS,
    ...claims,
  },
  permissions,
});

test.describe("trusted publishing", () => {
  test("add, read back, several add up (the same one twice is a 409; at most 10), remove; a one-time code every time", async ({
    registry,
    npm,
    clock,
  }) => {
    const session = npm.startSession("alice");
    const otp = (extra: Record<string, string> = {}) => {
      clock.advance(30);
      return { "npm-otp": clock.code(), ...extra };
    };
    const listed = await registry.get(TRUST, session);
    expect(listed.status()).toBe(401);
    expect(listed.headers()["www-authenticate"]).toBe("OTP");
    expect(await listed.json()).toEqual({ message: MISSING_OTP });
    const web = await registry.get(TRUST, session, { "npm-auth-type": "web", "npm-command": "trust" });
    expect(Object.keys((await web.json()) as object).sort()).toEqual(["authUrl", "doneUrl"]);
    expect(await (await registry.get(TRUST, session, otp())).json()).toEqual([]);

    const added = await registry.post(
      TRUST,
      [circleci({ "oidc.circleci.com/context-ids": [CONTEXT] }, ["createPackage", "createStagedPackage"])],
      session,
      otp(),
    );
    expect(added.status()).toBe(200);
    const [config] = (await added.json()) as Array<{ id: string }>;
    expect(config).toEqual({
      id: expect.stringMatching(new RegExp(`^${UUID}$`)),
      ...circleci({ "oidc.circleci.com/context-ids": [CONTEXT] }, ["createPackage", "createStagedPackage"]),
    });
    expect(npm.trustConfigs(SCOPED)).toEqual([config]);
    expect(await (await registry.get(TRUST, session, otp())).json()).toEqual([config]);

    // Another configuration goes alongside; the same one again (claims in another order) is refused.
    const second = await registry.post(TRUST, [circleci()], session, otp());
    expect(second.status()).toBe(200);
    expect(await (await registry.get(TRUST, session, otp())).json()).toEqual([config, ...((await second.json()) as unknown[])]);
    const again = await registry.post(
      TRUST,
      [{ ...circleci(), claims: Object.fromEntries(Object.entries(circleci().claims).reverse()) }],
      session,
      otp(),
    );
    expect(again.status()).toBe(409);
    expect(await again.json()).toEqual({
      message: "trusted publisher config already exists for the package. Please delete and re-create.",
    });
    for (let i = 2; i < 10; i++)
      npm.addTrustConfig(SCOPED, { type: "github", claims: { repository: `mozilla/repo-${i}` }, permissions: ["createPackage"] });
    const full = await registry.post(TRUST, [circleci({}, ["createStagedPackage"])], session, otp());
    expect(full.status()).toBe(400);
    expect(await full.json()).toEqual({
      message: "A package can have at most 10 trusted publisher configurations. Delete one before adding another.",
    });
    expect(npm.trustConfigs(SCOPED)).toHaveLength(10);

    expect(await (await registry.delete(`${TRUST}/not-a-uuid`, session, otp())).json()).toEqual({
      message: "Invalid trusted publisher config id format",
    });
    const missing = await registry.delete(`${TRUST}/${randomUUID()}`, session, otp());
    expect(missing.status()).toBe(404);
    expect(await missing.json()).toEqual({ message: "Trusted publisher configuration not found for the package" });
    expect((await registry.delete(`${TRUST}/${config?.id}`, session)).status()).toBe(401);
    expect((await registry.delete(`${TRUST}/${config?.id}`, session, otp())).status()).toBe(204);
    expect(npm.trustConfigs(SCOPED).map((c) => c.id)).not.toContain(config?.id);
    expect(npm.trustConfigs(SCOPED)).toHaveLength(9);
  });

  test("a configuration npm would not take is a 400, and it costs no code", async ({ registry, npm, clock }) => {
    const session = npm.startSession("alice");
    const code = clock.code();
    const refused: unknown[] = [
      circleci(),
      [circleci({ "oidc.circleci.com/org-id": "not-a-uuid" })],
      [circleci({ "oidc.circleci.com/vcs-origin": `https://${VCS}` })],
      [circleci({ "oidc.circleci.com/vcs-origin": "github.com/mozilla" })],
      [circleci({ "oidc.circleci.com/project-id": undefined })],
      [circleci({ "oidc.circleci.com/context-ids": [] })],
      [circleci({ "oidc.circleci.com/repository": "x" })],
      [circleci({}, [])],
      [circleci({}, ["publish"])],
      [{ ...circleci(), type: "github" }],
      [circleci(), circleci()],
    ];
    for (const body of refused) {
      const answer = await registry.post(TRUST, body, session, { "npm-otp": code });
      expect(answer.status(), JSON.stringify(body)).toBe(400);
      expect(await answer.json()).toEqual({ message: "Invalid trusted publisher configuration" });
    }
    expect((await registry.post(TRUST, [circleci()], session, { "npm-otp": code })).status()).toBe(200);
  });

  test("who may: 401 without a token, 404 for an unknown package, 403 for a non-maintainer, an account without 2FA or a bypass-2FA token", async ({
    registry,
    npm,
    clock,
  }) => {
    const otp = { "npm-otp": clock.code() };
    expect(await (await registry.get(TRUST)).json()).toEqual({ message: "Unauthorized" });
    const alice = npm.startSession("alice");
    const unknown = await registry.get(`/-/package/${encodeURIComponent("@mozilla/nope")}/trust`, alice, otp);
    expect(unknown.status()).toBe(404);
    expect(await unknown.json()).toEqual({ message: "Package not found" });

    const bob = npm.startSession("bob");
    const list = await registry.get(TRUST, bob, otp);
    expect(list.status()).toBe(403);
    expect(await list.json()).toEqual({ message: "Insufficient permissions to access trusted publisher configurations for this package" });
    const remove = await registry.delete(`${TRUST}/${randomUUID()}`, bob, otp);
    expect(await remove.json()).toEqual({ message: "Insufficient permissions to access trusted publisher config for the package" });
    expect((await registry.post(TRUST, [circleci()], bob, otp)).status()).toBe(403);

    const withoutTwoFactor = await registry.get(TRUST, npm.startSession("carol"), otp);
    expect(withoutTwoFactor.status()).toBe(403);
    expect(await withoutTwoFactor.json()).toEqual({ message: "Please enable 2fa for your account" });

    const bypass = npm.issueToken("alice", { name: "ci", packages: [SCOPED], bypass2fa: true });
    expect((await registry.post(TRUST, [circleci()], bypass, otp)).status()).toBe(403);
    const readOnly = npm.issueToken("alice", { name: "read", permission: "read-only", packages: [SCOPED] });
    expect((await registry.post(TRUST, [circleci()], readOnly, otp)).status()).toBe(403);
    // A granular token with write on the package and no bypass may (the API docs name them).
    const writer = npm.issueToken("alice", { name: "write", packages: ["@mozilla"] });
    expect((await registry.post(TRUST, [circleci()], writer, otp)).status()).toBe(200);
  });

  test("package access: 2FA required and tokens disallowed, with a code; turning 2FA off is refused; a package exists when its document does", async ({
    registry,
    npm,
    clock,
  }) => {
    const session = npm.startSession("alice");
    const access = `/-/package/${encodeURIComponent(SCOPED)}/access`;
    const body = { publish_requires_tfa: true, automation_token_overrides_tfa: false };
    expect((await registry.post(access, body, session)).headers()["www-authenticate"]).toBe("OTP");
    const set = await registry.post(access, body, session, { "npm-otp": clock.code() });
    expect(set.status()).toBe(200);
    expect(await set.text()).toBe("");
    expect(npm.packageAccess(SCOPED)).toEqual({ publishRequiresTfa: true, automationTokenOverridesTfa: false });
    expect((await registry.post(access, { publish_requires_tfa: false }, session, { "npm-otp": clock.code() })).status()).toBe(400);
    expect((await registry.post(access, { mfa: "none" }, session, { "npm-otp": clock.code() })).status()).toBe(400);
    expect((await registry.post(access, body, npm.startSession("bob"), { "npm-otp": clock.code() })).status()).toBe(403);

    const packument = await registry.get(`/${encodeURIComponent(SCOPED)}`);
    expect(packument.status()).toBe(200);
    expect(await packument.json()).toMatchObject({
      _id: SCOPED,
      name: SCOPED,
      maintainers: [{ name: "alice" }, { name: "keyholder" }, { name: "carol" }],
    });
    const missing = await registry.get(`/${encodeURIComponent("@mozilla/nope")}`);
    expect(missing.status()).toBe(404);
    expect(await missing.json()).toEqual({ error: "Not found" });
  });
});

/** A stand-in for CircleCI's OIDC issuer: discovery and JWKS on loopback, and id tokens signed with its key. */
interface Issuer {
  base: string;
  mint(claims?: Record<string, unknown>, options?: { key?: KeyObject; kid?: string }): string;
  close(): Promise<void>;
}

/** Made once per worker: RSA key generation is slow on a busy machine. */
const ISSUER_KEYS = generateKeyPairSync("rsa", { modulusLength: 2048 });
const OTHER_KEYS = generateKeyPairSync("rsa", { modulusLength: 2048 });

async function startIssuer(now: () => Date, audience: string): Promise<Issuer> {
  const { privateKey, publicKey } = ISSUER_KEYS;
  let base = "";
  const server: Listening = await listen((req, res) => {
    const discovery = /^\/org\/([^/]+)\/\.well-known\/openid-configuration$/.exec(req.url ?? "");
    res.setHeader("content-type", "application/json");
    if (discovery) return res.end(JSON.stringify({ issuer: `${base}/org/${discovery[1]}`, jwks_uri: `${base}/jwks` }));
    if (req.url === "/jwks")
      return res.end(JSON.stringify({ keys: [{ ...publicKey.export({ format: "jwk" }), kid: "k1", alg: "RS256", use: "sig" }] }));
    res.statusCode = 404;
    res.end("{}");
  });
  base = server.url;
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return {
    base,
    mint(claims = {}, options = {}) {
      const iat = Math.floor(now().getTime() / 1000);
      const payload = {
        iss: `${base}/org/${ORG}`,
        sub: `org/${ORG}/project/${PROJECT}/user/${randomUUID()}/vcs-origin/${VCS}/vcs-ref/refs/heads/main`,
        aud: audience,
        iat,
        exp: iat + 3600,
        "oidc.circleci.com/org-id": ORG,
        "oidc.circleci.com/project-id": PROJECT,
        "oidc.circleci.com/pipeline-definition-id": PIPELINE,
        "oidc.circleci.com/pipeline-id": randomUUID(),
        "oidc.circleci.com/job-id": randomUUID(),
        "oidc.circleci.com/workflow-id": randomUUID(),
        "oidc.circleci.com/vcs-origin": VCS,
        "oidc.circleci.com/vcs-ref": "refs/heads/main",
        "oidc.circleci.com/context-ids": [CONTEXT],
        "oidc.circleci.com/ssh-rerun": false,
        ...claims,
      };
      const signingInput = `${encode({ alg: "RS256", typ: "JWT", kid: options.kid ?? "k1" })}.${encode(payload)}`;
      return `${signingInput}.${sign("RSA-SHA256", Buffer.from(signingInput), options.key ?? privateKey).toString("base64url")}`;
    },
    close: () => server.close(),
  };
}

test.describe("the OIDC token exchange", () => {
  const EXCHANGE = `/-/npm/v1/oidc/token/exchange/package/${encodeURIComponent(SCOPED)}`;

  test("a token minted for the configured project and pipeline gets a package-scoped publish token; the others are refused", async ({
    registry,
    npm,
    clock,
  }) => {
    const issuer = await startIssuer(clock.now, `npm:${new URL(npm.registryUrl).hostname}`);
    try {
      npm.addTrustConfig(SCOPED, circleci({ "oidc.circleci.com/context-ids": [CONTEXT] }, ["createStagedPackage"]));
      const exchange = (jwt: string, path = EXCHANGE) => registry.post(path, undefined, jwt);

      // Until the replica is told to trust the issuer, nothing it signs is accepted.
      expect((await exchange(issuer.mint())).status()).toBe(401);
      npm.trustOidcIssuer(issuer.base);

      const accepted = await exchange(issuer.mint());
      expect(accepted.status()).toBe(201);
      const body = (await accepted.json()) as { token_type: string; token: string; created: string; expires: string };
      expect(body).toEqual({
        token_type: "oidc",
        token: expect.stringMatching(FULL_TOKEN),
        created: clock.now().toISOString(),
        expires: new Date(clock.now().getTime() + 3600_000).toISOString(),
      });
      expect(npm.exchangeGrant(body.token)).toEqual({ package: SCOPED, actions: ["createStagedPackage"], expires: new Date(body.expires) });
      expect(npm.issuedSecrets()).toContain(body.token);
      // whoami "does not reflect OIDC publishing".
      expect((await registry.get("/-/whoami", body.token)).status()).toBe(401);

      const refused: Array<[string, string]> = [
        ["another project", issuer.mint({ "oidc.circleci.com/project-id": randomUUID() })],
        ["another pipeline definition", issuer.mint({ "oidc.circleci.com/pipeline-definition-id": randomUUID() })],
        ["an SSH re-run", issuer.mint({ "oidc.circleci.com/ssh-rerun": true })],
        ["the org's default audience", issuer.mint({ aud: ORG })],
        ["another registry's audience", issuer.mint({ aud: "npm:registry.example" })],
        ["expired", issuer.mint({ exp: Math.floor(clock.now().getTime() / 1000) })],
        ["another repository", issuer.mint({ "oidc.circleci.com/vcs-origin": "github.com/mozilla/other" })],
        ["a custom webhook (no vcs-origin)", issuer.mint({ "oidc.circleci.com/vcs-origin": undefined })],
        ["without the configured context", issuer.mint({ "oidc.circleci.com/context-ids": [randomUUID()] })],
        ["another organization's issuer", issuer.mint({ iss: `${issuer.base}/org/${randomUUID()}` })],
        ["signed by another key", issuer.mint({}, { key: OTHER_KEYS.privateKey })],
        ["an unknown key id", issuer.mint({}, { kid: "k2" })],
        ["an untrusted issuer", issuer.mint({ iss: `http://127.0.0.1:9/org/${ORG}` })],
      ];
      for (const [why, jwt] of refused) {
        const answer = await exchange(jwt);
        expect(answer.status(), why).toBe(401);
        expect(await answer.json(), why).toEqual({ message: "OIDC token exchange error - unauthorized" });
      }
      expect(npm.exchangeOutcomes().filter((o) => o.accepted)).toHaveLength(1);

      const unknown = await exchange(issuer.mint(), `/-/npm/v1/oidc/token/exchange/package/${encodeURIComponent("@mozilla/nope")}`);
      expect(unknown.status()).toBe(404);
      expect(await unknown.json()).toEqual({ message: "OIDC token exchange error - package not found" });
      const noToken = await registry.post(EXCHANGE, undefined);
      expect(noToken.status()).toBe(400);
      expect(await noToken.json()).toEqual({ message: "OIDC token exchange error - bad request" });

      // A later token still works, and the exchange token expires after its hour.
      clock.advance(3600);
      expect(npm.exchangeGrant(body.token)).toBeUndefined();
      expect((await exchange(issuer.mint())).status()).toBe(201);
    } finally {
      await issuer.close();
    }
  });

  test("the reasons recorded for refusals name the claim that failed", async ({ registry, npm, clock }) => {
    const issuer = await startIssuer(clock.now, `npm:${new URL(npm.registryUrl).hostname}`);
    try {
      npm.trustOidcIssuer(issuer.base);
      await registry.post(EXCHANGE, undefined, issuer.mint());
      npm.addTrustConfig(SCOPED, circleci());
      await registry.post(EXCHANGE, undefined, issuer.mint({ "oidc.circleci.com/project-id": randomUUID() }));
      await registry.post(EXCHANGE, undefined, issuer.mint({ "oidc.circleci.com/ssh-rerun": true }));
      await registry.post(EXCHANGE, undefined, issuer.mint({ exp: Math.floor(clock.now().getTime() / 1000) - 1 }));
      // No contexts configured: any context (or none) will do.
      await registry.post(EXCHANGE, undefined, issuer.mint({ "oidc.circleci.com/context-ids": undefined }));
      expect(npm.exchangeOutcomes()).toEqual([
        { package: SCOPED, accepted: false, reason: "the package trusts no CircleCI publisher" },
        { package: SCOPED, accepted: false, reason: "oidc.circleci.com/project-id differs" },
        { package: SCOPED, accepted: false, reason: "an SSH re-run" },
        { package: SCOPED, accepted: false, reason: "expired" },
        { package: SCOPED, accepted: true },
      ]);
    } finally {
      await issuer.close();
    }
  });
});
