// The frame every npm replica page shares: title, the header with the account links (the flow
// finds the username in an `a[href*=settings]`, docs/sites/npm.md, "Website URLs"), notices, error lists, and
// the answers for pages that do not exist, bad CSRF tokens and malformed requests.
import type { ErrorRequestHandler, RequestHandler } from "express";
import { html, raw, type Html } from "../shared/html.js";
import { CSRF_FIELD, csrfToken, type Notice } from "./session.js";

export interface SignedInHeader {
  username: string;
  csrf: string;
}

export interface Page {
  title: string;
  main: Html;
  /** Signed-in pages get the account links and a Sign Out button (which needs the CSRF token). */
  signedIn?: SignedInHeader;
  /** Inline scripts for behaviour the real site does in the browser. */
  scripts?: string[];
}

const STYLE = `
body{font-family:sans-serif;margin:0}header,main{padding:1rem 2rem}header{border-bottom:3px solid #cb3837}
header nav{display:flex;gap:1rem;align-items:center}header form{margin:0}
.sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.errors{color:#a00}.notice{padding:.5rem 1rem}.notice--success{background:#dfd}.notice--error{background:#fdd}
.field{margin:1rem 0}.hint{color:#555;font-size:.9em;margin:.25rem 0}
.new-token{background:#e6f6e6;border:2px solid #2a2;padding:1rem;margin:1rem 0}
.button--primary{background:#2a2;color:#fff}.button--danger{background:#c22;color:#fff}
details.dropdown{display:inline-block;position:relative}details.dropdown summary{list-style:none;border:1px solid #888;padding:.25rem .75rem;cursor:pointer}
details.dropdown [role=listbox]{position:absolute;background:#fff;border:1px solid #888;margin:0;padding:0;list-style:none;z-index:1;min-width:100%}
[role=listbox]{list-style:none;padding:0}[role=option]{padding:.25rem .75rem;cursor:pointer;white-space:nowrap}.toolbar{display:flex;gap:1rem;margin:1rem 0}[role=option][aria-selected=true]{font-weight:bold}
.chips{list-style:none;padding:0;display:flex;gap:.5rem;flex-wrap:wrap}.chips li{background:#eee;padding:.1rem .5rem}
table{border-collapse:collapse}th,td{border-bottom:1px solid #ddd;padding:.4rem .6rem;text-align:left;vertical-align:top}`;

export function renderPage(page: Page): string {
  const scripts = (page.scripts ?? []).map((s) => html`<script>${raw(s)}</script>`);
  return `<!DOCTYPE html>\n${String(html`<html lang="en">
<head><meta charset="utf-8"><title>${page.title} | npm</title><style>${raw(STYLE)}</style></head>
<body>
<header><nav aria-label="Account">${navigation(page.signedIn)}</nav></header>
<main>${page.main}</main>
${scripts}
</body>
</html>`)}`;
}

function navigation(signedIn: Page["signedIn"]): Html {
  if (!signedIn) return html`<a href="/">npm</a><a href="/login">Sign In</a>`;
  return html`<a href="/">npm</a><a href="/settings/${signedIn.username}/tokens">Access Tokens</a>
<form method="post" action="/logout">${csrfField(signedIn.csrf)}<button type="submit">Sign Out</button></form>`;
}

export function csrfField(token: string): Html {
  return html`<input type="hidden" name="${CSRF_FIELD}" value="${token}">`;
}

/** Errors are announced (role=alert); the flows read them to say why npm refused. */
export function errorList(errors: string[]): Html {
  if (errors.length === 0) return html``;
  return html`<div class="errors" role="alert"><ul>${errors.map((e) => html`<li>${e}</li>`)}</ul></div>`;
}

export function noticeBar(notice: Notice | undefined): Html {
  if (!notice) return html``;
  const role = notice.kind === "success" ? "status" : "alert";
  return html`<p class="notice notice--${notice.kind}" role="${role}">${notice.text}</p>`;
}

function messagePage(title: string, text: string): string {
  return renderPage({ title, main: html`<h1>${title}</h1><p>${text}</p>` });
}

export const notFound: RequestHandler = (_req, res) => {
  res.status(404).send(messagePage("Not Found", "The page you're looking for does not exist."));
};

/** The wording of npm's CSRF failure page is not documented [I]. */
export const invalidCsrf: RequestHandler = (req, res) => {
  csrfToken(req, res);
  res
    .status(403)
    .send(messagePage("Invalid CSRF token", "Your form expired or was sent from elsewhere. Go back, reload the page and try again."));
};

/** Express would print the stack of an unhandled error; a replica must stay silent. */
export const quietErrors: ErrorRequestHandler = (err: { status?: unknown }, _req, res, _next) => {
  const status = typeof err.status === "number" && err.status >= 400 && err.status < 600 ? err.status : 500;
  res.status(status).send(messagePage("Something went wrong", `The server answered ${status}.`));
};
