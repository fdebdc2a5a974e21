// The registry's two-factor check on account and package-settings calls: the one-time code in
// the `npm-otp` header, and the 401 answers when it is missing or wrong (docs/sites/npm.md,
// "One-time codes on API calls"). Every such 401 carries `www-authenticate: OTP`: npm's own client
// treats a 401 without it as a plain E401, neither prompting nor opening the browser.
import { randomInt } from "node:crypto";
import type { Request, Response } from "express";
import type { Account, NpmDirectory } from "./directory.js";
import type { IssuedSecrets } from "./issued-secrets.js";
import type { NpmSettings } from "./settings.js";
import type { WebRequests } from "./web-requests.js";

export interface Origins {
  site: () => string;
  registry: () => string;
}

/** The 16-digit codes a security-key user gets from the web flow; each works once. */
export class WebOtpCodes {
  private readonly codes = new Map<string, { username: string; expires: number }>();

  constructor(
    private readonly now: () => Date,
    private readonly secrets: IssuedSecrets,
  ) {}

  /** How long an unused code stays good is not documented; five minutes [I]. */
  issue(username: string): string {
    const code = this.secrets.record(Array.from({ length: 16 }, () => String(randomInt(10))).join(""));
    this.codes.set(code, { username, expires: this.now().getTime() + 5 * 60_000 });
    return code;
  }

  consume(username: string, code: string): boolean {
    const found = this.codes.get(code);
    if (!found || found.username !== username || found.expires <= this.now().getTime()) return false;
    this.codes.delete(code);
    return true;
  }
}

export interface OtpGate {
  /**
   * True when the request carries a good code for the account; otherwise the 401 is sent.
   * `command` is the `npm-command` that earns the web answer; `key` names the error field
   * (the tokens API says `error`, the trust API `message`).
   */
  passes(req: Request, res: Response, account: Account, answer: { command: string; key: "error" | "message" }): boolean;
}

const MISSING = "You must provide a one-time pass. Upgrade your client to npm@latest in order to use 2FA.";
const BY_EMAIL = "A One Time Password (OTP) by email is required.";
const WRONG = "invalid OTP";

export function otpGate(deps: {
  directory: NpmDirectory;
  settings: NpmSettings;
  now: () => Date;
  webRequests: WebRequests;
  webOtps: WebOtpCodes;
  origins: Origins;
}): OtpGate {
  const good = (account: Account, code: string): boolean => {
    if (account.twoFactor === "none") return deps.directory.verifyEmailedOtp(account, code);
    if (deps.webOtps.consume(account.username, code)) return true;
    // A security-key account has no authenticator codes; only the web flow's codes work for it.
    return account.twoFactor === "totp" && deps.directory.verifyOtp(account, code, deps.settings.oneTimeCodes === "reusable");
  };
  return {
    passes(req, res, account, answer) {
      const challenge = (body: object): false => {
        res.setHeader("www-authenticate", "OTP");
        res.status(401).json(body);
        return false;
      };
      // Inside the window the browser 2FA step's "skip 2FA for 5 minutes" opened, no code is asked
      // (npm's trust docs: later calls pass without 2FA; which calls it covers is not stated [I]).
      if ((account.skipTwoFactorUntil ?? 0) > deps.now().getTime()) return true;
      const code = req.get("npm-otp")?.trim();
      if (code) {
        const refused = deps.settings.refuseOtps > 0;
        if (refused) deps.settings.refuseOtps -= 1;
        return (!refused && good(account, code)) || challenge({ [answer.key]: WRONG });
      }
      // An account without 2FA gets a code by e-mail (that answer carries the header too).
      if (account.twoFactor === "none") {
        deps.directory.emailOtp(account);
        return challenge({ [answer.key]: BY_EMAIL });
      }
      const id = deps.webRequests.open("otp", account.username);
      if (req.get("npm-auth-type") === "web" && req.get("npm-command") === answer.command) {
        return challenge({
          authUrl: `${deps.origins.site()}/auth/cli/${id}`,
          doneUrl: `${deps.origins.registry()}/-/v1/done?authId=${id}`,
        });
      }
      res.setHeader("npm-notice", `Open ${deps.origins.site()}/login/${id} to use your security key for authentication`);
      return challenge({ [answer.key]: MISSING });
    },
  };
}
