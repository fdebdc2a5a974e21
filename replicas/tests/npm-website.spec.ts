// The npmjs.com replica against the facts in docs/sites/npm.md: HTTP-level checks through
// the `request` fixture, and in Chromium the page behaviour the `rotate npm` flow relies on
// (labels, roles, the custom dropdowns, the confirm() dialog).
import CRC32 from "crc-32";
import { TestClock } from "./support/clock.js";
import { expect, test as base, type APIRequestContext, type APIResponse, type Page } from "@playwright/test";
import { startNpmReplica, type NpmReplica } from "rotate-replicas";
import { ALICE, BOB, CAROL, csrfIn, KEYHOLDER, postForm, signInHttp } from "./support/npm-site.js";

const TOKEN = /^npm_[A-Za-z0-9]{36}$/;
const FORM_PATH = "/settings/alice/tokens/granular-access-tokens/new";

const test = base.extend<{ clock: TestClock; npm: NpmReplica }>({
  clock: async ({}, use) => use(new TestClock(ALICE.totpSecret)),
  npm: async ({ clock }, use) => {
    const replica = await startNpmReplica({ users: [ALICE, KEYHOLDER, BOB, CAROL], now: clock.now });
    await use(replica);
    await replica.close();
  },
});

async function signInPage(page: Page, npm: NpmReplica, clock: TestClock, path = "/settings/~/tokens"): Promise<void> {
  await page.goto(npm.url + path);
  await page.getByLabel("Username").fill(ALICE.username);
  await page.getByLabel("Password", { exact: true }).fill(ALICE.password);
  await page.getByRole("button", { name: "Sign In" }).click();
  await page.getByLabel("One-time password").fill(clock.code());
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(page).toHaveURL(npm.url + path);
}

/** A valid GAT form body: read and write on one package, 30 days; an override of "" drops that field. */
function gatFields(csrftoken: string, overrides: Array<[string, string]> = []): Array<[string, string]> {
  const base: Array<[string, string]> = [
    ["csrftoken", csrftoken],
    ["name", "ci token"],
    ["packages_and_scopes_permission", "read-write"],
    ["packages_all", "false"],
    ["packages", "nimbus-shared"],
    ["orgs_permission", "no-access"],
    ["expires", "30"],
  ];
  const replaced = new Set(overrides.map(([name]) => name));
  return [...base.filter(([name]) => !replaced.has(name)), ...overrides.filter(([, value]) => value !== "")];
}

