// Password reset on the PyPI replica, as Warehouse does it (accounts/views.py
// `request_password_reset` / `reset_password`, forms.py `RequestPasswordResetForm` /
// `ResetPasswordForm`, templates accounts/request-password-reset.html and reset-password.html):
// the request page "emails" a signed link, the link's page takes the new password twice, and a
// changed password ends the account's other sessions.
import { Router, type Request, type RequestHandler } from "express";
import { html, raw } from "../shared/html.js";
import type { Account } from "./directory.js";
import { currentAccount, type SiteContext } from "./guards.js";
import { errorList, hiddenCsrf, renderPage, requiredLabel } from "./layout.js";
import { formField, requestParam } from "./params.js";
import { RateLimiter } from "./ratelimit.js";
import { csrfToken, flash, requireCsrf, sessionOf } from "./session.js";
import { EXPLANATIONS, webobError } from "./webob.js";
import { endSessionsOnPasswordChange } from "../shared/reset-sessions.js";
import { INVALID_PASSWORD, REQUIRED } from "./texts.js";

/** The `password` token service falls back to `token.default.max_age`, 21600 s (warehouse/config.py). */
const RESET_TOKEN = { salt: "password", maxAgeSeconds: 6 * 3600 };
/** `password.reset` limiter: "5 per day" per user, cleared by a completed reset (warehouse/config.py). */
const RESET_LIMITS = [{ count: 5, windowSeconds: 86400 }];
const MAX_PASSWORD_SIZE = 4096;
const USERNAME = /^[a-zA-Z0-9][a-zA-Z0-9._-]*[a-zA-Z0-9]$/;

const MESSAGES = {
  // RequestPasswordResetForm answers a malformed email with the login form's message, verbatim.
  badEmail: INVALID_PASSWORD,
  badUsername: "The username isn't valid. Try again.",
  nullBytes: "Null bytes are not allowed.",
  invalidPassword: INVALID_PASSWORD,
  tooLong: "Password too long.",
  tooEasy: "Password is too easily guessed.",
  breached:
    'This password appears in a security breach or has been compromised and cannot be used. See <a href="/help/#compromised-password">this FAQ entry</a> for more information.',
  mismatch: "Your passwords don't match. Try again.",
  done: "You have reset your password",
  sessionEnded: "Session invalidated by password change",
  expired: "Expired token: request a new password reset link",
  invalid: "Invalid token: request a new password reset link",
  missing: "Invalid token: no token supplied",
  wrongAction: "Invalid token: not a password reset token",
  noUser: "Invalid token: user not found",
  loggedInSince: "Invalid token: user has logged in since this token was requested",
  changedSince: "Invalid token: password has already been changed since this token was requested",
};

const tooManyResets = (ip: string) =>
  `Too many password resets have been requested for this account without completing them. Check your inbox and follow the verification links. (IP: ${ip})`;

// (inferred) The HaveIBeenPwned check, with a handful of famous breached passwords standing in
// for the range API.
const BREACHED = new Set(["password", "123456", "12345678", "qwerty", "letmein", "Password1", "Password123!", "correcthorsebatterystaple"]);

interface ResetData {
  action: string;
  "user.id": string;
  "user.last_login": string;
  "user.password_date": string;
}

const EPOCH = new Date(0).toISOString();

export interface PasswordReset {
  /** Mount before every other route: it also ends sessions that predate a password change. */
  routes: Router;
  /** The link the latest reset email to this user carried. */
  lastLink(username: string): string | undefined;
}

