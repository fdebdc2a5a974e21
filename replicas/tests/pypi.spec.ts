// The pypi.org replica against the facts in docs/sites/pypi.md: HTTP-level checks through
// the `request` fixture, and the page-level behaviour a Playwright flow relies on in Chromium.
import { Secret, TOTP } from "otpauth";
import macaroon from "macaroon";
import { TestClock } from "./support/clock.js";
import { ACCEPTED, upload } from "./support/upload.js";
import { expect, test as base, type APIRequestContext, type APIResponse, type Page } from "@playwright/test";
import { macaroonId, startPypiReplica, type PypiReplica, type PypiUser } from "rotate-replicas";

const BOT: PypiUser = {
  username: "nimbus-bot",
  password: "Tr0ub4dor&3-unique",
  email: "bot@example.org",
  totpSecret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
  projects: ["Nimbus_Shared", "nimbus.cli"],
};
const OTHER: PypiUser = { ...BOT, username: "someone-else", email: "else@example.org", projects: ["numpy"] };

const test = base.extend<{ clock: TestClock; pypi: PypiReplica }>({
  clock: async ({}, use) => use(new TestClock(BOT.totpSecret)),
  pypi: async ({ clock }, use) => {
    const replica = await startPypiReplica({ users: [BOT, OTHER], now: clock.now });
    await use(replica);
    await replica.close();
  },
});

function csrfIn(markup: string): string {
  const match = /name="csrf_token" type="hidden" value="([^"]+)"/.exec(markup);
  if (!match?.[1]) throw new Error("no csrf_token on the page");
  return match[1];
}

async function csrfOf(response: APIResponse): Promise<string> {
  return csrfIn(await response.text());
}

/** GET a form page, then POST it with its CSRF token, without following the redirect. */
async function submit(request: APIRequestContext, url: string, form: Record<string, string>): Promise<APIResponse> {
  const csrf_token = await csrfOf(await request.get(url));
  return request.post(url, { form: { csrf_token, ...form }, maxRedirects: 0 });
}

async function passwordStep(request: APIRequestContext, pypi: PypiReplica, user = BOT): Promise<string> {
  const response = await submit(request, `${pypi.url}/account/login/`, { username: user.username, password: user.password });
  expect(response.status()).toBe(303);
  const location = response.headers()["location"] ?? "";
  expect(location).toMatch(/^\/account\/two-factor\/\?[\w.-]+$/);
  return pypi.url + location;
}

async function signInByHttp(request: APIRequestContext, pypi: PypiReplica, clock: TestClock, user = BOT): Promise<void> {
  const done = await submit(request, await passwordStep(request, pypi, user), { totp_value: clock.code(user.totpSecret) });
  expect(done.status()).toBe(303);
}

async function flashesOf(request: APIRequestContext, pypi: PypiReplica): Promise<string> {
  return (await request.get(`${pypi.url}/_includes/unauthed/flash-messages/`)).text();
}