async function whoami(request: APIRequestContext, npm: NpmReplica, token?: string): Promise<APIResponse> {
  return request.get(`${npm.registryUrl}/-/whoami`, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
}

test.describe("signing in", () => {
  test("password and one-time password on the real pages, returning to next", async ({ page, npm, clock }) => {
    await page.goto(`${npm.url}/settings/~/tokens`);
    await expect(page).toHaveURL(`${npm.url}/login?next=%2Fsettings%2F~%2Ftokens`);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Sign In");
    await expect(page.locator("#login #login_username")).toHaveAttribute("name", "username");
    await expect(page.locator("#login #login_password")).toHaveAttribute("name", "password");
    await expect(page.getByRole("link", { name: "Forgot password?" })).toHaveAttribute("href", "/forgot");
    await expect(page.getByRole("link", { name: "Create Account" })).toBeVisible();

    await page.getByLabel("Username").fill(ALICE.username);
    await page.getByLabel("Password", { exact: true }).fill(ALICE.password);
    await page.getByRole("button", { name: "Sign In" }).click();

    await expect(page).toHaveURL(`${npm.url}/login/otp?next=%2Fsettings%2F~%2Ftokens`);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Two-Factor Authentication");
    const otp = page.getByLabel("One-time password");
    await expect(otp).toHaveAttribute("id", "login_otp");
    await expect(otp).toHaveAttribute("name", "otp");
    await expect(otp).toHaveAttribute("inputmode", "numeric");
    await expect(otp).toHaveAttribute("autocomplete", "one-time-code");
    await otp.fill(clock.code());
    await page.getByRole("button", { name: "Verify" }).click();

    await expect(page).toHaveURL(`${npm.url}/settings/~/tokens`);
    await expect(page.getByRole("heading", { name: "Access Tokens" })).toBeVisible();
    const cookies = Object.fromEntries((await page.context().cookies()).map((c) => [c.name, c]));
    expect(cookies["wub"]?.secure).toBe(false);
    expect(cookies["cs"]).toBeDefined();
  });

  test("a wrong password is refused with an error on the page", async ({ page, npm }) => {
    await page.goto(`${npm.url}/login`);
    await page.getByLabel("Username").fill(ALICE.username);
    await page.getByLabel("Password", { exact: true }).fill("not the password");
    await page.getByRole("button", { name: "Sign In" }).click();
    await expect(page.getByRole("alert")).toHaveText("Incorrect username or password.");
    await expect(page).toHaveURL(`${npm.url}/login`);
    await expect(page.getByLabel("Username")).toHaveValue(ALICE.username);
  });

  test("a wrong one-time password is refused with 401; the one accepted serves the escalation too, or not with single-use codes (knob)", async ({
    request,
    npm,
    clock,
  }) => {
    const csrftoken = csrfIn(await (await request.get(`${npm.url}/login`)).text());
    await postForm(request, `${npm.url}/login`, [
      ["csrftoken", csrftoken],
      ["username", ALICE.username],
      ["password", ALICE.password],
    ]);
    const wrong = clock.code() === "000000" ? "111111" : "000000";
    const refused = await postForm(request, `${npm.url}/login/otp?next=%2F`, [
      ["csrftoken", csrftoken],
      ["otp", wrong],
    ]);
    expect(refused.status()).toBe(401);
    expect(await refused.text()).toContain("Invalid one-time password.");
    expect((await request.get(`${npm.url}/settings/~/tokens`, { maxRedirects: 0 })).status()).toBe(302);

    const code = clock.code();
    expect(
      (
        await postForm(request, `${npm.url}/login/otp?next=%2F`, [
          ["csrftoken", csrftoken],
          ["otp", code],
        ])
      ).status(),
    ).toBe(302);
    npm.settings.escalate.delete = true;
    const escalate = () =>
      postForm(request, `${npm.url}/escalate/otp?next=%2F`, [
        ["csrftoken", csrftoken],
        ["otp", code],
      ]);
    expect((await escalate()).status()).toBe(302);
    npm.settings.oneTimeCodes = "single-use";
    expect((await escalate()).status()).toBe(401);
  });

  test("a security-key user gets the security-key page, whose button completes the sign-in", async ({ page, npm }) => {
    await page.goto(`${npm.url}/login`);
    await page.getByLabel("Username").fill(KEYHOLDER.username);
    await page.getByLabel("Password", { exact: true }).fill(KEYHOLDER.password);
    await page.getByRole("button", { name: "Sign In" }).click();
    await expect(page).toHaveURL(`${npm.url}/login/webauthn?next=%2F`);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Two-Factor Authentication");
    await expect(page.getByRole("heading", { name: "Security key" })).toBeVisible();
    await expect(page.getByText("When you are ready to authenticate, press the button below.")).toBeVisible();
    await expect(page.getByRole("link", { name: "Use a recovery code" })).toBeVisible();
    await expect(page.getByLabel("One-time password")).toHaveCount(0);
    await page.getByRole("button", { name: "Use security key" }).click();
    await expect(page).toHaveURL(`${npm.url}/`);
    await expect(page.getByText("Signed in as keyholder.")).toBeVisible();
  });

  test("an account without 2FA confirms its sign-in with the code npm e-mails, once", async ({ page, npm }) => {
    await page.goto(`${npm.url}/login`);
    await page.getByLabel("Username").fill(CAROL.username);
    await page.getByLabel("Password", { exact: true }).fill(CAROL.password);
    await page.getByRole("button", { name: "Sign In" }).click();
    await expect(page).toHaveURL(`${npm.url}/login/email-otp?next=%2F`);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Enter a One-time Password");
    const code = npm.lastEmailedOtp("carol") ?? "?";
    expect(code).toMatch(/^\d{8}$/);
    await page.getByLabel("One-time Password", { exact: true }).fill(code);
    await page.getByRole("button", { name: "Login" }).click();
    await expect(page.getByText("Signed in as carol.")).toBeVisible();
    expect(npm.issuedSecrets()).toContain(code);
  });

  test("settings paths: ~ is the signed-in user, another user's is a 404, CSRF is checked", async ({ request, npm, clock }) => {
    const csrftoken = await signInHttp(request, npm, clock);
    for (const path of ["/settings/~/tokens", "/settings/alice/tokens", "/settings/~/tokens/granular-access-tokens/new"]) {
      expect((await request.get(npm.url + path)).status(), path).toBe(200);
    }
    expect((await request.get(`${npm.url}/settings/bob/tokens`)).status()).toBe(404);
    expect((await request.get(`${npm.url}/settings/bob/tokens/granular-access-tokens/new`)).status()).toBe(404);

    const forged = await postForm(request, npm.url + FORM_PATH, gatFields("forged"));
    expect(forged.status()).toBe(403);
    expect(await forged.text()).toContain("Invalid CSRF token");
    const missing = await postForm(
      request,
      npm.url + FORM_PATH,
      gatFields(csrftoken).filter(([name]) => name !== "csrftoken"),
    );
    expect(missing.status()).toBe(403);
    expect(npm.tokens("alice")).toHaveLength(0);

    const next = await request.get(`${npm.url}/login?next=//evil.example/`, { maxRedirects: 0 });
    expect(next.headers()["location"]).toBe("/");
  });
});

test.describe("the granular access token form", () => {
  test("labels in the docs' order, and custom dropdowns rather than native selects", async ({ page, npm, clock }) => {
    await signInPage(page, npm, clock, "/settings/~/tokens/granular-access-tokens/new");
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("New Granular Access Token");
    const labels = await page.locator("#gat").locator("label, legend, .label").allTextContents();
    expect(labels.map((l) => l.trim())).toEqual([
      "Token name",
      "Description",
      "Bypass two-factor authentication (2FA)",
      "Allowed IP Ranges (optional)",
      "Packages and scopes",
      "Permissions",
      "Select packages",
      "All packages",
      "Only select packages and scopes",
      "Select packages and scopes",
      "Organizations",
      "Permissions",
      "Select organizations",
      "mozilla",
      "Expiration",
      "Custom expiration date",
    ]);
    await expect(page.locator("select")).toHaveCount(0);
    await expect(page.getByLabel(/bypass two-factor/i)).not.toBeChecked();
    await expect(page.getByText("Must be valid CIDR notation.")).toBeVisible();

    const packages = page.getByRole("group", { name: "Packages and scopes" });
    await expect(packages.getByRole("radio", { name: "All packages" })).not.toBeChecked();
    await expect(packages.getByRole("radio", { name: "Only select packages and scopes" })).not.toBeChecked();
    await expect(packages.getByText("Applies to current and future packages.")).toBeVisible();
    await expect(packages.getByText("Select at least one. Max 50.")).toBeVisible();
    await expect(packages.getByLabel("Select packages and scopes", { exact: true })).toBeHidden();

    // The summary of a <details> reads "No access"; its options exist only while it is open.
    const trigger = packages.getByText(/^no access$/i);
    await expect(trigger).toHaveJSProperty("tagName", "SUMMARY");
    await expect(packages.getByRole("option")).toHaveCount(0);
    await trigger.click();
    await expect(packages.getByRole("option")).toHaveText([
      "No access",
      "Read-only",
      "Read and write (publish and stage)",
      "Read and write (stage only)",
    ]);
    await packages.getByRole("option", { name: "Read-only" }).click();
    await expect(packages.getByRole("option")).toHaveCount(0);
    await expect(packages.locator("summary")).toHaveText("Read-only");

    const orgs = page.getByRole("group", { name: "Organizations" });
    await orgs.getByText(/^no access$/i).click();
    await expect(orgs.getByRole("option")).toHaveText(["No access", "Read-only", "Read and write"]);

    const expiration = page.getByRole("group", { name: "Expiration" });
    await expect(expiration.getByRole("button")).toHaveText("30 days");
    await expiration.getByRole("button").click();
    await expect(expiration.getByRole("option")).toHaveText(["7 days", "30 days", "60 days", "90 days", "Custom"]);
    await expiration.getByRole("option", { name: "Custom" }).click();
    await expect(page.getByLabel("Custom expiration date")).toBeVisible();
    await expect(page.getByLabel("Custom expiration date")).toHaveAttribute("min", "2026-11-25");

    await page.getByRole("button", { name: "Add IP Range" }).click();
    await expect(page.getByRole("button", { name: "Remove" })).toHaveCount(1);
    await page.getByRole("button", { name: "Remove" }).click();
    await expect(page.getByRole("button", { name: "Remove" })).toHaveCount(0);
    await expect(page.getByRole("link", { name: "Cancel" })).toHaveAttribute("href", "/settings/alice/tokens");
  });

  test("read and write on selected packages: the token is shown once, at the top of the list", async ({ page, request, npm, clock }) => {
    await signInPage(page, npm, clock, "/settings/~/tokens/granular-access-tokens/new");
    await page.getByLabel("Token name").fill("NPM_TOKEN gh/mozilla/nimbus-shared");
    await page.getByLabel("Description").fill("for CircleCI");
    await page.getByLabel(/bypass two-factor/i).check();

    const packages = page.getByRole("group", { name: "Packages and scopes" });
    await packages.getByText(/^no access$/i).click();
    await packages.getByRole("option", { name: /^read and write \(publish and stage\)$/i }).click();
    await packages.getByRole("radio", { name: "Only select packages and scopes" }).check();
    await expect(packages.getByRole("option")).toHaveText(["@mozilla/nimbus-shared", "nimbus-shared", "@mozilla"]);
    for (const item of ["@mozilla/nimbus-shared", "@mozilla"]) {
      await packages.getByLabel("Select packages and scopes", { exact: true }).fill(item);
      await packages.getByRole("option", { name: item, exact: true }).click();
    }
    await expect(packages.getByText("1 package and 1 scope selected")).toBeVisible();
    await packages.getByRole("button", { name: "Remove @mozilla", exact: true }).click();
    await expect(packages.getByText("1 package selected")).toBeVisible();

    const expiration = page.getByRole("group", { name: "Expiration" });
    await expiration.getByRole("button").click();
    await expiration.getByRole("option", { name: "90 days", exact: true }).click();
    await expect(page.locator("#summary_list li")).toHaveText([
      "Provide read and write (publish and stage) access to 1 package",
      "Bypass two-factor authentication when publishing",
      "Expires on Monday, February 22, 2027",
    ]);
    await page.getByRole("button", { name: "Generate token" }).click();

    await expect(page).toHaveURL(`${npm.url}/settings/alice/tokens`);
    const shown = page.locator("code").filter({ hasText: /^\s*npm_[A-Za-z0-9]{36}\s*$/ });
    await expect(shown).toHaveCount(1);
    const value = (await shown.innerText()).trim();
    await expect(page.getByRole("button", { name: "Copy" })).toBeVisible();

    const [record] = npm.tokens("alice");
    expect(record).toMatchObject({
      name: "NPM_TOKEN gh/mozilla/nimbus-shared",
      description: "for CircleCI",
      redacted: `${value.slice(0, 8)}...${value.slice(-4)}`,
      permission: "read-write",
      packages: ["@mozilla/nimbus-shared"],
      packagesAll: false,
      bypass2fa: true,
      cidr: [],
      created: clock.now(),
      expires: new Date(clock.now().getTime() + 90 * 86_400_000),
    });
    expect(npm.isLive(value)).toBe(true);
    const live = await whoami(request, npm, value);
    expect(live.status()).toBe(200);
    expect(await live.json()).toEqual({ username: "alice" });

    const row = page.getByRole("row").filter({ hasText: record?.redacted ?? "?" });
    await expect(row.getByRole("cell")).toHaveText([
      "",
      "NPM_TOKEN gh/mozilla/nimbus-shared",
      record?.redacted ?? "?",
      /Read and write \(publish and stage\): @mozilla\/nimbus-shared\s*Bypasses 2FA/,
      "Nov 24, 2026",
      "Feb 22, 2027",
      "×",
    ]);
    await page.reload();
    await expect(page.locator("code").filter({ hasText: /^\s*npm_[A-Za-z0-9]{36}\s*$/ })).toHaveCount(0);
    await expect(page.getByText(value)).toHaveCount(0);
    await expect(row).toHaveCount(1);
  });

  test("each refusal is shown on the form with status 400 and creates nothing", async ({ request, npm, clock }) => {
    const csrftoken = await signInHttp(request, npm, clock);
    const cases: Array<[string, Array<[string, string]>]> = [
      ["Token name is required", [["name", "  "]]],
      [
        "Read-write tokens cannot have expiration longer than 90 days",
        [
          ["expires", "custom"],
          ["expiration_date", "2027-03-01"],
        ],
      ],
      [
        "You must select at least one package or scope if granting package/scopes permissions to this token.",
        [
          ["packages_all", ""],
          ["packages", ""],
        ],
      ],
      ["Please select at least one: package, scope or organization.", [["packages_and_scopes_permission", "no-access"]]],
      ["You must select at least one organization if granting organization permissions to this token.", [["orgs_permission", "read-only"]]],
      ["You do not have access to left-pad", [["packages", "left-pad"]]],
      ["You do not have access to @other", [["scopes", "@other"]]],
      [
        "The expiration date must be at least 1 day in the future.",
        [
          ["expires", "custom"],
          ["expiration_date", "2026-11-24"],
        ],
      ],
      ["10.0.0.0/33 is not a valid IP range. Must be valid CIDR notation.", [["cidr", "10.0.0.0/33"]]],
    ];
    for (const [message, overrides] of cases) {
      const response = await postForm(request, npm.url + FORM_PATH, gatFields(csrftoken, overrides));
      expect(response.status(), message).toBe(400);
      const markup = await response.text();
      expect(markup, message).toContain(`<div class="errors" role="alert"><ul><li>${message}</li></ul></div>`);
      expect(markup).toContain('id="gat"');
    }
    expect(npm.tokens("alice")).toHaveLength(0);

    // Read-only tokens have no maximum lifetime (docs/sites/npm.md, "Token limits and validation"), and the all-packages radio needs no list.
    const readOnly = await postForm(
      request,
      npm.url + FORM_PATH,
      gatFields(csrftoken, [
        ["packages_and_scopes_permission", "read-only"],
        ["packages_all", "true"],
        ["packages", ""],
        ["expires", "custom"],
        ["expiration_date", "2027-06-01"],
        ["cidr", "192.0.2.0/24"],
      ]),
    );
    expect(readOnly.status()).toBe(303);
    expect(readOnly.headers()["location"]).toBe("/settings/alice/tokens");
    expect(npm.tokens("alice")[0]).toMatchObject({
      permission: "read-only",
      packagesAll: true,
      packages: [],
      cidr: ["192.0.2.0/24"],
      expires: new Date(Date.parse("2027-06-01T08:00:00Z")),
    });
  });
});

test("an account holds at most 1000 tokens", async ({ request, npm, clock }) => {
  const csrftoken = await signInHttp(request, npm, clock);
  for (let i = 0; i < 1000; i++) npm.issueToken("alice", { name: `t${i}` });
  expect(() => npm.issueToken("alice", { name: "one too many" })).toThrow(/1000 tokens/);
  const response = await postForm(request, npm.url + FORM_PATH, gatFields(csrftoken));
  expect(response.status()).toBe(400);
  expect(await response.text()).toContain("You can have at most 1000 access tokens. Delete one to make room.");
});

test("an expired session sends a create back to sign-in and creates nothing", async ({ request, npm, clock }) => {
  const csrftoken = await signInHttp(request, npm, clock);
  npm.faults.add({ method: "POST", path: FORM_PATH, fault: { kind: "session-expired" } });
  const response = await postForm(request, npm.url + FORM_PATH, gatFields(csrftoken));
  expect(response.status()).toBe(302);
  expect(response.headers()["location"]).toBe("/login?next=%2Fsettings%2Falice%2Ftokens%2Fgranular-access-tokens%2Fnew");
  expect(npm.tokens("alice")).toHaveLength(0);
});

test.describe("escalation", () => {
  test("creating escalates first, dropping the action; after the code the user does it again", async ({ page, npm, clock }) => {
    npm.settings.escalate.create = true;
    await signInPage(page, npm, clock, "/settings/~/tokens/granular-access-tokens/new");
    const fillAndGenerate = async () => {
      await page.getByLabel("Token name").fill("escalated");
      const packages = page.getByRole("group", { name: "Packages and scopes" });
      await packages.getByText(/^no access$/i).click();
      await packages.getByRole("option", { name: "Read-only" }).click();
      await packages.getByRole("radio", { name: "All packages" }).check();
      await page.getByRole("button", { name: "Generate token" }).click();
    };
    await fillAndGenerate();

    // The form posts to the account's own path, so that is where the user is sent back.
    await expect(page).toHaveURL(`${npm.url}/escalate/otp?next=%2Fsettings%2Falice%2Ftokens%2Fgranular-access-tokens%2Fnew`);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Confirm your identity");
    expect(npm.tokens("alice")).toHaveLength(0);
    clock.advance(30);
    await page.getByLabel("One-time password").fill(clock.code());
    await page.getByLabel("Don't ask again for 5 minutes").check();
    await expect(page.getByLabel("Don't ask again for 5 minutes")).toHaveAttribute("name", "didOptForCooldown");
    await page.getByRole("button", { name: "Verify" }).click();

    await expect(page).toHaveURL(npm.url + FORM_PATH);
    await expect(page.getByLabel("Token name")).toHaveValue("");
    await fillAndGenerate();
    await expect(page.locator("code").filter({ hasText: /^\s*npm_[A-Za-z0-9]{36}\s*$/ })).toHaveCount(1);
    expect(npm.tokens("alice").map((t) => t.name)).toEqual(["escalated"]);
  });

  test("the cooldown lasts its 300 seconds; without it one action passes", async ({ request, npm, clock }) => {
    const csrftoken = await signInHttp(request, npm, clock);
    npm.settings.escalate = { create: true, delete: true };
    const create = () => postForm(request, npm.url + FORM_PATH, gatFields(csrftoken));
    const escalateWith = async (cooldown: boolean) => {
      clock.advance(30);
      const fields: Array<[string, string]> = [
        ["csrftoken", csrftoken],
        ["otp", clock.code()],
      ];
      const response = await postForm(
        request,
        `${npm.url}/escalate/otp?next=%2Fsettings%2Falice%2Ftokens`,
        cooldown ? [...fields, ["didOptForCooldown", "true"]] : fields,
      );
      expect(response.status()).toBe(302);
      expect(response.headers()["location"]).toBe("/settings/alice/tokens");
    };

    const first = await create();
    expect(first.status()).toBe(302);
    expect(first.headers()["location"]).toBe("/escalate/otp?next=%2Fsettings%2Falice%2Ftokens%2Fgranular-access-tokens%2Fnew");

    await escalateWith(false);
    expect((await create()).status()).toBe(303);
    expect((await create()).headers()["location"]).toMatch(/^\/escalate\/otp/);

    await escalateWith(true);
    expect((await create()).status()).toBe(303);
    clock.advance(299);
    expect((await create()).status()).toBe(303);
    clock.advance(1);
    expect((await create()).headers()["location"]).toMatch(/^\/escalate\/otp/);
    expect(npm.tokens("alice")).toHaveLength(3);
  });

  test("a reauth fault escalates a delete even when escalation is off, and the token survives", async ({ request, npm, clock }) => {
    const csrftoken = await signInHttp(request, npm, clock);
    const value = npm.issueToken("alice", { name: "old" });
    const key = npm.tokens("alice")[0]?.key ?? "";
    npm.faults.add({ method: "POST", path: "/settings/alice/tokens", fault: { kind: "reauth" } });
    const response = await postForm(request, `${npm.url}/settings/alice/tokens`, [
      ["csrftoken", csrftoken],
      ["token", key],
    ]);
    expect(response.status()).toBe(302);
    expect(response.headers()["location"]).toBe("/escalate/otp?next=%2Fsettings%2Falice%2Ftokens");
    expect(npm.isLive(value)).toBe(true);
    const retried = await postForm(request, `${npm.url}/settings/alice/tokens`, [
      ["csrftoken", csrftoken],
      ["token", key],
    ]);
    expect(retried.status()).toBe(303);
    expect(npm.isLive(value)).toBe(false);
  });

  test("a security-key user escalates on the security-key page", async ({ request, npm }) => {
    const csrftoken = csrfIn(await (await request.get(`${npm.url}/login`)).text());
    await postForm(request, `${npm.url}/login`, [
      ["csrftoken", csrftoken],
      ["username", KEYHOLDER.username],
      ["password", KEYHOLDER.password],
    ]);
    expect((await postForm(request, `${npm.url}/login/webauthn?next=%2F`, [["csrftoken", csrftoken]])).headers()["location"]).toBe("/");
    npm.settings.escalate.create = true;
    const create = await postForm(request, `${npm.url}/settings/keyholder/tokens/granular-access-tokens/new`, gatFields(csrftoken));
    expect(create.headers()["location"]).toBe("/escalate/webauthn?next=%2Fsettings%2Fkeyholder%2Ftokens%2Fgranular-access-tokens%2Fnew");
    const page = await request.get(`${npm.url}/escalate/otp?next=%2F`, { maxRedirects: 0 });
    expect(page.headers()["location"]).toBe("/escalate/webauthn?next=%2F");
  });
});

test.describe("the variant page shape", () => {
  test("another order, button listboxes, a combobox whose options exist once opened or typed into, the token in a read-only box", async ({
    page,
    npm,
    clock,
  }) => {
    npm.settings.pageShape = "variant";
    await signInPage(page, npm, clock, "/settings/~/tokens/granular-access-tokens/new");
    const labels = await page.locator("#gat").locator("label, legend, .label").allTextContents();
    expect(labels.map((l) => l.trim())).toEqual([
      "Token name",
      "Expiration",
      "Custom expiration date",
      "Packages and scopes",
      "Permissions",
      "Select packages",
      "All packages",
      "Only select packages and scopes",
      "Select packages and scopes",
      "Organizations",
      "Permissions",
      "Select organizations",
      "mozilla",
      "Allowed IP Ranges (optional)",
      "Bypass two-factor authentication (2FA)",
      "Description",
    ]);
    await expect(page.locator("details")).toHaveCount(0);

    await page.getByLabel("Token name").fill("variant token");
    const packages = page.getByRole("group", { name: "Packages and scopes" });
    const permission = packages.getByRole("button", { name: /^no access$/i });
    await expect(permission).toHaveAttribute("aria-expanded", "false");
    await expect(packages.getByRole("option")).toHaveCount(0);
    await permission.click();
    await packages.getByRole("option", { name: "Read and write (stage only)" }).click();
    await expect(packages.getByRole("button", { name: "Read and write (stage only)" })).toHaveAttribute("aria-expanded", "false");

    await packages.getByRole("radio", { name: "Only select packages and scopes" }).check();
    // Reading the options without opening the picker finds none.
    await expect(packages.getByRole("option")).toHaveCount(0);
    const picker = packages.getByRole("combobox", { name: "Select packages and scopes" });
    await picker.fill("nimbus");
    await expect(picker).toHaveAttribute("aria-expanded", "true");
    await expect(packages.getByRole("option")).toHaveText(["@mozilla/nimbus-shared", "nimbus-shared"]);
    await packages.getByRole("option", { name: "nimbus-shared", exact: true }).click();
    await expect(packages.getByRole("option")).toHaveCount(0);
    await expect(picker).toHaveValue("");
    await picker.click();
    await expect(packages.getByRole("option")).toHaveText(["@mozilla/nimbus-shared", "nimbus-shared", "@mozilla"]);
    await expect(packages.getByRole("option", { name: "nimbus-shared", exact: true })).toHaveAttribute("aria-selected", "true");
    await page.getByRole("heading", { level: 1 }).click();
    await expect(packages.getByRole("option")).toHaveCount(0);
    await expect(packages.getByText("1 package selected")).toBeVisible();

    await page.getByRole("group", { name: "Expiration" }).getByRole("button").click();
    await page.getByRole("option", { name: "7 days", exact: true }).click();
    await expect(page.locator("#summary_list li")).toHaveText([
      "Provide read and write (stage only) access to 1 package",
      "Expires on Tuesday, December 1, 2026",
    ]);
    await page.getByRole("button", { name: "Generate token" }).click();

    await expect(page).toHaveURL(`${npm.url}/settings/alice/tokens`);
    const shown = page.getByRole("textbox", { name: "Your new token" });
    await expect(shown).toHaveAttribute("readonly", "");
    const value = await shown.inputValue();
    expect(value).toMatch(TOKEN);
    await expect(page.locator("code").filter({ hasText: /npm_[A-Za-z0-9]{36}/ })).toHaveCount(0);
    expect(npm.tokens("alice")).toMatchObject([
      {
        name: "variant token",
        permission: "read-write-stage-only",
        packages: ["nimbus-shared"],
        redacted: `${value.slice(0, 8)}...${value.slice(-4)}`,
      },
    ]);
  });

  test("an escalation completes the interrupted create after the code: exactly one new token, no second submit", async ({
    page,
    npm,
    clock,
  }) => {
    npm.settings.pageShape = "variant";
    npm.settings.escalate.create = true;
    await signInPage(page, npm, clock, "/settings/~/tokens/granular-access-tokens/new");
    await page.getByLabel("Token name").fill("escalated");
    const packages = page.getByRole("group", { name: "Packages and scopes" });
    await packages.getByRole("button", { name: /^no access$/i }).click();
    await packages.getByRole("option", { name: "Read-only" }).click();
    await packages.getByRole("radio", { name: "All packages" }).check();
    await page.getByRole("button", { name: "Generate token" }).click();

    await expect(page).toHaveURL(`${npm.url}/escalate/otp?next=%2Fsettings%2Falice%2Ftokens%2Fgranular-access-tokens%2Fnew`);
    await expect(page.getByLabel(/don.t ask again/i)).toHaveCount(0);
    const skip = page.getByLabel("Skip two-factor authentication for the next 5 minutes");
    await expect(skip).toHaveAttribute("name", "didOptForCooldown");
    clock.advance(30);
    await page.getByLabel("One-time password").fill(clock.code());
    await page.getByRole("button", { name: "Verify" }).click();

    await expect(page).toHaveURL(`${npm.url}/settings/alice/tokens`);
    await expect(page.getByRole("textbox", { name: "Your new token" })).toHaveValue(TOKEN);
    expect(npm.tokens("alice").map((t) => t.name)).toEqual(["escalated"]);
  });

  test("an escalated delete completes after the code too; the documented shape still drops it", async ({ request, npm, clock }) => {
    const csrftoken = await signInHttp(request, npm, clock);
    npm.settings.escalate.delete = true;
    const deleteAfterEscalation = async (name: string) => {
      npm.issueToken("alice", { name });
      const key = npm.tokens("alice").find((t) => t.name === name)?.key ?? "?";
      const asked = await postForm(request, `${npm.url}/settings/alice/tokens`, [
        ["csrftoken", csrftoken],
        ["token", key],
      ]);
      expect(asked.headers()["location"]).toBe("/escalate/otp?next=%2Fsettings%2Falice%2Ftokens");
      clock.advance(30);
      return postForm(request, `${npm.url}/escalate/otp?next=%2Fsettings%2Falice%2Ftokens`, [
        ["csrftoken", csrftoken],
        ["otp", clock.code()],
      ]);
    };

    npm.settings.pageShape = "variant";
    const resumed = await deleteAfterEscalation("variant");
    expect(resumed.status()).toBe(200);
    const markup = await resumed.text();
    expect(markup).toContain('<form id="resume" method="post" action="/settings/alice/tokens">');
    const fields = [...markup.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]+)">/g)].map((m): [string, string] => [
      m[1] ?? "",
      m[2] ?? "",
    ]);
    // The browser posts it straight away; here the test does, and the escalation lets it through.
    expect((await postForm(request, `${npm.url}/settings/alice/tokens`, fields)).status()).toBe(303);
    expect(npm.tokens("alice")).toEqual([]);

    npm.settings.pageShape = "documented";
    const dropped = await deleteAfterEscalation("documented");
    expect(dropped.headers()["location"]).toBe("/settings/alice/tokens");
    expect(npm.tokens("alice").map((t) => t.name)).toEqual(["documented"]);
  });
});