export function passwordReset(ctx: SiteContext): PasswordReset {
  const outbox = new Map<string, string>();
  const limiters = new Map<string, RateLimiter>();
  const limiter = (account: Account) => {
    const found = limiters.get(account.id) ?? new RateLimiter(RESET_LIMITS, ctx.now);
    limiters.set(account.id, found);
    return found;
  };

  const router = Router();
  router.use(
    endSessionsOnPasswordChange({
      username: (req) => sessionOf(req).username,
      changedAt: (username) => ctx.directory.account(username)?.passwordDate ?? undefined,
      onEnded: (req) => flash(req, "error", MESSAGES.sessionEnded),
    }),
  );

  const requestReset: RequestHandler = (req, res) => {
    if (currentAccount(ctx, req)) return res.redirect(303, "/");
    const action = req.originalUrl;
    if (req.method !== "POST") return res.send(requestResetPage({ action, csrf: csrfToken(req) }));
    const given = formField(req, "username_or_email") ?? "";
    const error = usernameOrEmailError(given);
    if (error) return res.send(requestResetPage({ action, csrf: csrfToken(req), value: given, errors: [error] }));
    const account = ctx.directory.account(given) ?? ctx.directory.accountByEmail(given);
    // No such user: the same answer as for a real one, so addresses do not leak.
    if (!account) return res.send(resetEmailSentPage());
    const lockedOutFor = limiter(account).lockedOutFor(account.id);
    if (lockedOutFor !== undefined) {
      return webobError(res, {
        status: 429,
        reason: "Too Many Requests",
        explanation: EXPLANATIONS[429],
        detail: tooManyResets(req.ip ?? ""),
        headers: { "Retry-After": String(lockedOutFor) },
      });
    }
    outbox.set(account.username, resetLink(ctx, account));
    limiter(account).hit(account.id);
    res.send(resetEmailSentPage());
  };

  const resetPassword: RequestHandler = (req, res) => {
    if (currentAccount(ctx, req)) return res.redirect(303, "/");
    const checked = accountForToken(ctx, requestParam(req, "token"));
    if ("refused" in checked) {
      flash(req, "error", checked.refused);
      return res.redirect(303, "/account/request-password-reset/");
    }
    const action = req.originalUrl;
    if (req.method !== "POST") return res.send(resetPasswordPage({ action, csrf: csrfToken(req) }));
    const errors = newPasswordErrors(req, checked.account);
    if (errors.newPassword.length || errors.confirm.length) return res.send(resetPasswordPage({ action, csrf: csrfToken(req), errors }));
    ctx.directory.changePassword(checked.account, formField(req, "new_password") ?? "");
    limiters.delete(checked.account.id);
    flash(req, "success", MESSAGES.done);
    res.redirect(303, "/account/login/");
  };

  router.route("/account/request-password-reset/").get(requestReset).post(requireCsrf, requestReset);
  router.route("/account/reset-password/").get(resetPassword).post(requireCsrf, resetPassword);
  return { routes: router, lastLink: (username) => outbox.get(username) };
}

/** `send_password_reset_email`: a `password` token naming the user, their last login and password date. */
function resetLink(ctx: SiteContext, account: Account): string {
  const data: ResetData = {
    action: "password-reset",
    "user.id": account.id,
    "user.last_login": (account.lastLogin ?? new Date(0)).toISOString(),
    "user.password_date": (account.passwordDate ?? new Date(0)).toISOString(),
  };
  return `${ctx.origin()}/account/reset-password/?token=${encodeURIComponent(ctx.signer.sign(RESET_TOKEN.salt, data))}`;
}

/** `RequestPasswordResetForm.validate_username_or_email`: only the shape is checked here. */
function usernameOrEmailError(value: string): string | undefined {
  if (!value) return REQUIRED;
  if (value.includes("\0")) return MESSAGES.nullBytes;
  if (value.includes("@")) return /^[^@\s]+@[^@\s]+$/.test(value) ? undefined : MESSAGES.badEmail;
  return USERNAME.test(value) ? undefined : MESSAGES.badUsername;
}

/** `reset_password`'s checks on the token, in Warehouse's order. */
function accountForToken(ctx: SiteContext, token: string | undefined): { account: Account } | { refused: string } {
  if (!token) return { refused: MESSAGES.missing };
  const unsigned = ctx.signer.verify(RESET_TOKEN.salt, token, RESET_TOKEN.maxAgeSeconds);
  if (unsigned.status === "expired") return { refused: MESSAGES.expired };
  if (unsigned.status === "invalid") return { refused: MESSAGES.invalid };
  const data = unsigned.payload as Partial<ResetData>;
  if (data.action !== "password-reset") return { refused: MESSAGES.wrongAction };
  const account = ctx.directory.accountById(data["user.id"] ?? "");
  if (!account) return { refused: MESSAGES.noUser };
  if (account.lastLogin && account.lastLogin.toISOString() > (data["user.last_login"] ?? EPOCH)) return { refused: MESSAGES.loggedInSince };
  if ((account.passwordDate?.toISOString() ?? EPOCH) > (data["user.password_date"] ?? EPOCH)) return { refused: MESSAGES.changedSince };
  return { account };
}

interface PasswordErrors {
  newPassword: string[];
  confirm: string[];
}

/** `NewPasswordMixin`, field by field: WTForms keeps collecting after a ValidationError. */
function newPasswordErrors(req: Request, account: Account): PasswordErrors {
  const password = formField(req, "new_password") ?? "";
  const confirm = formField(req, "password_confirm") ?? "";
  const errors: PasswordErrors = { newPassword: [], confirm: [] };
  if (!password) errors.newPassword.push(REQUIRED);
  else if (password.includes("\0")) errors.newPassword.push(MESSAGES.invalidPassword);
  else {
    if (password.length > MAX_PASSWORD_SIZE) errors.newPassword.push(MESSAGES.tooLong);
    if (tooEasilyGuessed(password, [account.username, account.email])) errors.newPassword.push(MESSAGES.tooEasy);
    if (BREACHED.has(password)) errors.newPassword.push(MESSAGES.breached);
  }
  if (!confirm) errors.confirm.push(REQUIRED);
  else {
    if (confirm.length > MAX_PASSWORD_SIZE) errors.confirm.push(MESSAGES.tooLong);
    if (confirm !== password) errors.confirm.push(MESSAGES.mismatch);
  }
  return errors;
}