async function signInInPage(page: Page, pypi: PypiReplica, clock: TestClock, target = "/manage/account/"): Promise<void> {
  await page.goto(pypi.url + target);
  await page.getByLabel("Username (required)").fill(BOT.username);
  await page.getByLabel("Password (required)").fill(BOT.password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByLabel("Enter authentication code").fill(clock.code());
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(page).toHaveURL(pypi.url + target);
}

test.describe("login", () => {
  test("password + TOTP in a real page, 303s, next honoured, remembered device skips 2FA", async ({ page, pypi, clock }) => {
    const statuses: string[] = [];
    page.on("response", (r) => {
      if (r.request().resourceType() === "document") statuses.push(`${r.request().method()} ${new URL(r.url()).pathname} ${r.status()}`);
    });
    await page.goto(`${pypi.url}/manage/account/token/`);
    await expect(page).toHaveURL(`${pypi.url}/account/login/?next=%2Fmanage%2Faccount%2Ftoken%2F`);
    await expect(page).toHaveTitle("Log in · PyPI");
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Log in to PyPI");
    await expect(page.locator('#login-form input[name="next"]')).toHaveValue("/manage/account/token/");
    await page.getByLabel("Username (required)").fill(BOT.username);
    await page.getByLabel("Password (required)").fill(BOT.password);
    await page.getByRole("button", { name: "Log in" }).click();

    await expect(page).toHaveURL(/\/account\/two-factor\/\?[\w.-]+$/);
    await expect(page.locator("#totp-auth-form")).toHaveAttribute("action", /\?[\w.-]+=$/);
    await page.getByLabel("Enter authentication code").fill(clock.code());
    await page.getByLabel("Remember this device for 30 days").check();
    await page.getByRole("button", { name: "Verify" }).click();
    await expect(page).toHaveURL(`${pypi.url}/manage/account/token/`);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Create API token");
    expect(statuses).toEqual([
      "GET /manage/account/token/ 303",
      "GET /account/login/ 200",
      "POST /account/login/ 303",
      "GET /account/two-factor/ 200",
      "POST /account/two-factor/ 303",
      "GET /manage/account/token/ 200",
    ]);

    const cookies = await page.context().cookies();
    expect(cookies.find((c) => c.name === "session_id")).toMatchObject({ httpOnly: true, sameSite: "Lax", expires: -1 });
    expect(cookies.find((c) => c.name === "remember_device")).toMatchObject({
      path: "/account/login/",
      httpOnly: true,
      sameSite: "Strict",
    });

    await page.goto(`${pypi.url}/account/logout/`);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(`Log out of ${BOT.username}`);
    await page.getByRole("button", { name: "Log out" }).click();
    await expect(page).toHaveURL(`${pypi.url}/`);
    await page.goto(`${pypi.url}/account/login/`);
    await page.getByLabel("Username (required)").fill(BOT.username);
    await page.getByLabel("Password (required)").fill(BOT.password);
    await page.getByRole("button", { name: "Log in" }).click();
    await expect(page).toHaveURL(`${pypi.url}/manage/projects/`);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Your projects");
  });

  test("login form errors and the per-user lockout", async ({ request, pypi, clock }) => {
    const login = `${pypi.url}/account/login/`;
    const errorsOf = async (form: Record<string, string>) => {
      const response = await submit(request, login, form);
      expect(response.status()).toBe(200);
      const text = await response.text();
      expect(text).toContain("<title>Error processing form – Log in · PyPI</title>");
      return text;
    };
    expect(await errorsOf({ username: "", password: "" })).toMatch(
      /id="username-errors"><ul class="form-errors" role="alert"><li>This field is required\.<\/li>/,
    );
    expect(await errorsOf({ username: "bot@example.org", password: "x" })).toContain(
      "Usernames are not the same as email addresses. Enter your username instead of your email address.",
    );
    expect(await errorsOf({ username: "nobody", password: "x" })).toContain("No user found with that username");
    for (let i = 0; i < 10; i++) {
      expect(await errorsOf({ username: BOT.username, password: "wrong" })).toMatch(
        /id="password-errors"><ul class="form-errors" role="alert"><li>The password is invalid\. Try again\.<\/li>/,
      );
    }
    clock.advance(60);
    expect(await errorsOf({ username: BOT.username, password: BOT.password })).toContain(
      "There have been too many unsuccessful login attempts. You have been locked out for 4 minutes. Please try again later.",
    );
    clock.advance(240);
    expect((await submit(request, login, { username: BOT.username, password: BOT.password })).status()).toBe(303);
  });

  test("bad TOTP texts, replay rejected, 429 after five failures", async ({ request, pypi, clock }) => {
    const twoFactor = await passwordStep(request, pypi);
    const errorsOf = async (code: string) => (await submit(request, twoFactor, { totp_value: code })).text();
    expect(await errorsOf("12345")).toContain('<ul id="totp-errors" class="form-errors" role="alert"><li>TOTP code must be 6 digits.</li>');
    expect(await errorsOf(wrongCode(clock))).toContain(
      '<ul id="totp-errors" class="form-errors" role="alert"><li>Invalid TOTP code.</li></ul>',
    );
    const used = clock.code();
    const ok = await submit(request, `${twoFactor}=`, { totp_value: ` ${used.slice(0, 3)} ${used.slice(3)} ` });
    expect(ok.status()).toBe(303);
    expect(ok.headers()["location"]).toBe("/");

    await submit(request, `${pypi.url}/account/logout/`, {});
    const again = await passwordStep(request, pypi);
    expect(await (await submit(request, again, { totp_value: used })).text()).toContain("<li>Invalid TOTP code.</li>");
    // Failures so far: "12345" and one wrong code (a replay is refused without counting).
    for (let i = 0; i < 3; i++) await submit(request, again, { totp_value: wrongCode(clock) });
    const locked = await submit(request, again, { totp_value: clock.code() });
    expect(locked.status()).toBe(429);
    expect(locked.statusText()).toBe("Too Many Failed Login Attempts");
    expect(locked.headers()["retry-after"]).toBe("300");
    expect(await locked.text()).toContain("There have been too many unsuccessful login attempts. You have been locked out for 5 minutes.");
  });

  test("the two-factor link dies after 300 s and after a later login", async ({ request, pypi, clock }) => {
    const stale = await passwordStep(request, pypi);
    clock.advance(301);
    const expired = await request.get(stale, { maxRedirects: 0 });
    expect(expired.status()).toBe(303);
    expect(expired.headers()["location"]).toBe("/account/login/");
    expect(await flashesOf(request, pypi)).toMatch(
      /notification-bar--danger" role="alert">\s*<span class="notification-bar__message">Invalid or expired two factor login\.<\/span>/,
    );
    expect(await flashesOf(request, pypi)).toBe("");

    const first = await passwordStep(request, pypi);
    clock.advance(1);
    const second = await passwordStep(request, pypi);
    expect((await submit(request, second, { totp_value: clock.code() })).status()).toBe(303);
    await submit(request, `${pypi.url}/account/logout/`, {});
    expect((await request.get(first, { maxRedirects: 0 })).headers()["location"]).toBe("/account/login/");
  });

  test("an unrecognized device stops at confirm-login until the emailed link is opened", async ({ page, pypi, clock }) => {
    pypi.settings.unrecognizedDevice = true;
    await page.goto(`${pypi.url}/account/login/`);
    await page.getByLabel("Username (required)").fill(BOT.username);
    await page.getByLabel("Password (required)").fill(BOT.password);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.getByLabel("Enter authentication code").fill(clock.code());
    await page.getByRole("button", { name: "Verify" }).click();
    await expect(page).toHaveURL(`${pypi.url}/account/confirm-login/`);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Please confirm this login");

    const link = pypi.confirmLoginLink(BOT.username);
    expect(link).toMatch(new RegExp(`^${pypi.url}/account/confirm-login/\\?token=`));
    await page.goto(link ?? "");
    await expect(page).toHaveURL(`${pypi.url}/manage/projects/`);
    await expect(page.getByRole("status")).toHaveText("Your login has been confirmed and this device is now recognized.");
    expect(pypi.confirmLoginLink(BOT.username)).toBeUndefined();
  });
});

test("a bad or missing CSRF token is a plain 400 Bad CSRF Token", async ({ request, pypi }) => {
  // Checked before login (docs/sites/pypi.md, "Guards on management pages" order), so a session-less POST to a protected page is a 400 too.
  const noSession = await request.post(`${pypi.url}/manage/account/token/`, { form: { description: "x" }, maxRedirects: 0 });
  expect([noSession.status(), noSession.statusText()]).toEqual([400, "Bad CSRF Token"]);
  await request.get(`${pypi.url}/account/login/`);
  const response = await request.post(`${pypi.url}/account/login/`, {
    form: { csrf_token: "forged", username: BOT.username, password: BOT.password },
  });
  expect(response.status()).toBe(400);
  expect(response.statusText()).toBe("Bad CSRF Token");
  expect(await response.text()).toContain("<h1>400 Bad CSRF Token</h1>");
});

test.describe("re-authentication", () => {
  test("a forced re-auth on the create POST answers 200 in place and drops the POST", async ({ page, pypi, clock }) => {
    await signInInPage(page, pypi, clock, "/manage/account/token/");
    pypi.faults.add({
      method: "POST",
      path: "/manage/account/token/",
      when: (r) => !("confirm_password" in r.body),
      fault: { kind: "reauth" },
    });
    await page.getByLabel("Token name").fill("first try");
    await page.getByLabel("Scope").selectOption("scope:user");
    const [answer] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === "POST"),
      page.getByRole("button", { name: "Create token" }).click(),
    ]);
    expect(answer.status()).toBe(200);
    await expect(page).toHaveURL(`${pypi.url}/manage/account/token/`);
    await expect(page).toHaveTitle("Confirm password · PyPI");
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Confirm password to continue");
    await expect(page.locator('input[name="next_route"]')).toHaveValue("manage.account.token");
    await expect(page.getByText("We won't ask you to confirm your password again for the next hour.")).toBeVisible();
    expect(pypi.tokens(BOT.username)).toEqual([]);

    await page.getByLabel("Password (required)").fill(BOT.password);
    await page.getByRole("button", { name: "Confirm password" }).click();
    await expect(page).toHaveURL(`${pypi.url}/manage/account/token/`);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Create API token");
    expect(pypi.tokens(BOT.username)).toEqual([]);
  });

  test("30 minutes after login the account page asks again; only the right password passes", async ({ request, pypi, clock }) => {
    await signInByHttp(request, pypi, clock);
    expect(await (await request.get(`${pypi.url}/manage/account/`)).text()).toContain('<h1 class="page-title">Account settings</h1>');
    clock.advance(1800);
    const gate = await request.get(`${pypi.url}/manage/account/?tab=tokens`);
    expect(gate.status()).toBe(200);
    const gateText = await gate.text();
    expect(gateText).toContain("Confirm password to continue");
    expect(gateText).toContain('name="next_route_query" value="{&quot;tab&quot;:&quot;tokens&quot;}"');
    const confirm = (password: string) =>
      request.post(`${pypi.url}/account/reauthenticate/`, {
        form: {
          csrf_token: csrfIn(gateText),
          next_route: "manage.account",
          next_route_matchdict: "{}",
          next_route_query: '{"tab":"tokens"}',
          password,
        },
        maxRedirects: 0,
      });
    const wrong = await confirm("wrong");
    expect(wrong.status()).toBe(303);
    expect(wrong.headers()["location"]).toBe("/manage/account/?tab=tokens");
    expect(await (await request.get(`${pypi.url}/manage/account/`)).text()).toContain("Confirm password to continue");
    expect((await confirm(BOT.password)).status()).toBe(303);
    expect(await (await request.get(`${pypi.url}/manage/account/`)).text()).toContain("Account settings</h1>");
  });
});