test("the labelled page shape: no named group, each control labelled itself, native selects, the date only after Custom", async ({
  page,
  npm,
  clock,
}) => {
  npm.settings.pageShape = "labelled";
  await signInPage(page, npm, clock, "/settings/~/tokens/granular-access-tokens/new");
  await expect(page.locator("#gat fieldset, #gat [role=group], #gat legend")).toHaveCount(0);
  await expect(page.getByRole("heading", { level: 2 })).toHaveText(["Packages and scopes", "Organizations", "Summary"]);
  await expect(page.getByLabel("Allow this token to bypass 2FA")).not.toBeChecked();
  await page.getByLabel("Token name").fill("labelled token");
  await page.getByLabel("Description (optional)").fill("for CircleCI");

  // Two native selects share the label "Permissions": the heading before each says which is which.
  const permissions = page.getByRole("combobox", { name: "Permissions", exact: true });
  await expect(permissions).toHaveCount(2);
  await expect(permissions.first()).toHaveJSProperty("tagName", "SELECT");
  await expect(permissions.first().locator("option")).toHaveText([
    "No access",
    "Read-only",
    "Read and write (publish and stage)",
    "Read and write (stage only)",
  ]);
  await permissions.first().selectOption({ label: "Read and write (publish and stage)" });
  await page.getByRole("radio", { name: "Only select packages and scopes" }).check();
  await page.getByRole("combobox", { name: "Select packages and scopes" }).fill("nimbus");
  await page.getByRole("option", { name: "nimbus-shared", exact: true }).click();

  // The expiry: a combobox button named by aria-labelledby; its date field shows only after "Custom".
  const expiry = page.getByRole("combobox", { name: "Expiration", exact: true });
  await expect(expiry).toHaveJSProperty("tagName", "BUTTON");
  await expect(page.getByLabel("Expiration date")).toBeHidden();
  await expiry.click();
  await page.getByRole("option", { name: "Custom" }).click();
  await page.getByLabel("Expiration date").fill("2026-12-04");
  await expect(page.locator("#summary_list li")).toHaveText([
    "Provide read and write (publish and stage) access to 1 package",
    "Expires on Friday, December 4, 2026",
  ]);
  await page.getByLabel("Allow this token to bypass 2FA").check();
  await page.getByRole("button", { name: "Generate token" }).click();
  await expect(page).toHaveURL(`${npm.url}/settings/alice/tokens`);
  expect(npm.tokens("alice")).toMatchObject([
    {
      name: "labelled token",
      permission: "read-write",
      packages: ["nimbus-shared"],
      bypass2fa: true,
      expires: new Date("2026-12-04T08:00:00Z"),
    },
  ]);
});

