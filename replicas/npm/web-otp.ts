// The website's end of a one-time code for a registry call (docs/sites/npm.md, "Web one-time
// codes"): /auth/cli/<uuid> (the `authUrl` a web-aware client opens) and /login/<uuid> (the page
// the `npm-notice` names for older clients). The person confirms with their second factor, and
// gets a 16-digit code: through the done URL, or on the page with "Please paste the below
// one-time password into your terminal." (the docs' screenshot). The replica has no WebAuthn: its
// "Use security key" button stands in for the key, as on the sign-in page. The step offers npm's
// "skip two-factor authentication for the next 5 minutes" (docs/sites/npm.md, "Five-minute skip
// window"); its wording and field name here are the escalation box's [I].
import { Router, type Request, type Response } from "express";
import { html } from "../shared/html.js";
import { secondStep } from "./auth-pages.js";
import { secondStepGood } from "./auth-routes.js";
import type { Account } from "./directory.js";
import { currentAccount, header, loginUrl, type SiteContext } from "./guards.js";
import { csrfField, errorList } from "./layout.js";
import type { WebOtpCodes } from "./otp-gate.js";
import { csrfToken, formText } from "./session.js";
import { UUID_PATTERN } from "./token-format.js";
import { cliPage, expiredPage } from "./web-login.js";
import type { WebRequests } from "./web-requests.js";

// The replica's own wordings for what npm does not show in its docs [I].
const BAD_OTP = "Invalid one-time password.";
/** npm's trust docs: "skip 2FA for the next 5 minutes". */
const SKIP_MINUTES = 5;
const OTHER_ACCOUNT = "This request is for another npm account. Sign in as that account and open the link again.";

export function webOtpSiteRoutes(ctx: SiteContext, deps: { webRequests: WebRequests; webOtps: WebOtpCodes }): Router {
  const router = Router();

  for (const [path, showsCode] of [
    ["/auth/cli/:id", false],
    ["/login/:id", true],
  ] as const) {
    /** The account this challenge is for, signed in here; or the answer already sent. */
    const locate = (req: Request, res: Response, next: () => void): Account | undefined => {
      const id = String(req.params.id);
      // /login/:id shares its prefix with /login/otp and the like: only a uuid is a challenge.
      if (!UUID_PATTERN.test(id)) {
        next();
        return undefined;
      }
      const account = currentAccount(ctx, req);
      if (!account) return void res.redirect(302, loginUrl(req.path));
      const waiting = deps.webRequests.waiting("otp", id);
      if (!waiting) return void res.status(404).send(expiredPage());
      if (waiting.username !== account.username)
        return void res.status(403).send(cliPage("Wrong account", html`<p>${OTHER_ACCOUNT}</p>`, header(req, res, account)));
      return account;
    };
    const show = (req: Request, res: Response, account: Account, error?: string) =>
      res.status(error ? 401 : 200).send(
        cliPage(
          "Two-Factor Authentication",
          html`<p>The npm command line needs you to confirm this action.</p>
<form method="post" action="${req.path}">
  ${csrfField(csrfToken(req, res))}
  ${errorList(error ? [error] : [])}
  ${secondStep(account.twoFactor, ctx.settings.simulatedHumanKeyMs)}
  <div class="field"><input id="skip_2fa" name="didOptForCooldown" type="checkbox" value="true">
  <label for="skip_2fa">Skip two-factor authentication for the next ${String(SKIP_MINUTES)} minutes</label></div>
  <button type="submit">${account.twoFactor === "webauthn" ? "Use security key" : "Verify"}</button>
</form>`,
          header(req, res, account),
        ),
      );

    router.get(path, (req, res, next) => {
      const account = locate(req, res, next);
      if (account) show(req, res, account);
    });

    router.post(path, (req, res, next) => {
      const account = locate(req, res, next);
      if (!account) return;
      if (!secondStepGood(ctx, account, formText(req, "otp"))) return show(req, res, account, BAD_OTP);
      if (formText(req, "didOptForCooldown") === "true") account.skipTwoFactorUntil = ctx.now().getTime() + SKIP_MINUTES * 60_000;
      const code = deps.webOtps.issue(account.username);
      deps.webRequests.finish(String(req.params.id), code);
      const signedIn = header(req, res, account);
      if (!showsCode)
        return res.send(
          cliPage("Authentication successful", html`<p>You can close this window and go back to your terminal.</p>`, signedIn),
        );
      res.send(
        cliPage(
          "One-time password",
          html`<p>Please paste the below one-time password into your terminal.</p>
<p><code id="cli_otp">${code}</code> <button type="button" data-copy="cli_otp">Click to copy</button></p>`,
          signedIn,
        ),
      );
    });
  }
  return router;
}
