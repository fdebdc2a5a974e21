// Templates for API tokens on the PyPI replica: the list on /manage/account/ with its per-row
// remove modal (docs/sites/pypi.md, "Token list (Account settings)"), and /manage/account/token/ before and after creating one (docs/sites/pypi.md, "Token list (Account settings)").
import { html, type Html } from "../shared/html.js";
import type { PypiTokenRecord } from "./options.js";
import { errorList, hiddenCsrf, renderPage, requiredLabel } from "./layout.js";

// Stimulus confirm_password_controller.js: the submit stays disabled until a password is typed;
// "Cancel" (a reset button) closes the modal (modal_close_controller.js).
const CONFIRM_PASSWORD_SCRIPT = `for (const modal of document.querySelectorAll('[data-controller~="confirm-password"]')) {
  const input = modal.querySelector('[data-confirm-password-target="input"]');
  const button = modal.querySelector('[data-confirm-password-target="button"]');
  input.addEventListener("input", () => { button.disabled = input.value === ""; });
  modal.querySelector("form").addEventListener("reset", () => { button.disabled = true; location.hash = "modal-close"; });
}`;

// The "Proceed with caution!" callout shows only while the whole account is the chosen scope.
const SCOPE_WARNING_SCRIPT = `const scope = document.getElementById("token_scope");
const showWarning = () => { document.getElementById("api-token-scope-warning").hidden = scope.value !== "scope:user"; };
scope.addEventListener("change", showWarning);
showWarning();`;

// The "Account associations" table reuses `table--api-tokens` (docs/sites/pypi.md, "Token list (Account settings)"), so an unscoped locator
// finds two tables, as on pypi.org; its columns are (inferred).
export function accountPage(view: { username: string; csrf: string; tokens: PypiTokenRecord[] }): string {
  return renderPage({
    title: "Account settings",
    signedInAs: view.username,
    scripts: [CONFIRM_PASSWORD_SCRIPT],
    main: html`<h1 class="page-title">Account settings</h1>
<section id="api-tokens">
  <h2>API tokens</h2>
  <p>API tokens provide an alternative way to authenticate when uploading packages to PyPI.</p>
  ${view.tokens.length ? tokenTable(view.tokens, view.csrf) : ""}
  <a href="/manage/account/token/" class="button button--primary">Add API token</a>
</section>
<section id="account-associations">
  <h2>Account associations</h2>
  <table class="table table--api-tokens">
    <caption class="sr-only">Account associations</caption>
    <thead><tr><th scope="col">Service</th><th scope="col">Account</th><th scope="col">Added</th></tr></thead>
    <tbody></tbody>
  </table>
</section>`,
  });
}

function tokenTable(tokens: PypiTokenRecord[], csrf: string): Html {
  return html`<table class="table table--api-tokens">
    <caption class="sr-only">API tokens</caption>
    <thead><tr><th scope="col">Name</th><th scope="col">Scope</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
    <tbody>${tokens.map((token) => tokenRow(token, csrf))}</tbody>
  </table>`;
}

function tokenRow(token: PypiTokenRecord, csrf: string): Html {
  const scope = token.scope.kind === "user" ? "All projects" : html`<a href="/project/${token.scope.project}/">${token.scope.project}</a>`;
  return html`<tr>
      <th scope="row"><span class="table__mobile-label">Name</span>${token.description}</th>
      <td><span class="table__mobile-label">Scope</span>${scope}</td>
      <td><span class="table__mobile-label">Created</span>${timeElement(token.created)}</td>
      <td><span class="table__mobile-label">Last used</span>${token.lastUsed ? timeElement(token.lastUsed) : "Never"}</td>
      <td>
        <nav class="dropdown">
          <button type="button" class="dropdown__trigger" aria-label="View token options" aria-haspopup="true">Options</button>
          <div class="dropdown__content">
            <a href="#remove-API-token--${token.id}" class="dropdown__link">Remove token</a>
            <a href="#view-identifier--${token.id}" class="dropdown__link">View unique identifier</a>
          </div>
        </nav>
        ${removeTokenModal(token, csrf, "/manage/account/token/")}
        <div id="view-identifier--${token.id}" class="modal">
          <div class="modal__content" role="dialog" aria-label="Unique identifier for API token ${token.description}">
            <h3 class="modal__title">Unique identifier for API token "${token.description}"</h3>
            <code>${token.id}</code>
            <a href="#modal-close" class="button">Close</a>
          </div>
        </div>
      </td>
    </tr>`;
}

/**
 * manage_base.html `confirm_password_modal` (docs/sites/pypi.md, "Deleting a token"), opened by the CSS :target rule on its id. The
 * password input has no id, so its label names nothing, as on pypi.org: scope by the modal id.
 */
function removeTokenModal(token: PypiTokenRecord, csrf: string, action: string): Html {
  const title = `Remove API token - ${token.description}`;
  return html`<div id="remove-API-token--${token.id}" class="modal" data-controller="confirm-password modal-close">
  <div class="modal__content" role="dialog" aria-label="${title}">
    <form method="post" class="modal__form" action="${action}">
      ${hiddenCsrf(csrf)}
      <input type="hidden" name="macaroon_id" value="${token.id}">
      <a href="#modal-close" title="Close" class="modal__close"><span class="sr-only">close</span></a>
      <div class="modal__body">
        <h3 class="modal__title">${title}</h3>
        <div class="callout-block callout-block--danger"><p>This action cannot be undone!</p></div>
        <p>Applications or scripts using this token will no longer have access to PyPI.</p>
        <label for="confirm_password">Enter your password to continue</label>
        <input name="confirm_password" type="password" placeholder="Your password" autocomplete="off" required data-confirm-password-target="input">
      </div>
      <div class="modal__footer">
        <button type="reset" class="button modal__action">Cancel</button>
        <button type="submit" class="button button--danger modal__action js-confirm" data-confirm-password-target="button" disabled>Remove API token</button>
      </div>
    </form>
  </div>
</div>`;
}