test.describe("deleting", () => {
  test("the × asks with window.confirm: dismiss keeps the token, accept deletes it", async ({ page, request, npm, clock }) => {
    const old = npm.issueToken("alice", {
      name: "old token",
      permission: "read-write",
      packages: ["nimbus-shared"],
      created: new Date(Date.parse("2026-10-01T00:00:00Z")),
      expiresDays: 90,
    });
    const other = npm.issueToken("alice", { name: "laptop", permission: "read-only" });
    await signInPage(page, npm, clock);
    const row = page.getByRole("row").filter({ hasText: `${old.slice(0, 8)}...${old.slice(-4)}` });
    const headers = await page.getByRole("columnheader").allInnerTexts();
    expect(headers.map((h) => h.trim())).toEqual(["Select", "Name", "Token", "Permissions", "Created", "Expires", "Delete"]);

    const dialogs: string[] = [];
    page.once("dialog", (dialog) => {
      dialogs.push(`${dialog.type()}: ${dialog.message()}`);
      void dialog.dismiss();
    });
    await row.getByRole("button", { name: /delete/i }).click();
    expect(dialogs).toEqual(["confirm: Are you sure you want to delete this token?"]);
    await expect(row).toHaveCount(1);
    expect(npm.isLive(old)).toBe(true);

    page.once("dialog", (dialog) => void dialog.accept());
    await row.getByRole("button", { name: "Delete token old token" }).click();
    await expect(page.getByRole("status")).toHaveText("Successfully deleted 1 token.");
    await expect(row).toHaveCount(0);
    expect(npm.tokens("alice").map((t) => t.name)).toEqual(["laptop"]);
    expect((await whoami(request, npm, old)).status()).toBe(401);
    expect((await whoami(request, npm, other)).status()).toBe(200);
  });

  test("Delete Selected Tokens deletes the ticked rows after confirming", async ({ page, npm, clock }) => {
    for (const name of ["one", "two", "three"]) npm.issueToken("alice", { name });
    await signInPage(page, npm, clock);
    const deleteSelected = page.getByRole("button", { name: "Delete Selected Tokens" });
    await expect(deleteSelected).toBeDisabled();
    await page.getByRole("checkbox", { name: "Select token one" }).check();
    await page.getByRole("checkbox", { name: "Select token three" }).check();
    page.once("dialog", (dialog) => void dialog.accept());
    await deleteSelected.click();
    await expect(page.getByRole("status")).toHaveText("Successfully deleted 2 tokens.");
    expect(npm.tokens("alice").map((t) => t.name)).toEqual(["two"]);
  });
});

