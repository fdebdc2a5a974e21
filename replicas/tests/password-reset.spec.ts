// The replicas' password reset pages: PyPI's against Warehouse (accounts/views.py
// `request_password_reset` / `reset_password`, forms.py, the two templates), npm's against its
// documented rules with the rest inferred. HTTP checks through Playwright's request contexts,
// plus the page behaviour the flows rely on in Chromium.
import { TestClock } from "./support/clock.js";
import { expect, test as base, type APIRequestContext, type APIResponse } from "@playwright/test";
import { startNpmReplica, type NpmReplica, type NpmUser, startPypiReplica, type PypiReplica, type PypiUser } from "rotate-replicas";

const BOT: PypiUser = {
  username: "nimbus-bot",
  password: "Tr0ub4dor&3-unique",
  email: "bot@example.org",
  totpSecret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
  projects: ["nimbus-shared"],
};
const ALICE: NpmUser = {
  username: "alice",
  password: "correct horse battery staple",
  email: "alice@example.org",
  twoFactor: "totp",
  totpSecret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
  packages: ["nimbus-shared"],
  scopes: [],
  orgs: [],
};
const STRONG = "plum-Orbit-47-quietly-Lantern";

const test = base.extend<{ clock: TestClock; pypi: PypiReplica; npm: NpmReplica; other: APIRequestContext }>({
  clock: async ({}, use) => use(new TestClock(ALICE.totpSecret)),
  pypi: async ({ clock }, use) => {
    const replica = await startPypiReplica({ users: [BOT], now: clock.now });
    await use(replica);
    await replica.close();
  },
  npm: async ({ clock }, use) => {
    const replica = await startNpmReplica({ users: [ALICE], now: clock.now });
    await use(replica);
    await replica.close();
  },
  /** A second browser's worth of cookies: someone else signed in to the same account. */
  other: async ({ playwright }, use) => {
    const context = await playwright.request.newContext();
    await use(context);
    await context.dispose();
  },
});

function hidden(markup: string, name: string): string {
  const value = new RegExp(`name="${name}"(?: type="hidden")? value="([^"]+)"`).exec(markup)?.[1];
  if (!value) throw new Error(`no ${name} on the page`);
  return value;
}

/** GET a form page, then POST it with the CSRF field it carries, without following the redirect. */
async function submit(request: APIRequestContext, url: string, csrfName: string, form: Record<string, string>): Promise<APIResponse> {
  const csrf = hidden(await (await request.get(url)).text(), csrfName);
  return request.post(url, { form: { [csrfName]: csrf, ...form }, maxRedirects: 0 });
}

