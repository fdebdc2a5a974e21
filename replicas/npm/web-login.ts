// `npm login --auth-type=web` against the replica (docs/sites/npm.md, "Web login"): the registry
// hands out a login URL on the website and a done URL on itself; the person signs in on the
// website, which then lands on /login/cli/<uuid> and completes the CLI login; the done URL answers
// 202 with Retry-After while waiting and 200 with the session token once. The same done URL
// serves the web one-time codes (`authId`, web-otp.ts).
import { Router, type Request, type Response } from "express";
import { html, type Html } from "../shared/html.js";
import type { Account } from "./directory.js";
import { currentAccount, header, loginUrl, type SiteContext } from "./guards.js";
import { csrfField, renderPage, type SignedInHeader } from "./layout.js";
import type { Origins } from "./otp-gate.js";
import { csrfToken } from "./session.js";
import type { SessionTokens } from "./sessions.js";
import { UUID_PATTERN } from "./token-format.js";
import type { WebRequests } from "./web-requests.js";

export function webLoginRegistryRoutes(deps: { webRequests: WebRequests; settings: SiteContext["settings"]; origins: Origins }): Router {
  const router = Router();

  // The body is `{}` for a login; npm's client once sent `create` or `hostname`, ignored here [I].
  router.post("/-/v1/login", (_req, res) => {
    const id = deps.webRequests.open("login");
    res.json({
      // The documented shape, `next` not escaped: https://www.npmjs.com/login?next=/login/cli/<uuid>.
      loginUrl: `${deps.origins.site()}/login?next=/login/cli/${id}`,
      // Seen only in third-party fakes [I].
      doneUrl: `${deps.origins.registry()}/-/v1/done?sessionId=${id}`,
    });
  });

  router.get("/-/v1/done", (req, res) => {
    const { sessionId, authId } = req.query;
    const asked =
      typeof sessionId === "string"
        ? deps.webRequests.collect("login", sessionId)
        : typeof authId === "string"
          ? deps.webRequests.collect("otp", authId)
          : undefined;
    if (!asked) return res.status(404).json({ error: "Not found" });
    if ("result" in asked) return res.json({ token: asked.result });
    // npm's client needs a JSON body on the 202 too ("invalid json response body" otherwise);
    // what the real one says while waiting is not documented [I].
    res.status(202).setHeader("retry-after", String(deps.settings.webLogin.retryAfterSeconds)).json({});
  });

  return router;
}

/** The website's end of a CLI login: a signed-in person at /login/cli/<uuid>. Its page texts are inferred [I]. */
export function webLoginSiteRoutes(ctx: SiteContext, deps: { webRequests: WebRequests; sessions: SessionTokens }): Router {
  const router = Router();
  const path = "/login/cli/:id";
  const idOf = (req: Request) => String(req.params.id);

  const complete = (req: Request, res: Response, account: Account) => {
    deps.webRequests.finish(idOf(req), deps.sessions.start(account.username));
    return cliPage(
      "Logged in",
      html`<p>You are now logged in to the npm command line as ${account.username}.</p><p>You can close this window and go back to your terminal.</p>`,
      header(req, res, account),
    );
  };

  /** The signed-in person at a login that still waits; otherwise the answer is sent. */
  const locate = (req: Request, res: Response): Account | undefined => {
    const account = currentAccount(ctx, req);
    if (!account) return void res.redirect(302, loginUrl(req.path));
    if (!UUID_PATTERN.test(idOf(req)) || !deps.webRequests.waiting("login", idOf(req))) return void res.status(404).send(expiredPage());
    return account;
  };

  router.get(path, (req, res) => {
    const account = locate(req, res);
    if (!account) return;
    if (!ctx.settings.webLogin.confirm) return res.send(complete(req, res, account));
    // npm/cli PR #9711 tells users to "Click the login button on the website" [I]; the rest of the page is ours.
    res.send(
      cliPage(
        "Log in to the npm CLI",
        html`<p>The npm command line is asking to log in as ${account.username}.</p>
<form method="post" action="${req.path}">${csrfField(csrfToken(req, res))}<button type="submit">Login</button> <a href="/">Cancel</a></form>`,
        header(req, res, account),
      ),
    );
  });

  router.post(path, (req, res) => {
    const account = locate(req, res);
    if (account) res.send(complete(req, res, account));
  });

  return router;
}

export function cliPage(title: string, body: Html, signedIn?: SignedInHeader): string {
  return renderPage({ title, main: html`<h1>${title}</h1>${body}`, signedIn });
}

export function expiredPage(): string {
  return cliPage("Link expired", html`<p>This link is invalid or has expired. Start again from your terminal.</p>`);
}
