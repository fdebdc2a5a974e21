// The npm access tokens list (docs/sites/npm.md, "Access tokens list"): a new token shown once at the top,
// "Generate New Token", "Delete Selected Tokens", and a row per token with its redacted value
// and a × that deletes it after the browser's own confirm() (GitLab's DAST doc, docs/sites/npm.md, "Deleting a token on the website" [I]).
import { Router } from "express";
import { z } from "zod";
import { html, type Html } from "../shared/html.js";
import { NO_ACCESS, type Account, type StoredToken } from "./directory.js";
import { escalationGate, header, ownSettings, signedIn, type SiteContext } from "./guards.js";
import { ORG_PERMISSION_LABELS, PACKAGE_PERMISSION_LABELS, shortDate } from "./labels.js";
import { csrfField, noticeBar, renderPage, type SignedInHeader } from "./layout.js";
import { csrfToken, popOnce, sessionOf, type Notice } from "./session.js";
import type { NpmSettings } from "./settings.js";
import { redact } from "./token-format.js";

export const LIST_PATH = "/settings/:user/tokens";
export const NEW_TOKEN_PATH = "/settings/:user/tokens/granular-access-tokens/new";

export const settingsPath = (pattern: string, username: string) => pattern.replace(":user", username);

const oneOrMany = z.union([z.string(), z.array(z.string())]).optional();
/** The × sends `token` (one key); "Delete Selected Tokens" sends the ticked `tokens`. */
const DeleteForm = z.object({ token: z.string().optional(), tokens: oneOrMany });

// The dialog and notice wordings are not documented [I].
const CONFIRM_ONE = "Are you sure you want to delete this token?";
const CONFIRM_SELECTED = "Are you sure you want to delete the selected tokens?";

export function tokenListRoutes(ctx: SiteContext): Router {
  const router = Router();

  router.get(LIST_PATH, ownSettings(ctx), (req, res) => {
    const account = signedIn(res);
    res.send(
      tokenListPage({
        account,
        tokens: ctx.directory.tokensOf(account),
        now: ctx.now(),
        csrf: csrfToken(req, res),
        notice: popOnce(req, "notice"),
        newToken: popOnce(req, "newToken"),
        header: header(req, res, account),
        shape: ctx.settings.pageShape,
      }),
    );
  });

  router.post(LIST_PATH, ownSettings(ctx), escalationGate(ctx, "delete"), (req, res) => {
    const form = DeleteForm.safeParse(req.body);
    const keys = !form.success ? [] : form.data.token !== undefined ? [form.data.token] : [form.data.tokens ?? []].flat();
    sessionOf(req).notice = deletionNotice(keys.length, keys.length === 0 ? 0 : ctx.directory.deleteTokens(signedIn(res), keys));
    res.redirect(303, req.path);
  });

  return router;
}

function deletionNotice(asked: number, deleted: number): Notice {
  if (asked === 0) return { kind: "error", text: "Select at least one token to delete." };
  if (deleted === 0) return { kind: "error", text: "No tokens were deleted: they no longer exist." };
  return { kind: "success", text: `Successfully deleted ${deleted} ${deleted === 1 ? "token" : "tokens"}.` };
}

interface ListView {
  account: Account;
  tokens: StoredToken[];
  now: Date;
  csrf: string;
  notice: Notice | undefined;
  newToken: string | undefined;
  header: SignedInHeader;
  shape: NpmSettings["pageShape"];
}

function tokenListPage(view: ListView): string {
  const { username } = view.account;
  return renderPage({
    title: "Access Tokens",
    signedIn: view.header,
    main: html`<h1>Access Tokens</h1>
${view.newToken ? newTokenBox(view.newToken, view.shape) : ""}
${noticeBar(view.notice)}
<div class="toolbar">
  <form method="get" action="${settingsPath(NEW_TOKEN_PATH, username)}"><button type="submit" class="button--primary">Generate New Token</button></form>
  <button type="submit" form="tokens" id="delete_selected" class="button--danger" disabled>Delete Selected Tokens</button>
</div>
<form id="tokens" method="post" action="${settingsPath(LIST_PATH, username)}">
  ${csrfField(view.csrf)}
  <table>
    <caption class="sr-only">Your access tokens</caption>
    <thead><tr><th scope="col"><span class="sr-only">Select</span></th><th scope="col">Name</th><th scope="col">Token</th><th scope="col">Permissions</th><th scope="col">Created</th><th scope="col">Expires</th><th scope="col">Delete</th></tr></thead>
    <tbody>${view.tokens.length === 0 ? html`<tr><td colspan="7">You don't have any access tokens.</td></tr>` : view.tokens.map((t) => tokenRow(t, view.now))}</tbody>
  </table>
</form>`,
    scripts: [LIST_SCRIPT],
  });
}

/**
 * "Copy the token from the top of page": shown this once, never again (docs/sites/npm.md, "Token pages"). How it is
 * shown is inferred: in a <code> element, or (the variant shape) in a read-only text box [I].
 */
function newTokenBox(token: string, shape: NpmSettings["pageShape"]): Html {
  const shown =
    shape === "documented"
      ? html`<code id="new_token_value">${token}</code>`
      : html`<input id="new_token_value" type="text" readonly value="${token}" aria-label="Your new token" size="44">`;
  return html`<section class="new-token" aria-labelledby="new_token_heading">
  <h2 id="new_token_heading">Your new token</h2>
  <p>Copy your token now. You won't be able to see it again!</p>
  <p>${shown} <button type="button" data-copy="new_token_value">Copy</button></p>
</section>`;
}

function tokenRow(token: StoredToken, now: Date): Html {
  const expired = token.expires.getTime() <= now.getTime();
  return html`<tr>
  <td><input type="checkbox" name="tokens" value="${token.key}" aria-label="Select token ${token.name}"></td>
  <td>${token.name}</td>
  <td><code>${redact(token.value)}</code></td>
  <td>${permissionSummary(token)}</td>
  <td>${shortDate(token.created)}</td>
  <td>${shortDate(token.expires)}${expired ? " (expired)" : ""}</td>
  <td><button type="submit" name="token" value="${token.key}" aria-label="Delete token ${token.name}">×</button></td>
</tr>`;
}

function permissionSummary(token: StoredToken): Html {
  const lines: string[] = [];
  if (token.packagesPermission !== NO_ACCESS) {
    lines.push(`${PACKAGE_PERMISSION_LABELS[token.packagesPermission]}: ${token.packagesAll ? "all packages" : token.packages.join(", ")}`);
  }
  if (token.orgsPermission !== NO_ACCESS)
    lines.push(`Organizations, ${ORG_PERMISSION_LABELS[token.orgsPermission]}: ${token.orgs.join(", ")}`);
  if (token.bypass2fa) lines.push("Bypasses 2FA");
  if (token.cidr.length > 0) lines.push(`IP ranges: ${token.cidr.join(", ")}`);
  return html`${lines.map((line, i) => html`${i > 0 ? html`<br>` : ""}${line}`)}`;
}

const LIST_SCRIPT = `
const form = document.getElementById("tokens");
const deleteSelected = document.getElementById("delete_selected");
form.addEventListener("change", () => {
  deleteSelected.disabled = !form.querySelector("input[name=tokens]:checked");
});
form.addEventListener("submit", (event) => {
  const one = event.submitter && event.submitter.name === "token";
  if (!window.confirm(one ? ${JSON.stringify(CONFIRM_ONE)} : ${JSON.stringify(CONFIRM_SELECTED)})) event.preventDefault();
});
`;
