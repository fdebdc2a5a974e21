// The npm replica's test accounts and signing in to its website over plain HTTP, shared by the
// specs of the website and of the registry.
import { expect, type APIRequestContext, type APIResponse } from "@playwright/test";
import type { NpmReplica, NpmUser } from "rotate-replicas";
import type { TestClock } from "./clock.js";

export const ALICE: NpmUser = {
  username: "alice",
  password: "correct horse battery staple",
  email: "alice@example.org",
  twoFactor: "totp",
  totpSecret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
  packages: ["@mozilla/nimbus-shared", "nimbus-shared"],
  scopes: ["@mozilla"],
  orgs: ["mozilla"],
};
export const KEYHOLDER: NpmUser = { ...ALICE, username: "keyholder", email: "key@example.org", twoFactor: "webauthn" };
export const BOB: NpmUser = { ...ALICE, username: "bob", email: "bob@example.org", packages: ["left-pad"], scopes: [], orgs: [] };
/** No 2FA: npm's login verification e-mails a code instead. */
export const CAROL: NpmUser = { ...ALICE, username: "carol", email: "carol@example.org", twoFactor: "none" };

export function csrfIn(markup: string): string {
  const match = /name="csrftoken" value="([^"]+)"/.exec(markup);
  if (!match?.[1]) throw new Error("no csrftoken on the page");
  return match[1];
}

/** POST urlencoded fields, repeated names allowed, without following redirects. */
export function postForm(request: APIRequestContext, url: string, fields: Array<[string, string]>): Promise<APIResponse> {
  return request.post(url, {
    data: new URLSearchParams(fields).toString(),
    headers: { "content-type": "application/x-www-form-urlencoded" },
    maxRedirects: 0,
  });
}

/**
 * Password, then the account's second step (a one-time password, the security-key button's
 * POST, or the code e-mailed when the step's page is shown), landing on `next`; returns the
 * CSRF token for later forms.
 */
export async function signInHttp(request: APIRequestContext, npm: NpmReplica, clock: TestClock, user = ALICE, next = "/"): Promise<string> {
  const query = `?next=${encodeURIComponent(next)}`;
  const csrftoken = csrfIn(await (await request.get(`${npm.url}/login${query}`)).text());
  const password = await postForm(request, `${npm.url}/login${query}`, [
    ["csrftoken", csrftoken],
    ["username", user.username],
    ["password", user.password],
  ]);
  expect(password.status()).toBe(302);
  const step = { totp: "otp", webauthn: "webauthn", none: "email-otp" }[user.twoFactor];
  expect(password.headers()["location"]).toBe(`/login/${step}${query}`);
  expect((await request.get(`${npm.url}/login/${step}${query}`)).status()).toBe(200);
  const code: Array<[string, string]> =
    user.twoFactor === "totp"
      ? [["otp", clock.code(user.totpSecret)]]
      : user.twoFactor === "none"
        ? [["otp", npm.lastEmailedOtp(user.username) ?? "?"]]
        : [];
  const second = await postForm(request, `${npm.url}/login/${step}${query}`, [["csrftoken", csrftoken], ...code]);
  expect(second.status()).toBe(302);
  expect(second.headers()["location"]).toBe(next);
  return csrftoken;
}