test.describe("API tokens", () => {
  test("creating one answers 200 with the token shown once in #provisioned-key", async ({ page, pypi, clock }) => {
    await signInInPage(page, pypi, clock, "/manage/account/token/?selected_project=nimbus-shared");
    await expect(page.getByLabel("Scope")).toHaveValue("scope:project:nimbus-shared");
    await expect(page.locator("#token_scope option")).toHaveText([
      "Select scope...",
      "Entire account (all projects)",
      "Project: nimbus-cli",
      "Project: nimbus-shared",
    ]);
    await page.getByLabel("Token name").fill("PYPI_TOKEN gh/mozilla/nimbus-shared 2026-11-24T08:00Z");
    const [answer] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === "POST"),
      page.getByRole("button", { name: "Create token" }).click(),
    ]);
    expect(answer.status()).toBe(200);
    const section = page.locator("#provisioned-key");
    await expect(section.getByRole("heading", { level: 2 })).toHaveText(
      'Token for "PYPI_TOKEN gh/mozilla/nimbus-shared 2026-11-24T08:00Z"',
    );
    await expect(section).toContainText('Scope: Project "nimbus-shared"');
    await expect(section).toContainText("For security reasons this token will only appear once. Copy it now.");
    await expect(section.getByRole("button", { name: "Copy token to clipboard" })).toHaveText("Copy token");
    const token = (await section.locator('code[data-clipboard-target="source"]').textContent()) ?? "";
    expect(token).toMatch(/^pypi-AgE[\w-]+$/);

    const [record] = pypi.tokens(BOT.username);
    expect(record).toMatchObject({
      description: "PYPI_TOKEN gh/mozilla/nimbus-shared 2026-11-24T08:00Z",
      scope: { kind: "project", project: "nimbus-shared" },
      lastUsed: null,
    });
    expect(record?.created).toEqual(clock.now());
    expect(macaroonId(token)).toBe(record?.id);
    expect(pypi.isLive(token)).toBe(true);
  });

  test("create validation texts", async ({ request, pypi, clock }) => {
    await signInByHttp(request, pypi, clock);
    pypi.issueToken(BOT.username, { description: "taken" });
    const errorsOf = async (form: Record<string, string>) => {
      const response = await submit(request, `${pypi.url}/manage/account/token/`, form);
      expect(response.status()).toBe(200);
      const text = await response.text();
      expect(text).toContain("<title>Error processing form – Create API token · PyPI</title>");
      const description = /<ul id="description-errors"[^>]*>(.*?)<\/ul>/.exec(text)?.[1] ?? "";
      const scope = /<ul id="token_scope-errors"[^>]*>(.*?)<\/ul>/.exec(text)?.[1] ?? "";
      return { description, scope };
    };
    expect(await errorsOf({ description: "taken", token_scope: "scope:user" })).toEqual({
      description: "<li>API token name already in use</li>",
      scope: "",
    });
    expect(await errorsOf({ description: "n", token_scope: "scope:project:numpy" })).toEqual({
      description: "",
      scope: "<li>Unknown or invalid project name: numpy</li>",
    });
    expect(await errorsOf({ description: "n", token_scope: "scope:project:Nimbus_Shared" })).toEqual({
      description: "",
      scope: "<li>Unknown or invalid project name: Nimbus_Shared</li>",
    });
    expect(await errorsOf({ description: "", token_scope: "scope:unspecified" })).toEqual({
      description: "<li>Specify a token name</li>",
      scope: "<li>Specify the token scope</li>",
    });
    expect(await errorsOf({ description: "x".repeat(101) })).toEqual({
      description: "<li>Description must be 100 characters or less</li>",
      scope: "<li>Specify the token scope</li>",
    });
    expect(await errorsOf({ description: "n", token_scope: "bogus" })).toEqual({
      description: "",
      scope: "<li>Unknown token scope: bogus</li>",
    });
    expect(pypi.tokens(BOT.username).map((t) => t.description)).toEqual(["taken"]);
  });

  test("listed newest first; deleted through the modal, whose button waits for a password", async ({ page, pypi, clock }) => {
    const oldToken = pypi.issueToken(BOT.username, { description: "old", created: new Date("2026-01-02T03:04:05Z") });
    pypi.issueToken(BOT.username, { description: "scoped", project: "nimbus.cli" });
    await signInInPage(page, pypi, clock);
    const section = page.locator("#api-tokens");
    await expect(page.locator("table.table--api-tokens")).toHaveCount(2);
    await expect(section.locator("thead th")).toHaveText(["Name", "Scope", "Created", "Last used", "Actions"]);
    await expect(section.locator('tbody th[scope="row"]')).toHaveText(["Namescoped", "Nameold"]);
    const oldRow = section.locator("tbody tr", { has: page.locator("th", { hasText: "old" }) });
    await expect(oldRow.locator("td")).toHaveText(["ScopeAll projects", "CreatedJan 2, 2026", "Last usedNever", /Options/]);
    await expect(oldRow.locator("time")).toHaveAttribute("datetime", "2026-01-02T03:04:05+0000");

    const id = macaroonId(oldToken) ?? "";
    await oldRow.getByRole("button", { name: "View token options" }).click();
    await oldRow.getByRole("link", { name: "Remove token" }).click();
    await expect(page).toHaveURL(`${pypi.url}/manage/account/#remove-API-token--${id}`);
    const modal = page.locator(`#remove-API-token--${id}`);
    await expect(modal.getByRole("heading", { level: 3 })).toHaveText("Remove API token - old");
    const remove = modal.getByRole("button", { name: "Remove API token" });
    await expect(remove).toBeDisabled();
    await modal.locator('input[name="confirm_password"]').fill(BOT.password);
    await expect(remove).toBeEnabled();
    const [answer] = await Promise.all([page.waitForResponse((r) => r.request().method() === "POST"), remove.click()]);
    expect(answer.status()).toBe(303);
    await expect(page).toHaveURL(`${pypi.url}/manage/account/`);
    await expect(page.getByRole("status")).toHaveText("Deleted API token 'old'.");
    await expect(page.locator(".notification-bar--success .notification-bar__message")).toHaveCount(1);
    expect(pypi.tokens(BOT.username).map((t) => t.description)).toEqual(["scoped"]);
    expect(pypi.isLive(oldToken)).toBe(false);
  });

  test("delete failures: wrong password, unknown id, someone else's token", async ({ request, pypi, clock }) => {
    await signInByHttp(request, pypi, clock);
    const mine = macaroonId(pypi.issueToken(BOT.username, { description: "mine" })) ?? "";
    const theirs = macaroonId(pypi.issueToken(OTHER.username, { description: "theirs" })) ?? "";
    const remove = async (form: Record<string, string>, referer?: string) => {
      const csrf_token = await csrfOf(await request.get(`${pypi.url}/manage/account/`));
      const headers: Record<string, string> = referer ? { referer } : {};
      const response = await request.post(`${pypi.url}/manage/account/token/`, { form: { csrf_token, ...form }, maxRedirects: 0, headers });
      expect(response.status()).toBe(303);
      return { location: response.headers()["location"], flash: await flashesOf(request, pypi) };
    };
    expect(await remove({ macaroon_id: mine, confirm_password: "wrong" }, `${pypi.url}/manage/account/?x=1`)).toEqual({
      location: `${pypi.url}/manage/account/?x=1`,
      flash: expect.stringContaining('role="alert">\n  <span class="notification-bar__message">Invalid credentials. Try again</span>'),
    });
    expect(
      await remove({ macaroon_id: "7d5c3a9e-0000-4000-8000-000000000000", confirm_password: BOT.password }, "https://evil.example/"),
    ).toEqual({
      location: "/manage/account/",
      flash: expect.stringContaining("Invalid credentials. Try again"),
    });
    expect(await remove({ macaroon_id: theirs, confirm_password: BOT.password })).toEqual({
      location: "/manage/account/",
      flash: expect.stringMatching(
        /notification-bar--warning" role="alert">\s*<span class="notification-bar__message">API Token does not exist\.<\/span>/,
      ),
    });
    expect(pypi.tokens(BOT.username)).toHaveLength(1);
    expect(pypi.tokens(OTHER.username)).toHaveLength(1);
  });
});

