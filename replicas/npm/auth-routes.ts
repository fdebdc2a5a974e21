// Signing in and out of the npm replica, and the escalation challenge (docs/sites/npm.md, "Sign-in page"):
// password, then the account's second factor at /login/otp or /login/webauthn; the same two
// steps at /escalate/… before sensitive actions. Each answers only for the right account state.
import { Router, type Request, type Response } from "express";
import type { Account } from "./directory.js";
import { homePage, loginPage, resumePage, secondFactorPage, stagePath, type Method, type Stage } from "./auth-pages.js";
import { currentAccount, header, loginUrl, secondFactorPath, type SiteContext } from "./guards.js";
import { csrfToken, escalate, formText, popOnce, safeNext, sessionOf, signIn, signOut, startSecondStep } from "./session.js";
import type { NpmSettings } from "./settings.js";

// Not documented (docs/sites/npm.md, "Sign-in page"); the wordings are inferred [I]. Failures answer 401: the attempt was refused.
const BAD_LOGIN = "Incorrect username or password.";
const BAD_OTP = "Invalid one-time password.";

interface StageRules {
  /** Whose second factor this stage asks for; nobody means "sign in first". */
  account(req: Request): Account | undefined;
  /** After a good second factor; a page to show instead of going on to `next`, if any. */
  complete(req: Request, account: Account): Promise<string | undefined> | string | undefined;
  cooldown?: { minutes: number; shape: NpmSettings["pageShape"] };
}

export function authRoutes(ctx: SiteContext): Router {
  const router = Router();

  router.get("/", (req, res) => {
    const account = currentAccount(ctx, req);
    res.send(homePage(account && header(req, res, account)));
  });

  router.get("/login", (req, res) => {
    if (currentAccount(ctx, req)) return res.redirect(302, safeNext(req.query.next));
    res.send(loginPage({ csrf: csrfToken(req, res), next: nextParam(req) }));
  });

  router.post("/login", async (req, res) => {
    const username = formText(req, "username").trim();
    const account = ctx.directory.authenticate(username, formText(req, "password"));
    if (!account) return res.status(401).send(loginPage({ csrf: csrfToken(req, res), next: nextParam(req), username, error: BAD_LOGIN }));
    await startSecondStep(req, account.username);
    res.redirect(302, secondFactorPath("login", account, safeNext(req.query.next)));
  });

  router.post("/logout", async (req, res) => {
    await signOut(req);
    res.redirect(302, "/");
  });

  const stages: Record<Stage, StageRules> = {
    login: {
      account: (req) => {
        const pending = sessionOf(req).pendingUsername;
        return pending === undefined ? undefined : ctx.directory.account(pending);
      },
      complete: async (req, account) => {
        await signIn(req, account.username);
        return undefined;
      },
    },
    escalate: {
      account: (req) => currentAccount(ctx, req),
      complete: (req) => {
        const cooldown = formText(req, "didOptForCooldown") === "true";
        escalate(req, cooldown ? ctx.now().getTime() + ctx.settings.escalationCooldownSeconds * 1000 : undefined);
        // Only the variant shape keeps the interrupted action (see escalationGate).
        const pending = popOnce(req, "pendingAction");
        return pending?.path === safeNext(req.query.next) ? resumePage(pending) : undefined;
      },
      get cooldown() {
        return { minutes: Math.max(1, Math.round(ctx.settings.escalationCooldownSeconds / 60)), shape: ctx.settings.pageShape };
      },
    },
  };

  for (const [stage, rules] of Object.entries(stages) as Array<[Stage, StageRules]>) {
    for (const method of ["totp", "webauthn", "none"] as const satisfies Method[]) {
      const path = stagePath(stage, method);
      /** The account at this step, or where a request that is not at it belongs. */
      const locate = (req: Request): { account: Account } | { redirect: string } => {
        const account = rules.account(req);
        const next = safeNext(req.query.next);
        if (!account) return { redirect: loginUrl(next) };
        if (account.twoFactor !== method) return { redirect: secondFactorPath(stage, account, next) };
        return { account };
      };
      const show = (req: Request, res: Response, error?: string) =>
        res.status(error ? 401 : 200).send(
          secondFactorPage({
            stage,
            method,
            csrf: csrfToken(req, res),
            next: safeNext(req.query.next),
            error,
            cooldown: rules.cooldown,
            ...(ctx.settings.simulatedHumanKeyMs === undefined ? {} : { humanKeyMs: ctx.settings.simulatedHumanKeyMs }),
          }),
        );

      router.get(path, (req, res) => {
        const at = locate(req);
        if ("redirect" in at) return res.redirect(302, at.redirect);
        // Each visit of the page sends a fresh code [I].
        if (method === "none") ctx.directory.emailOtp(at.account);
        show(req, res);
      });

      router.post(path, async (req, res) => {
        const at = locate(req);
        if ("redirect" in at) return res.redirect(302, at.redirect);
        if (!secondStepGood(ctx, at.account, formText(req, "otp"))) return show(req, res, BAD_OTP);
        const instead = await rules.complete(req, at.account);
        if (instead !== undefined) return res.send(instead);
        res.redirect(302, safeNext(req.query.next));
      });
    }
  }
  return router;
}

/** The code the page asked for (a security key's press needs none: the replica has no WebAuthn). */
export function secondStepGood(ctx: SiteContext, account: Account, code: string): boolean {
  if (account.twoFactor === "totp") return ctx.directory.verifyOtp(account, code, ctx.settings.oneTimeCodes === "reusable");
  if (account.twoFactor === "none") return ctx.directory.verifyEmailedOtp(account, code);
  return true;
}

function nextParam(req: Request): string | undefined {
  return typeof req.query.next === "string" ? req.query.next : undefined;
}
