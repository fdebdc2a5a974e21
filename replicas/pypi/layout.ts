// The frame every replica page shares with Warehouse's base.html: the "{title} · PyPI" title with
// its form-error prefix, the client-side flash include, and the small shared form pieces.
import { html, raw, type Html } from "../shared/html.js";
import type { Flash } from "./session.js";

export const FLASH_INCLUDE_PATH = "/_includes/unauthed/flash-messages/";

export interface Page {
  title: string;
  /** A form failed validation: Warehouse prefixes the title (docs/sites/pypi.md, "Page titles and language" "Page <title>"). */
  formError?: boolean;
  signedInAs?: string;
  main: Html;
  /** Inline scripts the page's real counterpart gets from Warehouse's Stimulus controllers. */
  scripts?: string[];
}

const STYLE = `
body{font-family:sans-serif;margin:0}header,main{padding:1rem 2rem}header nav a{margin-right:1rem}
.sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
.table__mobile-label{display:none}.form-errors{color:#a00}.form-group{margin:.75rem 0}
.notification-bar{padding:.5rem 2rem}.notification-bar--danger{background:#fdd}
.notification-bar--warning{background:#ffd}.notification-bar--success{background:#dfd}
.dropdown{position:relative;display:inline-block}.dropdown__link{display:block;padding:.25rem .5rem}
.dropdown__content{display:none;position:absolute;right:0;z-index:10;background:#fff;border:1px solid #ccc}
.dropdown:focus-within .dropdown__content{display:block}
.modal{display:none}.modal__content{background:#fff;padding:1rem;max-width:32rem}
.modal:target{display:flex;position:fixed;inset:0;background:rgba(0,0,0,.4);align-items:center;justify-content:center}`;

// Warehouse's html-include controller: fetch the fragment after load and drop it in place (docs/sites/pypi.md, "Flash messages").
const INCLUDE_SCRIPT = `for (const el of document.querySelectorAll("[data-html-include]")) {
  fetch(el.dataset.htmlInclude, { credentials: "same-origin" }).then((r) => r.text()).then((markup) => { el.innerHTML = markup; });
}`;

export function renderPage(page: Page): string {
  const title = `${page.formError ? "Error processing form – " : ""}${page.title} · PyPI`;
  const scripts = [INCLUDE_SCRIPT, ...(page.scripts ?? [])].map((s) => html`<script>${raw(s)}</script>`);
  return `<!DOCTYPE html>\n${String(html`<html lang="en">
<head><meta charset="utf-8"><title>${title}</title><style>${raw(STYLE)}</style></head>
<body>
<header><nav aria-label="Main navigation"><a href="/">PyPI</a>${navLinks(page.signedInAs)}</nav></header>
<div data-html-include="${FLASH_INCLUDE_PATH}"></div>
<main id="content">${page.main}</main>
${scripts}
</body>
</html>`)}`;
}

function navLinks(username: string | undefined): Html {
  if (!username) return html`<a href="/account/login/">Log in</a>`;
  return html`<a href="/manage/projects/">Your projects</a><a href="/manage/account/">Account settings</a><a href="/account/logout/">Log out</a>`;
}

const BAR_CLASS = { error: "danger", warning: "warning", success: "success" } as const;

/** templates/includes/flash-messages.html: errors, then warnings, then successes. */
export function renderFlashes(flashes: Flash[]): string {
  const order = ["error", "warning", "success"] as const;
  return order
    .flatMap((queue) => flashes.filter((f) => f.queue === queue))
    .map(
      (f) =>
        html`<div class="notification-bar notification-bar--${BAR_CLASS[f.queue]}" role="${f.queue === "success" ? "status" : "alert"}">
  <span class="notification-bar__message">${f.message}</span>
</div>`.markup,
    )
    .join("\n");
}

/** "Label (required)", the accessible name WTForms-rendered Warehouse labels get. */
export function requiredLabel(forId: string, text: string): Html {
  return html`<label for="${forId}" class="form-group__label">${text} <span class="form-group__required">(required)</span></label>`;
}

export function errorList(errors: string[] | undefined, id?: string): Html {
  if (!errors?.length) return html``;
  return html`<ul${id ? html` id="${id}"` : ""} class="form-errors" role="alert">${errors.map((e) => html`<li>${e}</li>`)}</ul>`;
}

export function hiddenCsrf(token: string): Html {
  return html`<input name="csrf_token" type="hidden" value="${token}">`;
}