test("upload probe: 400 for a live token, 403 for a dead one, reasons in the status line", async ({ request, pypi }) => {
  const token = pypi.issueToken(BOT.username, { description: "probe" });
  const probe = (authorization: string, form: Record<string, string> = { ":action": "file_upload", protocol_version: "1" }) =>
    request.post(pypi.uploadUrl, { multipart: form, headers: { authorization } });
  const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
  const invalidAuth = "Invalid or non-existent authentication information. See https://pypi.org/help/#invalid-auth for more information.";
  const noName =
    "'' is an invalid value for Name. Error: This field is required. See https://packaging.python.org/specifications/core-metadata for more information.";

  expect(new URL(pypi.uploadUrl).origin).not.toBe(pypi.url);
  for (const authorization of [basic("__token__", token), `token ${token}`, `bearer ${token}`]) {
    const live = await probe(authorization);
    expect([live.status(), live.statusText()]).toEqual([400, noName]);
    expect(await live.text()).toContain("is an invalid value for Name. Error: This field is required.");
  }
  const urlencoded = await request.post(`${pypi.uploadUrl}?:action=file_upload`, {
    form: { protocol_version: "1" },
    headers: { authorization: basic("__token__", token) },
  });
  expect(urlencoded.statusText()).toBe(noName);
  const protocol = await probe(basic("__token__", token), { ":action": "file_upload", protocol_version: "2" });
  expect([protocol.status(), protocol.statusText()]).toEqual([400, "Unknown protocol version."]);

  for (const authorization of [basic("__token__", "pypi-AgEIcHlwaS5vcmcCJGJvZ3Vz"), basic("__token__", token.slice(5)), ""]) {
    const dead = await probe(authorization);
    expect([dead.status(), dead.statusText()]).toEqual([403, invalidAuth]);
    expect(await dead.text()).toContain(invalidAuth);
  }
  const password = await probe(basic(BOT.username, BOT.password));
  expect(password.status()).toBe(403);
  expect(password.statusText()).toMatch(
    /^Username\/Password authentication is no longer supported\. Migrate to API Tokens or Trusted Publishers instead\./,
  );
  const info = await request.post(pypi.uploadUrl, {
    multipart: { protocol_version: "1" },
    headers: { authorization: basic("__token__", token) },
  });
  expect(info.status()).toBe(200);

  expect(pypi.tokens(BOT.username)[0]?.lastUsed).toBeNull();
  pypi.faults.add({ path: "/legacy/", fault: { kind: "status", status: 503 } });
  expect((await probe(basic("__token__", token))).status()).toBe(503);
});