test.describe("the registry", () => {
  test("whoami: 200 for a live token, 401 once it expires, and for anything else", async ({ request, npm, clock }) => {
    const value = npm.issueToken("alice", { name: "ci", permission: "read-write", expiresDays: 7 });
    expect(value).toMatch(TOKEN);
    const live = await whoami(request, npm, value);
    expect(live.status()).toBe(200);
    expect(await live.json()).toEqual({ username: "alice" });

    clock.advance(7 * 86_400 - 1);
    expect((await whoami(request, npm, value)).status()).toBe(200);
    clock.advance(1);
    const expired = await whoami(request, npm, value);
    expect(expired.status()).toBe(401);
    expect(await expired.json()).toEqual({ error: "Unauthorized" });
    expect(npm.isLive(value)).toBe(false);
    expect(npm.tokens("alice")).toHaveLength(1);

    expect((await whoami(request, npm)).status()).toBe(401);
    expect((await whoami(request, npm, `npm_${"a".repeat(36)}`)).status()).toBe(401);
    expect((await request.get(`${npm.registryUrl}/-/ping`)).status()).toBe(200);
  });

  test("token values carry a CRC32 checksum in base62, and lists show them redacted", async ({ npm }) => {
    const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    const base62 = (n: number): string => (n < 62 ? alphabet.charAt(n) : base62(Math.floor(n / 62)) + alphabet.charAt(n % 62));
    for (let i = 0; i < 20; i++) {
      const value = npm.issueToken("bob", { name: `t${i}`, created: new Date(Date.parse("2026-11-01T00:00:00Z") + i * 1000) });
      expect(value).toMatch(TOKEN);
      expect(value.slice(-6)).toBe(base62(CRC32.str(value.slice(4, 34)) >>> 0).padStart(6, "0"));
      expect(npm.tokens("bob")[0]?.redacted).toBe(`${value.slice(0, 8)}...${value.slice(-4)}`);
    }
    expect(npm.tokens("bob")[0]?.name).toBe("t19");
    expect(npm.tokens("bob")[0]).toMatchObject({ permission: "read-write", packagesAll: true, bypass2fa: false });
    expect(() => npm.issueToken("nobody", { name: "x" })).toThrow(/no user nobody/);
  });
});