test.describe("PyPI", () => {
  const requestPage = (pypi: PypiReplica) => `${pypi.url}/account/request-password-reset/`;
  const flashes = async (request: APIRequestContext, pypi: PypiReplica) =>
    (await request.get(`${pypi.url}/_includes/unauthed/flash-messages/`)).text();
  const requestLink = async (request: APIRequestContext, pypi: PypiReplica, who = BOT.username): Promise<string> => {
    const answer = await submit(request, requestPage(pypi), "csrf_token", { username_or_email: who });
    expect(await answer.text()).toContain("Reset email sent");
    const link = pypi.resetLink(BOT.username);
    if (!link) throw new Error("no reset link was sent");
    return link;
  };
  const setPassword = (request: APIRequestContext, link: string, password: string, confirm = password) =>
    submit(request, link, "csrf_token", { new_password: password, password_confirm: confirm });
  const acceptsPassword = async (request: APIRequestContext, pypi: PypiReplica, password: string) => {
    const answer = await submit(request, `${pypi.url}/account/login/`, "csrf_token", { username: BOT.username, password });
    return answer.status() === 303;
  };
  const signIn = async (request: APIRequestContext, pypi: PypiReplica, clock: TestClock) => {
    const password = await submit(request, `${pypi.url}/account/login/`, "csrf_token", { username: BOT.username, password: BOT.password });
    const twoFactor = pypi.url + (password.headers()["location"] ?? "");
    expect((await submit(request, twoFactor, "csrf_token", { totp_value: clock.code(BOT.totpSecret) })).status()).toBe(303);
  };

  test("the request page answers an unknown user like a real one, and mails a 6-hour link only to the real one", async ({
    request,
    pypi,
  }) => {
    const form = await (await request.get(requestPage(pypi))).text();
    expect(form).toContain("<title>Password reset · PyPI</title>");
    expect(form).toContain("To reset your password, enter your username or email.");
    expect(form).toContain('<input type="submit" value="Request password reset"');

    const unknown = await (await submit(request, requestPage(pypi), "csrf_token", { username_or_email: "nobody-here" })).text();
    expect(unknown).toContain("Reset email sent");
    expect(unknown).toContain("This link will expire in 6 hours.");
    expect(pypi.resetLink(BOT.username)).toBeUndefined();

    // The email address works as well as the username.
    const link = await requestLink(request, pypi, BOT.email);
    expect(link).toMatch(new RegExp(`^${pypi.url}/account/reset-password/\\?token=[\\w.%-]+$`));
  });

  test("a malformed username or email gets RequestPasswordResetForm's errors", async ({ request, pypi }) => {
    for (const [given, error] of [
      ["", "This field is required."],
      ["-bad-", "The username isn't valid. Try again."],
      ["no@", "The password is invalid. Try again."],
    ]) {
      const page = await (await submit(request, requestPage(pypi), "csrf_token", { username_or_email: given as string })).text();
      expect(page).toContain("<title>Error processing form – Password reset · PyPI</title>");
      expect(page).toContain(`<li>${(error as string).replace("'", "&#39;")}</li>`);
    }
    expect(pypi.resetLink(BOT.username)).toBeUndefined();
  });

  test("the link's form refuses weak, breached and mismatched passwords, then resets and sends to the login page", async ({
    request,
    pypi,
  }) => {
    const link = await requestLink(request, pypi);
    const weak = await (await setPassword(request, link, "abc")).text();
    expect(weak).toContain("<title>Error processing form – Reset your password · PyPI</title>");
    expect(weak).toContain('<ul id="password-errors" class="form-errors" role="alert"><li>Password is too easily guessed.</li></ul>');
    expect(await (await setPassword(request, link, "password")).text()).toContain(
      'This password appears in a security breach or has been compromised and cannot be used. See <a href="/help/#compromised-password">this FAQ entry</a>',
    );
    expect(await (await setPassword(request, link, STRONG, `${STRONG}!`)).text()).toContain("Your passwords don&#39;t match. Try again.");
    expect(await acceptsPassword(request, pypi, BOT.password)).toBe(true);

    const done = await setPassword(request, link, STRONG);
    expect(done.status()).toBe(303);
    expect(done.headers()["location"]).toBe("/account/login/");
    expect(await flashes(request, pypi)).toContain("You have reset your password");
    expect(await acceptsPassword(request, pypi, STRONG)).toBe(true);
    expect(await acceptsPassword(request, pypi, BOT.password)).toBe(false);
  });

  test("used, expired, tampered and missing tokens are refused with Warehouse's flashes", async ({ request, pypi, clock }) => {
    const refusal = async (url: string) => {
      const answer = await request.get(url, { maxRedirects: 0 });
      expect(answer.status()).toBe(303);
      expect(answer.headers()["location"]).toBe("/account/request-password-reset/");
      return flashes(request, pypi);
    };
    const first = await requestLink(request, pypi);
    clock.advance(6 * 3600 - 1);
    expect((await request.get(first, { maxRedirects: 0 })).status()).toBe(200);
    clock.advance(2);
    expect(await refusal(first)).toContain("Expired token: request a new password reset link");

    const second = await requestLink(request, pypi);
    // The signature's first character: its last one carries bits base64 decoding ignores.
    const at = second.lastIndexOf(".") + 1;
    const tampered = `${second.slice(0, at)}${second[at] === "A" ? "B" : "A"}${second.slice(at + 1)}`;
    expect(await refusal(tampered)).toContain("Invalid token: request a new password reset link");
    expect(await refusal(`${pypi.url}/account/reset-password/`)).toContain("Invalid token: no token supplied");
    expect((await setPassword(request, second, STRONG)).status()).toBe(303);
    expect(await refusal(second)).toContain("Invalid token: password has already been changed since this token was requested");
  });

  test("signing in after the email was sent voids its link", async ({ request, other, pypi, clock }) => {
    const link = await requestLink(request, pypi);
    await signIn(other, pypi, clock);
    await request.get(link, { maxRedirects: 0 });
    expect(await flashes(request, pypi)).toContain("Invalid token: user has logged in since this token was requested");
  });

  test('a reset ends the account\'s other sessions with "Session invalidated by password change"', async ({
    request,
    other,
    pypi,
    clock,
  }) => {
    await signIn(other, pypi, clock);
    expect((await other.get(`${pypi.url}/manage/account/`, { maxRedirects: 0 })).status()).toBe(200);
    expect((await setPassword(request, await requestLink(request, pypi), STRONG)).status()).toBe(303);
    const after = await other.get(`${pypi.url}/manage/account/`, { maxRedirects: 0 });
    expect(after.status()).toBe(303);
    expect(after.headers()["location"]).toContain("/account/login/?next=");
    expect(await flashes(other, pypi)).toContain("Session invalidated by password change");
  });

  test("the sixth request in a day without completing one is a 429", async ({ request, pypi }) => {
    for (let i = 0; i < 5; i += 1) await requestLink(request, pypi);
    const sixth = await submit(request, requestPage(pypi), "csrf_token", { username_or_email: BOT.username });
    expect(sixth.status()).toBe(429);
    expect(await sixth.text()).toContain("Too many password resets have been requested for this account without completing them.");
  });

  test("in the browser the submit button waits until both fields match, as Warehouse's password-match controller does", async ({
    page,
    request,
    pypi,
  }) => {
    await page.goto(await requestLink(request, pypi));
    const submitButton = page.getByRole("button", { name: "Reset password" });
    await expect(submitButton).toBeDisabled();
    await page.locator("#new_password").fill(STRONG);
    await expect(page.getByText("Passwords do not match")).toBeVisible();
    await expect(submitButton).toBeDisabled();
    await page.getByLabel("Confirm password (required)").fill(STRONG);
    await expect(page.getByText("Passwords match")).toBeVisible();
    await submitButton.click();
    await expect(page).toHaveURL(`${pypi.url}/account/login/`);
    await expect(page.locator(".notification-bar__message")).toHaveText("You have reset your password");
  });
});