/** The token with one more first-party caveat, added by js-macaroon: an implementation of the chain that is not the replica's. */
function attenuated(token: string, caveat: string): string {
  const m = macaroon.importMacaroon(Buffer.from(token.slice("pypi-".length), "base64url"));
  m.addFirstPartyCaveat(caveat);
  return `pypi-${Buffer.from(m.exportBinary()).toString("base64url")}`;
}

test("an upload checks the token as Warehouse does: the signature chain, then each caveat, in order", async ({ pypi, clock }) => {
  const refused = (reason: string) => ({ status: 403, reason: `Invalid API Token: ${reason}` });
  const scoped = pypi.issueToken(BOT.username, { description: "scoped", project: "Nimbus_Shared" });
  expect(await upload(pypi.uploadUrl, scoped, "nimbus-shared")).toEqual(ACCEPTED);
  expect(await upload(pypi.uploadUrl, scoped, "Nimbus.Shared")).toEqual(ACCEPTED);
  expect(await upload(pypi.uploadUrl, scoped, "nimbus-cli")).toEqual(
    refused("project-scoped token is not valid for project: 'nimbus-cli'"),
  );

  // An expiry any holder may add: good inside its window, refused outside it (the clock knob moves time).
  const now = Math.floor(clock.now().getTime() / 1000);
  const expiring = attenuated(scoped, `[0,${now + 3600},${now - 60}]`);
  expect(await upload(pypi.uploadUrl, expiring, "nimbus-shared")).toEqual(ACCEPTED);
  pypi.settings.clockAheadSeconds = 3599;
  expect(await upload(pypi.uploadUrl, expiring, "nimbus-shared")).toEqual(ACCEPTED);
  pypi.settings.clockAheadSeconds = 3600;
  expect(await upload(pypi.uploadUrl, expiring, "nimbus-shared")).toEqual(refused("token is expired"));
  // The probe stops before the signature check: an expired token still "exists" there.
  const probe = await fetch(pypi.uploadUrl, {
    method: "POST",
    headers: { Authorization: `Basic ${Buffer.from(`__token__:${expiring}`).toString("base64")}` },
    body: new URLSearchParams({ ":action": "file_upload", protocol_version: "1" }),
  });
  expect(probe.status).toBe(400);
  pypi.settings.clockAheadSeconds = 0;
  expect(await upload(pypi.uploadUrl, attenuated(scoped, `[0,${now + 7200},${now + 3600}]`), "nimbus-shared")).toEqual(
    refused("token is expired"),
  );
  // The first caveat that fails is the one reported.
  expect(await upload(pypi.uploadUrl, attenuated(scoped, `[0,${now - 10},${now - 60}]`), "nimbus-cli")).toEqual(
    refused("project-scoped token is not valid for project: 'nimbus-cli'"),
  );

  // A caveat changed after signing: every caveat holds, the signature does not.
  const later = `[0,${now + 7200},${now - 60}]`;
  const tampered = `pypi-${Buffer.from(
    Buffer.from(expiring.slice(5), "base64url")
      .toString("latin1")
      .replace(`[0,${now + 3600},${now - 60}]`, later),
    "latin1",
  ).toString("base64url")}`;
  expect(tampered).not.toBe(expiring);
  expect(await upload(pypi.uploadUrl, tampered, "nimbus-shared")).toEqual(refused("signatures do not match"));

  // Caveats Warehouse cannot read (its tests/unit/macaroons/test_caveats.py cases).
  for (const [caveat, reason] of [
    ["[9]", "caveat has unknown tag: 9"],
    ["[]", "caveat array cannot be empty"],
    ['{"exp": 50, "nbf": 10}', "caveat must be an array"],
    ['[0,"50",10]', "invalid values for fields"],
    ["[0,5]", "Not enough values"],
    ["not json", "unknown error"],
  ] as const) {
    expect(await upload(pypi.uploadUrl, attenuated(scoped, caveat), "nimbus-shared"), caveat).toEqual(refused(reason));
  }

  // An account-wide token: the RequestUser caveat holds for its own user; the user still needs a role.
  const wide = pypi.issueToken(BOT.username, { description: "wide" });
  expect(await upload(pypi.uploadUrl, wide, "nimbus-cli")).toEqual(ACCEPTED);
  expect(await upload(pypi.uploadUrl, wide, "numpy")).toEqual({
    status: 403,
    reason:
      "The user 'nimbus-bot' isn't allowed to upload to project 'numpy'. See https://pypi.org/help/#project-name for more information.",
  });
  expect(await upload(pypi.uploadUrl, attenuated(wide, '[3,"someone-else"]'), "nimbus-cli")).toEqual(
    refused("current user does not match user restriction in token"),
  );
});

