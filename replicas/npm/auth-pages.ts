// The npm sign-in pages (docs/sites/npm.md, "Sign-in page"): "Sign In", the one-time-password step, the
// security-key step, and the same second steps again as the escalation ("sudo") challenge.
import { html, type Html } from "../shared/html.js";
import { csrfField, errorList, renderPage, type Page, type SignedInHeader } from "./layout.js";
import type { NpmUser } from "./directory.js";
import type { PendingAction } from "./session.js";
import type { NpmSettings } from "./settings.js";

type PageShape = NpmSettings["pageShape"];

export type Stage = "login" | "escalate";
export type Method = NpmUser["twoFactor"];

const withNext = (path: string, next: string | undefined) => (next === undefined ? path : `${path}?next=${encodeURIComponent(next)}`);

/** The e-mailed code's page address is not documented [I]. */
const STEP_PATHS: Record<Method, string> = { totp: "otp", webauthn: "webauthn", none: "email-otp" };

export function stagePath(stage: Stage, method: Method): string {
  return `/${stage}/${STEP_PATHS[method]}`;
}

/**
 * Ids and names from scripts that drive the real page (docs/sites/npm.md, "Sign-in page"): form #login, #login_username,
 * #login_password. The docs' screenshot labels the fields "Username" and "Password".
 */
export function loginPage(view: { csrf: string; next: string | undefined; username?: string; error?: string }): string {
  return renderPage({
    title: "Sign In",
    main: html`<h1>Sign In</h1>
<form id="login" method="post" action="${withNext("/login", view.next)}">
  ${csrfField(view.csrf)}
  ${errorList(view.error ? [view.error] : [])}
  <div class="field"><label for="login_username">Username</label>
    <input id="login_username" name="username" type="text" autocomplete="username" autocapitalize="off" value="${view.username ?? ""}"></div>
  <div class="field"><label for="login_password">Password</label>
    <input id="login_password" name="password" type="password" autocomplete="current-password"></div>
  <p><a href="/forgot">Forgot password?</a></p>
  <button type="submit">Sign In</button>
</form>
<p><a href="/signup">Create Account</a></p>`,
  });
}

export interface SecondFactorView {
  stage: Stage;
  method: Method;
  csrf: string;
  next: string;
  error?: string;
  /** Escalation only: the "don't challenge me for 5 minutes" box (`didOptForCooldown`, docs/sites/npm.md, "Escalation"). */
  cooldown?: { minutes: number; shape: PageShape };
  /** A stand-in human presses "Use security key" this long after the page loads (drills). */
  humanKeyMs?: number;
}

export function secondFactorPage(view: SecondFactorView): string {
  const escalating = view.stage === "escalate";
  // "Confirm your identity" for the escalation page is inferred [I]; the login heading is in the docs.
  const heading = escalating ? "Confirm your identity" : view.method === "none" ? "Enter a One-time Password" : "Two-Factor Authentication";
  const page: Page = {
    title: heading,
    main: html`<h1>${heading}</h1>
${escalating ? html`<p>This action needs you to confirm your identity again.</p>` : ""}
<form id="${view.stage}" method="post" action="${withNext(stagePath(view.stage, view.method), view.next)}">
  ${csrfField(view.csrf)}
  ${errorList(view.error ? [view.error] : [])}
  ${secondStep(view.method, view.humanKeyMs)}
  ${view.cooldown === undefined ? "" : cooldownBox(view.cooldown.minutes, view.cooldown.shape)}
  <button type="submit">${view.method === "webauthn" ? "Use security key" : view.method === "none" && !escalating ? "Login" : "Verify"}</button>
</form>
${view.method === "webauthn" ? html`<p>Unable to verify with your security key?</p><p><a href="${withNext("/login/recovery-code", view.next)}">Use a recovery code</a></p>` : ""}`,
  };
  return renderPage(page);
}

/** What the second step asks for: a code from the authenticator or the e-mail, or the key. */
export function secondStep(method: Method, humanKeyMs?: number): Html {
  if (method === "webauthn") return securityKeyCard(humanKeyMs);
  if (method === "totp") return otpField("One-time password");
  // The e-mailed code's page: "Enter a One-time Password", field "One-time Password" (docs); the sentence is ours [I].
  return html`<p>We sent a one-time password to the email address on your account.</p>${otpField("One-time Password")}`;
}

/** `#login_otp` is the id userscripts match on /login/otp and /escalate/otp alike (docs/sites/npm.md, "Second factor at sign-in"). */
function otpField(label: string): Html {
  return html`<div class="field"><label for="login_otp">${label}</label>
  <input id="login_otp" name="otp" type="text" inputmode="numeric" autocomplete="one-time-code" autofocus></div>`;
}

/**
 * Its "Use security key" button stands in for a human touching the key: the replica has no
 * WebAuthn. With `humanKeyMs`, a stand-in human presses it that long after the page loads.
 */
function securityKeyCard(humanKeyMs?: number): Html {
  const human =
    humanKeyMs === undefined
      ? ""
      : html`<script>setTimeout(() => document.getElementById("security_key_heading").closest("form").requestSubmit(), ${String(humanKeyMs)});</script>`;
  return html`<section aria-labelledby="security_key_heading">
  <h2 id="security_key_heading">Security key</h2>
  <p>When you are ready to authenticate, press the button below.</p>
  <input type="hidden" name="formName" value="webauthn">
  ${human}
</section>`;
}

/**
 * The box's wording is not documented [I]: keybridge calls it "the 'don't challenge for 5 min'
 * checkbox"; npm's trust docs describe the option as skipping 2FA for the next 5 minutes, which
 * is the variant shape's wording.
 */
function cooldownBox(minutes: number, shape: PageShape): Html {
  const label =
    shape === "documented" ? `Don't ask again for ${minutes} minutes` : `Skip two-factor authentication for the next ${minutes} minutes`;
  return html`<div class="field"><input id="escalate_cooldown" name="didOptForCooldown" type="checkbox" value="true">
  <label for="escalate_cooldown">${label}</label></div>`;
}

/**
 * After an escalation in the variant shape: the interrupted form, sent again at once by the
 * browser, so the action the person asked for completes [I]. Without scripts, a Continue button.
 */
export function resumePage(action: PendingAction): string {
  return renderPage({
    title: "Continuing",
    main: html`<h1>Continuing</h1>
<form id="resume" method="post" action="${action.path}">
  ${action.fields.map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`)}
  <noscript><button type="submit">Continue</button></noscript>
</form>`,
    scripts: ['document.getElementById("resume").submit();'],
  });
}

export function homePage(signedIn: SignedInHeader | undefined): string {
  const main = signedIn
    ? html`<h1>npm</h1><p>Signed in as ${signedIn.username}.</p><p><a href="/settings/${signedIn.username}/tokens">Access Tokens</a></p>`
    : html`<h1>npm</h1><p><a href="/login">Sign In</a> or <a href="/signup">Create Account</a></p>`;
  return renderPage({ title: "Home", main, signedIn });
}