test.describe("npm", () => {
  const requestLink = async (request: APIRequestContext, npm: NpmReplica, who = ALICE.username): Promise<string> => {
    const answer = await submit(request, `${npm.url}/forgot`, "csrftoken", { username: who });
    expect(await answer.text()).toContain("If that account exists, we have sent an email with a link to reset its password.");
    const link = npm.resetLink(ALICE.username);
    if (!link) throw new Error("no reset link was sent");
    return link;
  };
  const setPassword = (request: APIRequestContext, link: string, password: string, confirm = password) =>
    submit(request, link, "csrftoken", { password, passwordConfirm: confirm });
  const acceptsPassword = async (request: APIRequestContext, npm: NpmReplica, password: string) =>
    (await submit(request, `${npm.url}/login`, "csrftoken", { username: ALICE.username, password })).status() === 302;

  test('the sign-in page\'s "Forgot password?" leads to a form that answers an unknown user like a real one', async ({
    page,
    request,
    npm,
  }) => {
    await page.goto(`${npm.url}/login`);
    await page.getByRole("link", { name: "Forgot password?" }).click();
    await page.getByLabel("Username or email address").fill("nobody-here");
    await page.locator("#forgot").getByRole("button").click();
    await expect(page.getByRole("status")).toContainText("If that account exists");
    expect(npm.resetLink(ALICE.username)).toBeUndefined();
    expect(await requestLink(request, npm, ALICE.email)).toMatch(new RegExp(`^${npm.url}/forgot/[\\w-]{43}$`));
  });

  test("the link's form keeps npm's documented rules, then changes the password once", async ({ request, npm }) => {
    const link = await requestLink(request, npm);
    for (const [password, confirm, error] of [
      ["ten-chars!", "ten-chars!", "Your password must be longer than 10 characters."],
      ["my-name-is-ALICE-1", "my-name-is-ALICE-1", "Your password must not contain your username."],
      ["password123", "password123", "This password has appeared in a data breach"],
      [STRONG, `${STRONG}!`, "The passwords do not match."],
    ] as const) {
      const refused = await setPassword(request, link, password, confirm);
      expect(refused.status()).toBe(400);
      expect(await refused.text()).toContain(error);
    }
    expect(await acceptsPassword(request, npm, ALICE.password)).toBe(true);

    const done = await setPassword(request, link, STRONG);
    expect(done.status()).toBe(200);
    expect(await done.text()).toContain("Your password has been changed. Sign in with your new password.");
    expect(await acceptsPassword(request, npm, STRONG)).toBe(true);
    expect(await acceptsPassword(request, npm, ALICE.password)).toBe(false);
    const again = await request.get(link);
    expect(again.status()).toBe(400);
    expect(await again.text()).toContain("This password reset link is invalid or has already been used.");
  });

  test("a link lives one hour", async ({ request, npm, clock }) => {
    const link = await requestLink(request, npm);
    clock.advance(3600);
    expect((await request.get(link)).status()).toBe(200);
    clock.advance(1);
    const expired = await request.get(link);
    expect(expired.status()).toBe(400);
    expect(await expired.text()).toContain("This password reset link has expired. Request a new one.");
  });

  test("a reset signs out the account's other sessions", async ({ request, other, npm, clock }) => {
    const csrftoken = hidden(await (await other.get(`${npm.url}/login`)).text(), "csrftoken");
    await other.post(`${npm.url}/login`, { form: { csrftoken, username: ALICE.username, password: ALICE.password }, maxRedirects: 0 });
    await other.post(`${npm.url}/login/otp?next=%2F`, { form: { csrftoken, otp: clock.code(ALICE.totpSecret) }, maxRedirects: 0 });
    expect((await other.get(`${npm.url}/settings/~/tokens`, { maxRedirects: 0 })).status()).toBe(200);

    expect((await setPassword(request, await requestLink(request, npm), STRONG)).status()).toBe(200);
    const after = await other.get(`${npm.url}/settings/~/tokens`, { maxRedirects: 0 });
    expect(after.status()).toBe(302);
    expect(after.headers()["location"]).toBe("/login?next=%2Fsettings%2F~%2Ftokens");
  });
});