test("macaroonId() reads back the id of a V2 macaroon whose location is the site", async ({ pypi }) => {
  const token = pypi.issueToken(BOT.username, { description: "round trip", project: "Nimbus_Shared" });
  const [record] = pypi.tokens(BOT.username);
  expect(macaroonId(token)).toBe(record?.id);
  const bytes = Buffer.from(token.slice("pypi-".length), "base64url");
  const host = new URL(pypi.url).host;
  expect([...bytes.subarray(0, 3)]).toEqual([2, 1, host.length]);
  expect(bytes.subarray(3, 3 + host.length).toString()).toBe(host);
  expect(bytes.includes(Buffer.from('[1,["nimbus-shared"]]'))).toBe(true);
  expect(bytes.includes(Buffer.from('[2,["'))).toBe(true);
  expect(macaroonId(pypi.issueToken(BOT.username, { description: "user" }))).toMatch(/^[0-9a-f-]{36}$/);
  for (const bad of ["pypi-", "pypi-AgEIcHlwaS5vcmcCJ", "npm_abcdef", token.slice(0, -4), `${token}!`])
    expect(macaroonId(bad)).toBeUndefined();
});

function wrongCode(clock: TestClock): string {
  const valid = new Set(
    [-30, 0, 30].map((s) => TOTP.generate({ secret: Secret.fromBase32(BOT.totpSecret), timestamp: clock.now().getTime() + s * 1000 })),
  );
  return ["000000", "111111", "222222", "333333"].find((c) => !valid.has(c)) ?? "444444";
}
