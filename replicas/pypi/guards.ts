// What stands between a request and a PyPI management view, in Warehouse's order (docs/sites/pypi.md, "Guards on management pages"): the
// login check (303 to the login page) and the re-auth interstitial (200 at the same URL, docs/sites/pypi.md, "Guards on management pages").
import type { Request, RequestHandler, Response } from "express";
import { FORCE_REAUTH } from "../shared/faults.js";
import type { PypiReplica } from "./options.js";
import { reauthPage } from "./account-pages.js";
import type { Account, PypiDirectory } from "./directory.js";
import type { TimedSigner } from "./signer.js";
import { csrfToken, sessionOf } from "./session.js";

export interface SiteContext {
  directory: PypiDirectory;
  signer: TimedSigner;
  settings: PypiReplica["settings"];
  now: () => Date;
  /** The website origin, for links that leave the site (the confirm-login email). */
  origin: () => string;
}

/** Route names the re-auth form may carry in `next_route`, and their paths. */
export const ROUTES: Record<string, string> = {
  "manage.projects": "/manage/projects/",
  "manage.account": "/manage/account/",
  "manage.account.token": "/manage/account/token/",
};

const ACCOUNT = "pypiAccount";

export function currentAccount(ctx: SiteContext, req: Request): Account | undefined {
  const username = sessionOf(req).username;
  return username === undefined ? undefined : ctx.directory.account(username);
}

/** The account `requireLogin` let through. */
export function signedIn(res: Response): Account {
  const account = res.locals[ACCOUNT] as Account | undefined;
  if (!account) throw new Error("signedIn() used on a route without requireLogin");
  return account;
}

/** warehouse/views.py `forbidden()`: 303 to the absolute login URL with the path+query as `next`. */
export function requireLogin(ctx: SiteContext): RequestHandler {
  return (req, res, next) => {
    const account = currentAccount(ctx, req);
    if (account) {
      res.locals[ACCOUNT] = account;
      return next();
    }
    const login = new URL("/account/login/", `${req.protocol}://${req.get("host")}`);
    login.searchParams.set("next", req.originalUrl);
    res.redirect(303, login.href);
  };
}

/**
 * `reauth_view`: due when `now - _reauth_timestamp >= reauthSeconds`, or forced by a "reauth"
 * fault. The page replaces the view's answer and the request (a POST body too) is dropped.
 */
export function reauthGate(ctx: SiteContext, routeName: string): RequestHandler {
  return (req, res, next) => {
    const stampedAt = sessionOf(req).reauthAt ?? 0;
    const due = ctx.now().getTime() - stampedAt >= ctx.settings.reauthSeconds * 1000;
    if (!due && !res.locals[FORCE_REAUTH]) return next();
    res.status(200).send(
      reauthPage({
        csrf: csrfToken(req),
        username: signedIn(res).username,
        nextRoute: routeName,
        nextRouteQuery: JSON.stringify(req.query),
      }),
    );
  };
}
