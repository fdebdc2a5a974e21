// /account/* on the PyPI replica: password login, TOTP, the unrecognized-device confirmation,
// re-authentication and logout (docs/sites/pypi.md, "Login page", "Re-authentication").
import { Router, type Request, type RequestHandler, type Response } from "express";
import { z } from "zod";
import type { Account, PypiDirectory } from "./directory.js";
import { currentAccount, ROUTES, type SiteContext } from "./guards.js";
import { confirmLoginPage, loginPage, logoutPage, twoFactorPage } from "./account-pages.js";
import { formField, queryField } from "./params.js";
import { humanizeSeconds } from "./ratelimit.js";
import { csrfToken, endSession, flash, isSafeUrl, requireCsrf, sessionOf, startLoggedInSession } from "./session.js";
import { EXPLANATIONS, webobError } from "./webob.js";
import { INVALID_PASSWORD, REQUIRED } from "./texts.js";

const MESSAGES = {
  emailAsUsername: "Usernames are not the same as email addresses. Enter your username instead of your email address.",
  noUser: "No user found with that username",
  invalidPassword: INVALID_PASSWORD,
  totpFormat: "TOTP code must be 6 digits.",
  invalidTotp: "Invalid TOTP code.",
  badTwoFactorToken: "Invalid or expired two factor login.",
  loginConfirmed: "Your login has been confirmed and this device is now recognized.",
  expiredConfirmation: "Expired token: please try to login again",
  invalidConfirmation: "Invalid token: please try to login again",
  unknownConfirmation: "Invalid login attempt.",
  otherDevice: "Device details didn't match, please try again from the device you originally used to log in.",
};

const lockedOut = (seconds: number) =>
  `There have been too many unsuccessful login attempts. You have been locked out for ${humanizeSeconds(seconds)}. Please try again later.`;

const TWO_FACTOR = { salt: "two_factor", maxAgeSeconds: 300 };
const REMEMBER_DEVICE = { cookie: "remember_device", salt: "remember_device", days: 30 };
const CONFIRM_LOGIN = { salt: "confirm_login", maxAgeSeconds: 6 * 3600 };

const TwoFactorData = z.object({ userid: z.string(), redirect_to: z.string().optional() });
const RememberDeviceData = z.object({ user_id: z.string() });
const ConfirmLoginData = z.object({ user_id: z.string(), unique_login_id: z.string() });
const RouteParams = z.record(z.string(), z.union([z.string(), z.array(z.string())]));

export function accountRoutes(ctx: SiteContext): Router {
  const router = Router();
  router.route("/account/login/").get(showLogin(ctx)).post(requireCsrf, submitLogin(ctx));
  router.route("/account/two-factor/").get(twoFactor(ctx)).post(requireCsrf, twoFactor(ctx));
  router.get("/account/confirm-login/", confirmLogin(ctx));
  router.post("/account/reauthenticate/", requireCsrf, reauthenticate(ctx));
  router.route("/account/logout/").get(showLogout(ctx)).post(requireCsrf, logout(ctx));
  return router;
}

/** `next` comes from the form first, then the query string (docs/sites/pypi.md, "Login page"). */
function requestedNext(req: Request): string | undefined {
  return formField(req, "next") ?? queryField(req, "next");
}

function showLogin(ctx: SiteContext): RequestHandler {
  return (req, res) => {
    if (currentAccount(ctx, req)) return res.redirect(303, "/manage/projects/");
    res.send(loginPage({ action: req.originalUrl, csrf: csrfToken(req), next: requestedNext(req) }));
  };
}

function submitLogin(ctx: SiteContext): RequestHandler {
  return async (req, res) => {
    if (currentAccount(ctx, req)) return res.redirect(303, "/manage/projects/");
    const username = formField(req, "username") ?? "";
    const next = requestedNext(req);
    const checked = checkLoginForm(ctx.directory, username, formField(req, "password") ?? "");
    if ("errors" in checked) {
      return res.send(loginPage({ action: req.originalUrl, csrf: csrfToken(req), next, username, errors: checked.errors }));
    }
    if (rememberedDevice(ctx, req, checked.account)) {
      await startLoggedInSession(req, res, checked.account, ctx.now());
      return res.redirect(303, isSafeUrl(next, req) ? next : "/manage/projects/");
    }
    const token = ctx.signer.sign(TWO_FACTOR.salt, { userid: checked.account.id, ...(next ? { redirect_to: next } : {}) });
    res.redirect(303, `/account/two-factor/?${token}`);
  };
}

