// Password reset on the npm replica. npm documents only that the sign-in page links "Forgot
// password?" (docs/sites/npm.md, "Password rules"), that `npm login` sends people to /forgot, and the password
// rules ("Creating a strong password": longer than 10 characters, not containing the username,
// not in Have I Been Pwned). Everything else here is inferred [I]: the page texts, the emailed
// link's /forgot/<token> form, its one-hour life, and that it works once.
import { randomBytes } from "node:crypto";
import { Router, type Request } from "express";
import { html } from "../shared/html.js";
import type { Account } from "./directory.js";
import type { SiteContext } from "./guards.js";
import { csrfField, errorList, renderPage } from "./layout.js";
import { csrfToken, formText, sessionOf } from "./session.js";
import { endSessionsOnPasswordChange } from "../shared/reset-sessions.js";

/** [I] One hour, a common life for reset links; npm does not say. */
const LINK_LIFETIME_SECONDS = 3600;
/** "is longer than 10 characters" (docs: creating-a-strong-password). */
const MIN_EXCLUSIVE = 10;

// [I] The texts; the rules behind them are documented.
const MESSAGES = {
  noLogin: "Enter your username or email address.",
  sent: `If that account exists, we have sent an email with a link to reset its password. The link expires in ${LINK_LIFETIME_SECONDS / 3600} hour.`,
  expired: "This password reset link has expired. Request a new one.",
  invalid: "This password reset link is invalid or has already been used. Request a new one.",
  noPassword: "Enter a new password.",
  tooShort: `Your password must be longer than ${MIN_EXCLUSIVE} characters.`,
  hasUsername: "Your password must not contain your username.",
  breached: "This password has appeared in a data breach (Have I Been Pwned) and cannot be used. Choose a different one.",
  mismatch: "The passwords do not match.",
  changed: "Your password has been changed. Sign in with your new password.",
};

// [I] A few famous breached passwords stand in for the Have I Been Pwned range API.
const BREACHED = new Set(["password123", "123456789012", "qwertyuiop123", "iloveyou1234", "correcthorsebatterystaple"]);

interface PendingReset {
  username: string;
  created: Date;
}

export interface PasswordReset {
  /** Mount before the other routes: it also ends sessions that predate a password change. */
  routes: Router;
  /** The link the latest reset email to this user carried. */
  lastLink(username: string): string | undefined;
}

export function passwordReset(ctx: SiteContext, origin: () => string): PasswordReset {
  const pending = new Map<string, PendingReset>();
  const outbox = new Map<string, string>();

  /** The account a link's token resets, or why the link is refused. */
  const accountFor = (token: string): { account: Account } | { refused: string } => {
    const found = pending.get(token);
    const account = found && ctx.directory.account(found.username);
    if (!found || !account) return { refused: MESSAGES.invalid };
    if (ctx.now().getTime() - found.created.getTime() > LINK_LIFETIME_SECONDS * 1000) return { refused: MESSAGES.expired };
    return { account };
  };

  const router = Router();
  router.use(
    endSessionsOnPasswordChange({
      username: (req) => sessionOf(req).username,
      changedAt: (username) => ctx.directory.account(username)?.passwordChangedAt,
    }),
  );

  router.get("/forgot", (req, res) => {
    res.send(forgotPage({ csrf: csrfToken(req, res) }));
  });

  router.post("/forgot", (req, res) => {
    const login = formText(req, "username").trim();
    if (!login) return res.status(400).send(forgotPage({ csrf: csrfToken(req, res), error: MESSAGES.noLogin }));
    const account = ctx.directory.accountByLogin(login);
    if (account) {
      const token = randomBytes(32).toString("base64url");
      pending.set(token, { username: account.username, created: ctx.now() });
      outbox.set(account.username, `${origin()}/forgot/${token}`);
    }
    // The same answer whether or not the account exists, so addresses do not leak.
    res.send(forgotPage({ csrf: csrfToken(req, res), sent: true }));
  });

  router.get("/forgot/:token", (req, res) => {
    const checked = accountFor(req.params.token);
    if ("refused" in checked) return res.status(400).send(refusedPage(checked.refused));
    res.send(newPasswordPage({ csrf: csrfToken(req, res), action: req.originalUrl }));
  });

  router.post("/forgot/:token", (req, res) => {
    const checked = accountFor(req.params.token);
    if ("refused" in checked) return res.status(400).send(refusedPage(checked.refused));
    const errors = passwordErrors(req, checked.account);
    if (errors.length) return res.status(400).send(newPasswordPage({ csrf: csrfToken(req, res), action: req.originalUrl, errors }));
    ctx.directory.changePassword(checked.account, formText(req, "password"));
    // [I] A changed password kills every outstanding link for the account.
    for (const [token, reset] of pending) if (reset.username === checked.account.username) pending.delete(token);
    res.send(changedPage());
  });

  return { routes: router, lastLink: (username) => outbox.get(username) };
}

function passwordErrors(req: Request, account: Account): string[] {
  const password = formText(req, "password");
  if (!password) return [MESSAGES.noPassword];
  const errors: string[] = [];
  if (password.length <= MIN_EXCLUSIVE) errors.push(MESSAGES.tooShort);
  if (password.toLowerCase().includes(account.username.toLowerCase())) errors.push(MESSAGES.hasUsername);
  if (BREACHED.has(password.toLowerCase())) errors.push(MESSAGES.breached);
  if (formText(req, "passwordConfirm") !== password) errors.push(MESSAGES.mismatch);
  return errors;
}

function forgotPage(view: { csrf: string; error?: string; sent?: boolean }): string {
  return renderPage({
    title: "Forgot Password",
    main: html`<h1>Forgot password?</h1>
${view.sent ? html`<p class="notice notice--success" role="status">${MESSAGES.sent}</p>` : ""}
<p>Enter your username or email address and we will email you a link to reset your password.</p>
<form id="forgot" method="post" action="/forgot">
  ${csrfField(view.csrf)}
  ${errorList(view.error ? [view.error] : [])}
  <div class="field"><label for="forgot_username">Username or email address</label>
    <input id="forgot_username" name="username" type="text" autocomplete="username" autocapitalize="off"></div>
  <button type="submit">Email me a reset link</button>
</form>
<p><a href="/login">Back to Sign In</a></p>`,
  });
}

function refusedPage(reason: string): string {
  return renderPage({
    title: "Reset Password",
    main: html`<h1>Reset password</h1>
${errorList([reason])}
<p><a href="/forgot">Request a new link</a></p>`,
  });
}

function newPasswordPage(view: { csrf: string; action: string; errors?: string[] }): string {
  return renderPage({
    title: "Reset Password",
    main: html`<h1>Choose a new password</h1>
<form id="reset" method="post" action="${view.action}">
  ${csrfField(view.csrf)}
  ${errorList(view.errors ?? [])}
  <div class="field"><label for="reset_password">New password</label>
    <input id="reset_password" name="password" type="password" autocomplete="new-password" aria-describedby="reset_password_hint">
    <p id="reset_password_hint" class="hint">Longer than ${MIN_EXCLUSIVE} characters, without your username, and not one that appeared in a data breach.</p></div>
  <div class="field"><label for="reset_password_confirm">Confirm new password</label>
    <input id="reset_password_confirm" name="passwordConfirm" type="password" autocomplete="new-password"></div>
  <button type="submit">Set new password</button>
</form>`,
  });
}

function changedPage(): string {
  return renderPage({
    title: "Password Changed",
    main: html`<h1>Password changed</h1>
<p class="notice notice--success" role="status">${MESSAGES.changed}</p>
<p><a href="/login">Sign In</a></p>`,
  });
}
