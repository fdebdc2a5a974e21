// Templates for the sign-in side of the PyPI replica: login, two-factor, the unrecognized-device
// stop, re-auth and logout (docs/sites/pypi.md, "Login page"), plus the two landing pages.
import { html, type Html } from "../shared/html.js";
import { errorList, hiddenCsrf, renderPage, requiredLabel } from "./layout.js";

export interface LoginForm {
  action: string;
  csrf: string;
  next?: string;
  username?: string;
  errors?: { form?: string[]; username?: string[]; password?: string[] };
}

// The "Show password" checkbox next to the password field (Warehouse's password controller).
const SHOW_PASSWORD_SCRIPT = `document.getElementById("show-password").addEventListener("change", (e) => {
  document.getElementById("password").type = e.target.checked ? "text" : "password";
});`;

export function loginPage(form: LoginForm): string {
  const errors = form.errors ?? {};
  return renderPage({
    title: "Log in",
    formError: Object.values(errors).some((list) => list?.length),
    scripts: [SHOW_PASSWORD_SCRIPT],
    main: html`<h1 class="page-title">Log in to PyPI</h1>
<form method="post" id="login-form" action="${form.action}">
  ${hiddenCsrf(form.csrf)}
  ${form.next === undefined ? "" : html`<input name="next" type="hidden" value="${form.next}">`}
  ${errorList(errors.form)}
  <div class="form-group">
    ${requiredLabel("username", "Username")}
    <input id="username" name="username" type="text" value="${form.username ?? ""}" placeholder="Your username" autocomplete="username" autocapitalize="off" spellcheck="false" required aria-describedby="username-errors">
    <div id="username-errors">${errorList(errors.username)}</div>
  </div>
  <div class="form-group">
    ${requiredLabel("password", "Password")}
    <label for="show-password" class="show-password"><input id="show-password" type="checkbox"> Show password</label>
    <input id="password" name="password" type="password" placeholder="Your password" autocomplete="current-password" required aria-describedby="password-errors">
    <div id="password-errors">${errorList(errors.password)}</div>
  </div>
  <p><a href="/account/request-password-reset/">Forgot password?</a></p>
  <input type="submit" value="Log in" class="button button--primary">
</form>`,
  });
}

export function twoFactorPage(form: { action: string; csrf: string; errors?: string[] }): string {
  return renderPage({
    title: "Two-factor authentication",
    formError: !!form.errors?.length,
    main: html`<h1 class="page-title">Two-factor authentication</h1>
<form method="post" id="totp-auth-form" action="${form.action}">
  ${hiddenCsrf(form.csrf)}
  <input type="hidden" name="method" value="totp">
  <div class="form-group">
    ${requiredLabel("totp_value", "Enter authentication code")}
    <input id="totp_value" name="totp_value" type="text" inputmode="numeric" pattern="\\d{6}" autocomplete="one-time-code" required aria-describedby="totp-errors">
    ${errorList(form.errors, "totp-errors")}
  </div>
  <div class="form-group">
    <label class="checkbox-label"><input type="checkbox" name="remember_device" value="true"> Remember this device for 30 days</label>
  </div>
  <input type="submit" value="Verify" class="button button--primary">
</form>
<p>You have not generated account recovery codes.</p>`,
  });
}

/** templates/accounts/unrecognized-device.html: the TOTP login stops here until the email link is opened. */
export function confirmLoginPage(): string {
  return renderPage({
    title: "Please confirm this login",
    // (inferred) wording of the body text; the reference gives only the heading and its meaning.
    main: html`<h1 class="page-title">Please confirm this login</h1>
<p>We sent an email to your primary address with a link to confirm this login from a new device. Open it from this device to continue.</p>`,
  });
}

export interface ReauthForm {
  csrf: string;
  username: string;
  nextRoute: string;
  nextRouteQuery: string;
}

/** templates/re-auth.html, served with status 200 at the URL that asked for re-authentication (docs/sites/pypi.md, "Re-authentication"). */
export function reauthPage(form: ReauthForm): string {
  return renderPage({
    title: "Confirm password",
    signedInAs: form.username,
    main: html`<h1 class="page-title">Confirm password to continue</h1>
<form method="post" action="/account/reauthenticate/">
  ${hiddenCsrf(form.csrf)}
  <input type="hidden" name="next_route" value="${form.nextRoute}">
  <input type="hidden" name="next_route_matchdict" value="{}">
  <input type="hidden" name="next_route_query" value="${form.nextRouteQuery}">
  <div class="form-group">
    ${requiredLabel("password", "Password")}
    <input id="password" name="password" type="password" placeholder="Your password" autocomplete="current-password" required>
  </div>
  <input type="submit" value="Confirm password" class="button button--primary">
</form>
<p>We won't ask you to confirm your password again for the next hour.</p>`,
  });
}

export function logoutPage(form: { csrf: string; username: string; next?: string }): string {
  return renderPage({
    title: "Log out",
    signedInAs: form.username,
    main: html`<h1 class="page-title">Log out of ${form.username}</h1>
<form method="post" action="/account/logout/">
  ${hiddenCsrf(form.csrf)}
  ${form.next === undefined ? "" : html`<input name="next" type="hidden" value="${form.next}">`}
  <input type="submit" value="Log out" class="button button--primary">
</form>`,
  });
}

/** Where a 2FA login lands without `next` (docs/sites/pypi.md, "Login page" "Login redirects"). */
export function homePage(username: string | undefined): string {
  return renderPage({
    title: "The Python Package Index",
    signedInAs: username,
    main: html`<h1>Find, install and publish Python packages with the Python Package Index</h1>`,
  });
}

export function projectsPage(username: string, projects: string[]): string {
  const items: Html[] = projects.map((name) => html`<li>${name}</li>`);
  return renderPage({
    title: "Your projects",
    signedInAs: username,
    main: html`<h1 class="page-title">Your projects</h1>
${items.length ? html`<ul>${items}</ul>` : html`<p>You have not uploaded any projects to PyPI, yet.</p>`}`,
  });
}