export interface CreateTokenForm {
  username: string;
  csrf: string;
  /** Normalized names of the projects the user has a direct role on, sorted. */
  projects: string[];
  description?: string;
  selectedScope?: string;
  errors?: { description?: string[]; token_scope?: string[] };
  /** Drift-drill knobs: the button's label, and a stand-in human who clicks it. */
  drill: { createButtonLabel: string; simulatedHumanClickMs: number | undefined };
}

export function createTokenPage(form: CreateTokenForm): string {
  const failed = !!(form.errors?.description?.length || form.errors?.token_scope?.length);
  const option = (value: string, label: string) =>
    html`<option value="${value}"${form.selectedScope === value ? " selected" : ""}>${label}</option>`;
  const scopeChosen = form.selectedScope !== undefined && form.selectedScope !== "scope:unspecified";
  return renderPage({
    title: "Create API token",
    formError: failed,
    signedInAs: form.username,
    scripts: [
      SCOPE_WARNING_SCRIPT,
      ...(form.drill.simulatedHumanClickMs === undefined ? [] : [simulatedHumanScript(form.drill.simulatedHumanClickMs)]),
    ],
    main: html`<h1 class="page-title">Create API token</h1>
${failed ? html`<div id="errors"></div>` : ""}
<section id="create-token">
  <h2>Add API token</h2>
  <form method="post">
    ${hiddenCsrf(form.csrf)}
    <div class="form-group">
      ${requiredLabel("description", "Token name")}
      <input type="text" name="description" id="description" value="${form.description ?? ""}" autocomplete="off" required aria-describedby="description-help-text token-name-errors">
      <p id="description-help-text" class="form-group__help-text">What will you use this token for?</p>
      <div id="token-name-errors">${errorList(form.errors?.description, "description-errors")}</div>
    </div>
    <p><strong>Permissions:</strong> Upload packages</p>
    <div class="form-group">
      ${requiredLabel("token_scope", "Scope")}
      <select name="token_scope" id="token_scope" required aria-describedby="scope-errors">
        <option disabled${scopeChosen ? "" : " selected"} value="scope:unspecified">Select scope...</option>
        ${option("scope:user", "Entire account (all projects)")}
        ${form.projects.map((name) => option(`scope:project:${name}`, `Project: ${name}`))}
      </select>
      <div id="scope-errors">${errorList(form.errors?.token_scope, "token_scope-errors")}</div>
    </div>
    <div id="api-token-scope-warning" class="callout-block callout-block--warning" hidden>
      <p>Proceed with caution! An API token scoped to your entire account will have upload permissions for all of your current and future projects.</p>
    </div>
    <input type="submit" value="${form.drill.createButtonLabel}" class="button button--primary">
  </form>
</section>`,
  });
}

/** Not part of pypi.org: a drill's stand-in for the person who clicks the button rotate could not find. */
function simulatedHumanScript(afterMs: number): string {
  return `setTimeout(() => {
  if (document.getElementById("description").value) document.querySelector("#create-token input[type=submit]").click();
}, ${Math.round(afterMs)});`;
}

/** The one response that ever shows the token: 200, no redirect (docs/sites/pypi.md, "The token shown once" "Success"). */
export function provisionedTokenPage(view: {
  username: string;
  csrf: string;
  action: string;
  token: PypiTokenRecord;
  value: string;
}): string {
  const { token, value } = view;
  const scope = token.scope.kind === "user" ? "Entire account (all projects)" : `Project "${token.scope.project}"`;
  return renderPage({
    title: "Create API token",
    signedInAs: view.username,
    scripts: [CONFIRM_PASSWORD_SCRIPT],
    main: html`<h1 class="page-title">Create API token</h1>
<section id="provisioned-key" data-controller="clipboard">
  <h2>Token for "${token.description}"</h2>
  <p><strong>Permissions:</strong> Upload packages</p>
  <p><strong>Scope:</strong> ${scope}</p>
  <div class="callout-block callout-block--warning"><p>For security reasons this token will only appear once. <strong>Copy it now.</strong></p></div>
  <code class="code-block" data-clipboard-target="source">${value}</code>
  <button type="button" class="button button--primary" data-action="clipboard#copy" aria-label="Copy token to clipboard">Copy token</button>
  <a href="#remove-API-token--${token.id}" class="button">Remove token</a>
  ${removeTokenModal(token, view.csrf, view.action)}
  <h3>Using this token</h3>
  <p>To use this API token:</p>
  <ul>
    <li>Set your username to <code>__token__</code></li>
    <li>Set your password to the token value, including the <code>pypi-</code> prefix</li>
  </ul>
  ${
    token.scope.kind === "user"
      ? html`<p>For example, if you are using Twine to upload your projects to PyPI, set up your <code>$HOME/.pypirc</code> file like this:</p>
  <pre class="code-block">[pypi]
  username = __token__
  password = ${value}</pre>`
      : ""
  }
  <a href="." class="button">Create another token</a>
</section>`,
  });
}

function timeElement(date: Date): Html {
  const iso = date.toISOString().replace(/\.\d{3}Z$/, "+0000");
  const text = date.toLocaleDateString("en-US", { month: "short", day: "numeric", year: "numeric", timeZone: "UTC" });
  return html`<time datetime="${iso}" data-controller="localized-time">${text}</time>`;
}