/** LoginForm (accounts/forms.py), field by field as WTForms runs it. */
function checkLoginForm(
  directory: PypiDirectory,
  username: string,
  password: string,
): { account: Account } | { errors: { username?: string[]; password?: string[] } } {
  const account = username && !username.includes("@") ? directory.account(username) : undefined;
  const usernameError = !username ? REQUIRED : username.includes("@") ? MESSAGES.emailAsUsername : !account ? MESSAGES.noUser : undefined;
  let passwordError = password ? undefined : REQUIRED;
  if (account && password) {
    const check = directory.checkPassword(account, password);
    if (!check.ok) passwordError = check.lockedOutFor === undefined ? MESSAGES.invalidPassword : lockedOut(check.lockedOutFor);
  }
  if (account && !usernameError && !passwordError) return { account };
  return { errors: { username: usernameError ? [usernameError] : [], password: passwordError ? [passwordError] : [] } };
}

/** A valid `remember_device` cookie for this user skips 2FA and the device check (docs/sites/pypi.md, "Remember this device"). */
function rememberedDevice(ctx: SiteContext, req: Request, account: Account): boolean {
  const cookie = (req.cookies as Record<string, string | undefined>)[REMEMBER_DEVICE.cookie];
  if (!cookie) return false;
  const unsigned = ctx.signer.verify(REMEMBER_DEVICE.salt, cookie, REMEMBER_DEVICE.days * 86400);
  return unsigned.status === "valid" && RememberDeviceData.safeParse(unsigned.payload).data?.user_id === account.id;
}

/** `_get_two_factor_data`: the whole query string is the token; it dies after 300 s or a later login. */
function pendingTwoFactor(ctx: SiteContext, req: Request): { account: Account; redirectTo?: string; token: string } | undefined {
  // (inferred, docs/sites/pypi.md, "Two-factor page (TOTP)") the form action comes back as "?TOKEN=", so a trailing "=" is tolerated.
  const token = (req.originalUrl.split("?")[1] ?? "").replace(/=$/, "");
  const unsigned = ctx.signer.verify(TWO_FACTOR.salt, token, TWO_FACTOR.maxAgeSeconds);
  if (unsigned.status !== "valid") return undefined;
  const data = TwoFactorData.safeParse(unsigned.payload).data;
  const account = data && ctx.directory.accountById(data.userid);
  if (!data || !account || (account.lastLogin && account.lastLogin > unsigned.issuedAt)) return undefined;
  return { account, redirectTo: data.redirect_to, token };
}

function twoFactor(ctx: SiteContext): RequestHandler {
  return async (req, res) => {
    // (inferred) like the login view, an already logged-in visitor is sent to their projects.
    if (currentAccount(ctx, req)) return res.redirect(303, "/manage/projects/");
    const pending = pendingTwoFactor(ctx, req);
    if (!pending) {
      flash(req, "error", MESSAGES.badTwoFactorToken);
      return res.redirect(303, "/account/login/");
    }
    const action = `/account/two-factor/?${pending.token}=`;
    if (req.method !== "POST") return res.send(twoFactorPage({ action, csrf: csrfToken(req) }));

    const value = formField(req, "totp_value") ?? "";
    const errors = value ? [] : [REQUIRED];
    if (value) {
      // WTForms keeps running the chain after the Regexp error, so the code is still checked
      // (and a failure still counts) when it is malformed (inferred from `_run_validation_chain`).
      if (!/^ *([0-9] *){6}$/.test(value)) errors.push(MESSAGES.totpFormat);
      const check = ctx.directory.checkTotp(pending.account, value.replace(/ /g, ""));
      if (check.lockedOutFor !== undefined) return tooManyFailedLogins(res, check.lockedOutFor);
      if (!check.ok) errors.push(MESSAGES.invalidTotp);
    }
    if (errors.length) return res.send(twoFactorPage({ action, csrf: csrfToken(req), errors }));
    await finishTotpLogin(ctx, req, res, pending.account, value.replace(/ /g, ""), pending.redirectTo);
  };
}

/** The exception view for TooManyFailedLogins raised out of a 2FA check (docs/sites/pypi.md, "Two-factor page (TOTP)"). */
function tooManyFailedLogins(res: Response, seconds: number): void {
  webobError(res, {
    status: 429,
    reason: "Too Many Failed Login Attempts",
    explanation: EXPLANATIONS[429],
    detail: lockedOut(seconds),
    headers: { "Retry-After": String(seconds) },
  });
}

