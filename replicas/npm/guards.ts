// What stands between a request and the npm account settings pages: a signed-in session
// (else to /login?next=), the `:user` segment naming that account or `~` (docs/sites/npm.md
// docs/sites/npm.md, "Website URLs"), and, for token create/delete, the escalation step (docs/sites/npm.md, "Website URLs").
import type { Request, RequestHandler, Response } from "express";
import { FORCE_REAUTH } from "../shared/faults.js";
import { stagePath, type Stage } from "./auth-pages.js";
import type { Account, NpmDirectory } from "./directory.js";
import { notFound, type SignedInHeader } from "./layout.js";
import type { NpmSettings } from "./settings.js";
import { csrfToken, formFields, sessionOf } from "./session.js";

export interface SiteContext {
  directory: NpmDirectory;
  settings: NpmSettings;
  now: () => Date;
}

const ACCOUNT = "npmAccount";

export function currentAccount(ctx: SiteContext, req: Request): Account | undefined {
  const username = sessionOf(req).username;
  return username === undefined ? undefined : ctx.directory.account(username);
}

/** The account `ownSettings` let through. */
export function signedIn(res: Response): Account {
  const account = res.locals[ACCOUNT] as Account | undefined;
  if (!account) throw new Error("signedIn() used on a route without ownSettings");
  return account;
}

/** The header of a signed-in page: the account links and the Sign Out form. */
export function header(req: Request, res: Response, account: Account): SignedInHeader {
  return { username: account.username, csrf: csrfToken(req, res) };
}

export function loginUrl(next: string): string {
  return `/login?next=${encodeURIComponent(next)}`;
}

/** `/settings/:user/…`: `~` is the signed-in user; another user's name is a 404. */
export function ownSettings(ctx: SiteContext): RequestHandler {
  return (req, res, next) => {
    const account = currentAccount(ctx, req);
    // A POST's own path is also its page (the list, the form), so it is a fine place to return to.
    if (!account) return res.redirect(302, loginUrl(req.path));
    if (req.params.user !== "~" && req.params.user !== account.username) return notFound(req, res, next);
    res.locals[ACCOUNT] = account;
    next();
  };
}

export function secondFactorPath(stage: Stage, account: Account, next: string): string {
  return `${stagePath(stage, account.twoFactor)}?next=${encodeURIComponent(next)}`;
}

/**
 * npm does not document when the website escalates token create/delete (docs/sites/npm.md, "Escalation" [I]); the replica
 * does it when `settings.escalate` says so or a "reauth" fault matched. What happens to the
 * interrupted request is not documented either [I]: the documented page shape drops it (after the
 * challenge the user lands on the page and must act again); the variant keeps it and finishes it
 * once the code is accepted. Signing in does not count as a recent escalation [I].
 */
export function escalationGate(ctx: SiteContext, action: "create" | "delete"): RequestHandler {
  return (req, res, next) => {
    const data = sessionOf(req);
    if (!res.locals[FORCE_REAUTH]) {
      if (!ctx.settings.escalate[action] || (data.escalatedUntil ?? 0) > ctx.now().getTime()) return next();
      if (data.escalatedForOneAction) {
        data.escalatedForOneAction = false;
        return next();
      }
    }
    if (ctx.settings.pageShape === "variant") data.pendingAction = { path: req.path, fields: formFields(req) };
    res.redirect(302, secondFactorPath("escalate", signedIn(res), req.path));
  };
}