/**
 * (inferred) A stand-in for zxcvbn's score < 2 (fewer than 10^6 guesses): the user's own details
 * count for nothing, then the rest is brute-forced over the character classes it uses.
 */
function tooEasilyGuessed(password: string, userInputs: string[]): boolean {
  let rest = password;
  for (const input of userInputs) rest = rest.split(input).join("");
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^a-zA-Z0-9]/];
  const sizes = [26, 26, 10, 33];
  const charset = classes.reduce((sum, re, i) => sum + (re.test(rest) ? (sizes[i] ?? 0) : 0), 0);
  return BREACHED.has(password) || rest.length * Math.log10(Math.max(charset, 1)) < 6;
}

function requestResetPage(form: { action: string; csrf: string; value?: string; errors?: string[] }): string {
  return renderPage({
    title: "Password reset",
    formError: !!form.errors?.length,
    main: html`<h1 class="page-title">Password reset</h1>
<form method="POST" action="${form.action}">
  <p>To reset your password, enter your username or email.</p>
  ${hiddenCsrf(form.csrf)}
  <div class="form-group">
    ${requiredLabel("username_or_email", "Username or email")}
    <input id="username_or_email" name="username_or_email" type="text" value="${form.value ?? ""}" placeholder="Your username or email" autocorrect="off" autocapitalize="off" spellcheck="false" class="form-group__input">
    ${errorList(form.errors)}
  </div>
  <input type="submit" value="Request password reset" class="button button--primary">
</form>`,
  });
}

function resetEmailSentPage(): string {
  return renderPage({
    title: "Password reset",
    main: html`<h1 class="page-title">Password reset</h1>
<div class="callout-block callout-block--success">
  <h2 class="callout-block__heading">Reset email sent</h2>
  <p>An email has been sent to your registered email address.</p>
  <p>The email contains a link to reset your password. This link will expire in ${RESET_TOKEN.maxAgeSeconds / 3600} hours.</p>
</div>`,
  });
}

// Warehouse's password controller ("Show passwords") and password-match controller: the submit
// button stays disabled until both fields hold the same, non-empty value.
const RESET_FORM_SCRIPT = `const fields = [document.getElementById("new_password"), document.getElementById("password_confirm")];
const message = document.getElementById("match-message");
const submit = document.querySelector("#reset-password-form input[type=submit]");
const check = () => {
  const empty = fields.every((f) => f.value === "");
  const same = fields.every((f) => f.value === fields[0].value);
  message.hidden = empty;
  message.textContent = same ? "Passwords match" : "Passwords do not match";
  submit.disabled = empty || !same;
};
fields.forEach((f) => f.addEventListener("input", check));
document.getElementById("show-password").addEventListener("change", (e) => {
  fields.forEach((f) => { f.type = e.target.checked ? "text" : "password"; });
});
check();`;

function resetPasswordPage(form: { action: string; csrf: string; errors?: PasswordErrors }): string {
  const errors = form.errors ?? { newPassword: [], confirm: [] };
  // The breach message is Markup in Warehouse: its FAQ link renders as a link.
  const passwordErrors = errors.newPassword.map((e) => (e === MESSAGES.breached ? raw(e) : html`${e}`));
  return renderPage({
    title: "Reset your password",
    formError: errors.newPassword.length + errors.confirm.length > 0,
    scripts: [RESET_FORM_SCRIPT],
    // The "Password" label points at id "password" while the field's id is "new_password", as
    // in Warehouse's template: the field has no accessible label, so flows use its id.
    main: html`<h1 class="page-title">Reset your password</h1>
<form method="post" action="${form.action}" id="reset-password-form">
  ${hiddenCsrf(form.csrf)}
  <div class="form-group">
    <div class="split-layout">
      ${requiredLabel("password", "Password")}
      <label for="show-password"><input id="show-password" type="checkbox" tabindex="4">&nbsp;Show passwords</label>
    </div>
    <input id="new_password" name="new_password" type="password" placeholder="Select a new password" required autocomplete="new-password" spellcheck="false" class="form-group__field" aria-describedby="password-errors password-strength">
    ${passwordErrors.length ? html`<ul id="password-errors" class="form-errors" role="alert">${passwordErrors.map((e) => html`<li>${e}</li>`)}</ul>` : ""}
  </div>
  <div class="form-group">
    ${requiredLabel("password_confirm", "Confirm password")}
    <input id="password_confirm" name="password_confirm" type="password" placeholder="Confirm password" required autocomplete="new-password" spellcheck="false" class="form-group__field" aria-describedby="confirm-password-errors">
    ${errorList(errors.confirm, "confirm-password-errors")}
  </div>
  <div class="form-group">
    <ul class="form-errors" role="alert"><li id="match-message" hidden></li></ul>
  </div>
  <input type="submit" value="Reset password" class="button button--primary" tabindex="3">
</form>`,
  });
}