async function finishTotpLogin(
  ctx: SiteContext,
  req: Request,
  res: Response,
  account: Account,
  code: string,
  redirectTo?: string,
): Promise<void> {
  const ip = req.ip ?? "";
  // The `unrecognizedDevice` knob stands for "this IP has no CONFIRMED UserUniqueLogin" (docs/sites/pypi.md, "New-device confirmation");
  // opening the emailed link confirms it for later logins, as on pypi.org.
  if (ctx.settings.unrecognizedDevice && !account.confirmedIps.has(ip)) {
    ctx.directory.pendingLogin(account, ip, CONFIRM_LOGIN.maxAgeSeconds, (id) => {
      const token = ctx.signer.sign(CONFIRM_LOGIN.salt, { user_id: account.id, unique_login_id: id });
      return `${ctx.origin()}/account/confirm-login/?token=${token}`;
    });
    return res.redirect(303, "/account/confirm-login/");
  }
  await startLoggedInSession(req, res, account, ctx.now());
  account.lastTotpValue = code;
  if (!["", "false", undefined].includes(formField(req, "remember_device"))) {
    res.cookie(REMEMBER_DEVICE.cookie, ctx.signer.sign(REMEMBER_DEVICE.salt, { user_id: account.id }), {
      path: "/account/login/",
      httpOnly: true,
      sameSite: "strict",
      maxAge: REMEMBER_DEVICE.days * 86400 * 1000,
    });
  }
  res.redirect(303, isSafeUrl(redirectTo, req) ? redirectTo : "/");
}

/** `confirm_login`: the emailed link logs the user in directly, from the same IP only (docs/sites/pypi.md, "New-device confirmation"). */
function confirmLogin(ctx: SiteContext): RequestHandler {
  return async (req, res) => {
    const token = queryField(req, "token");
    if (token === undefined) return res.send(confirmLoginPage());
    const fail = (message: string) => {
      flash(req, "error", message);
      res.redirect(303, "/account/login/");
    };
    const unsigned = ctx.signer.verify(CONFIRM_LOGIN.salt, token, CONFIRM_LOGIN.maxAgeSeconds);
    if (unsigned.status === "expired") return fail(MESSAGES.expiredConfirmation);
    const data = unsigned.status === "valid" ? ConfirmLoginData.safeParse(unsigned.payload).data : undefined;
    const account = data && ctx.directory.accountById(data.user_id);
    if (!data || !account) return fail(MESSAGES.invalidConfirmation);
    const login = ctx.directory.pendingLoginFor(account.username);
    if (!login || login.id !== data.unique_login_id) return fail(MESSAGES.unknownConfirmation);
    if (login.ip !== req.ip) return fail(MESSAGES.otherDevice);
    ctx.directory.confirmLogin(login);
    await startLoggedInSession(req, res, account, ctx.now());
    flash(req, "success", MESSAGES.loginConfirmed);
    res.redirect(303, "/manage/projects/");
  };
}

/** POST /account/reauthenticate/: always a 303 back to the route; only a good password re-stamps (docs/sites/pypi.md, "Re-authentication"). */
function reauthenticate(ctx: SiteContext): RequestHandler {
  return (req, res) => {
    const account = currentAccount(ctx, req);
    if (!account) return res.redirect(303, "/account/login/");
    const matchdict = jsonField(req, "next_route_matchdict");
    const query = jsonField(req, "next_route_query");
    if (matchdict === "malformed" || query === "malformed") {
      return webobError(res, { status: 400, reason: "Bad Request", explanation: EXPLANATIONS[400] });
    }
    const password = formField(req, "password");
    if (password && ctx.directory.checkPassword(account, password).ok) sessionOf(req).reauthAt = ctx.now().getTime();
    // Our routes take no path parameters, so the matchdict only has to be well-formed.
    const path = ROUTES[formField(req, "next_route") ?? ""] ?? "/manage/projects/";
    const search = new URLSearchParams(Object.entries(query ?? {}).flatMap(([k, v]) => [v].flat().map((item) => [k, item]))).toString();
    res.redirect(303, search ? `${path}?${search}` : path);
  };
}

function jsonField(req: Request, name: string): Record<string, string | string[]> | "malformed" | undefined {
  const value = formField(req, name);
  if (value === undefined) return undefined;
  try {
    return RouteParams.safeParse(JSON.parse(value)).data ?? "malformed";
  } catch {
    return "malformed";
  }
}

function showLogout(ctx: SiteContext): RequestHandler {
  return (req, res) => {
    const account = currentAccount(ctx, req);
    // (inferred) signed-out visitors are sent to the login page.
    if (!account) return res.redirect(303, "/account/login/");
    res.send(logoutPage({ csrf: csrfToken(req), username: account.username, next: queryField(req, "next") }));
  };
}

function logout(ctx: SiteContext): RequestHandler {
  return async (req, res) => {
    if (!currentAccount(ctx, req)) return res.redirect(303, "/account/login/");
    const next = requestedNext(req);
    await endSession(req, res);
    res.redirect(303, isSafeUrl(next, req) ? next : "/");
  };
}
