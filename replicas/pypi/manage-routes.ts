// /manage/* on the PyPI replica: the projects landing page, the token list on the account page,
// and /manage/account/token/ where one POST route creates or deletes (docs/sites/pypi.md, "Creating a token").
import { Router, type Request, type RequestHandler } from "express";
import type { Account, TokenScope } from "./directory.js";
import { reauthGate, requireLogin, signedIn, type SiteContext } from "./guards.js";
import { projectsPage } from "./account-pages.js";
import { formField } from "./params.js";
import { csrfToken, flash, isSafeUrl, requireCsrf } from "./session.js";
import { accountPage, createTokenPage, provisionedTokenPage } from "./token-pages.js";

const MESSAGES = {
  noName: "Specify a token name",
  longName: "Description must be 100 characters or less",
  nameTaken: "API token name already in use",
  noScope: "Specify the token scope",
  unknownScope: (value: string) => `Unknown token scope: ${value}`,
  unknownProject: (name: string) => `Unknown or invalid project name: ${name}`,
  deleted: (description: string) => `Deleted API token '${description}'.`,
  badCredentials: "Invalid credentials. Try again",
  notYours: "API Token does not exist.",
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function manageRoutes(ctx: SiteContext): Router {
  const router = Router();
  const login = requireLogin(ctx);
  const tokenGate = reauthGate(ctx, "manage.account.token");
  router.get("/manage/projects/", login, (_req, res) => {
    const account = signedIn(res);
    res.send(
      projectsPage(
        account.username,
        account.projects.map((p) => p.name),
      ),
    );
  });
  router.get("/manage/account/", login, reauthGate(ctx, "manage.account"), (req, res) => {
    const account = signedIn(res);
    res.send(accountPage({ username: account.username, csrf: csrfToken(req), tokens: ctx.directory.tokensOf(account) }));
  });
  router
    .route("/manage/account/token/")
    .get(login, tokenGate, (req, res) => {
      const account = signedIn(res);
      const selected = req.query["selected_project"];
      const selectedScope = typeof selected === "string" ? `scope:project:${selected}` : undefined;
      res.send(
        createTokenPage({
          username: account.username,
          csrf: csrfToken(req),
          projects: projectNames(account),
          selectedScope,
          drill: ctx.settings,
        }),
      );
    })
    // `request_param=DeleteMacaroonForm.__params__`: both fields present picks the delete view.
    .post(requireCsrf, login, tokenGate, (req, res, next) =>
      formField(req, "confirm_password") !== undefined && formField(req, "macaroon_id") !== undefined
        ? deleteToken(ctx)(req, res, next)
        : createToken(ctx)(req, res, next),
    );
  return router;
}

function projectNames(account: Account): string[] {
  return account.projects.map((p) => p.name);
}

/** CreateMacaroonForm (manage/forms.py): errors re-render with 200; success renders the token, no redirect. */
function createToken(ctx: SiteContext): RequestHandler {
  return (req, res) => {
    const account = signedIn(res);
    const description = formField(req, "description");
    const scopeValue = formField(req, "token_scope");
    const descriptionErrors = checkDescription(description, (name) => ctx.directory.tokensOf(account).some((t) => t.description === name));
    const scope = parseScope(scopeValue, projectNames(account));
    if (descriptionErrors.length || "error" in scope || description === undefined) {
      return res.send(
        createTokenPage({
          username: account.username,
          csrf: csrfToken(req),
          projects: projectNames(account),
          description,
          selectedScope: scopeValue,
          errors: { description: descriptionErrors, token_scope: "error" in scope ? [scope.error] : [] },
          drill: ctx.settings,
        }),
      );
    }
    const { record, token } = ctx.directory.createToken(account, { description, scope: scope.scope });
    res.send(
      provisionedTokenPage({ username: account.username, csrf: csrfToken(req), action: req.originalUrl, token: record, value: token }),
    );
  };
}

function checkDescription(description: string | undefined, taken: (name: string) => boolean): string[] {
  if (!description) return [MESSAGES.noName];
  const errors: string[] = [];
  if ([...description].length > 100) errors.push(MESSAGES.longName);
  // Exact, case-sensitive match, like the DB's UniqueConstraint(description, user_id).
  if (taken(description)) errors.push(MESSAGES.nameTaken);
  return errors;
}

/** `validate_token_scope`: "scope:user" or "scope:project:<normalized name>" of a project the user has a role on. */
function parseScope(value: string | undefined, projects: string[]): { scope: TokenScope } | { error: string } {
  if (!value) return { error: MESSAGES.noScope };
  const kind = splitOnce(value)[1];
  if (kind === undefined) return { error: MESSAGES.unknownScope(value) };
  if (kind === "unspecified") return { error: MESSAGES.noScope };
  if (kind === "user") return { scope: { kind: "user" } };
  const [subKind, project] = splitOnce(kind);
  if (subKind !== "project" || project === undefined) return { error: MESSAGES.unknownScope(value) };
  if (!projects.includes(project)) return { error: MESSAGES.unknownProject(project) };
  return { scope: { kind: "project", project } };
}

/** Python's `value.split(":", 1)`. */
function splitOnce(value: string): [string, string | undefined] {
  const at = value.indexOf(":");
  return at < 0 ? [value, undefined] : [value.slice(0, at), value.slice(at + 1)];
}

/** `delete_macaroon`: every outcome is a flash and a 303 to the same-site Referer (docs/sites/pypi.md, "Deleting a token"). */
function deleteToken(ctx: SiteContext): RequestHandler {
  return (req, res) => {
    const account = signedIn(res);
    const password = formField(req, "confirm_password") ?? "";
    const id = formField(req, "macaroon_id") ?? "";
    // Both fields are validated, so a wrong password counts toward the lockout even for a bad id.
    const passwordOk = password !== "" && ctx.directory.checkPassword(account, password).ok;
    const token = UUID.test(id) ? ctx.directory.token(id.toLowerCase()) : undefined;
    if (!passwordOk || !token) flash(req, "error", MESSAGES.badCredentials);
    else if (token.username !== account.username) flash(req, "warning", MESSAGES.notYours);
    else {
      ctx.directory.deleteToken(token.id);
      flash(req, "success", MESSAGES.deleted(token.description));
    }
    res.redirect(303, refererOrAccount(req));
  };
}

function refererOrAccount(req: Request): string {
  const referer = req.get("referer");
  return isSafeUrl(referer, req) ? referer : "/manage/account/";
}
