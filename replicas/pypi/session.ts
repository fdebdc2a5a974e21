// The session side of the PyPI replica: who is logged in, the CSRF token, the re-auth stamp and
// the flash queues, all kept in the express-session the way Warehouse keeps them in Redis (docs/sites/pypi.md, "Sessions and CSRF").
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Request, RequestHandler, Response } from "express";
import type { Session } from "express-session";
import type { Account } from "./directory.js";
import { formField } from "./params.js";
import { webobError } from "./webob.js";

export type FlashQueue = "error" | "warning" | "success";

export interface Flash {
  queue: FlashQueue;
  message: string;
}

interface PypiSessionData {
  username?: string;
  /** `_csrf_token`: 32 random bytes, urlsafe base64 without padding (docs/sites/pypi.md, "Sessions and CSRF"). */
  csrfToken?: string;
  /** `_reauth_timestamp`, ms since the epoch on the injected clock (docs/sites/pypi.md, "Re-authentication"). */
  reauthAt?: number;
  flashes?: Flash[];
}

/** Set after login; a blake2b of the user id that JS may read as an "am I logged in" hint (docs/sites/pypi.md, "Sessions and CSRF"). */
const USER_ID_INSECURE_COOKIE = "user_id__insecure";

export function sessionOf(req: Request): Session & PypiSessionData {
  return req.session;
}

export function csrfToken(req: Request): string {
  const session = sessionOf(req);
  session.csrfToken ??= randomBytes(32).toString("base64url");
  return session.csrfToken;
}

/**
 * Pyramid's CSRF check on unsafe methods, run before login and re-auth checks (docs/sites/pypi.md, "Guards on management pages" "Order of
 * checks"): the `csrf_token` field or the X-CSRF-Token header must equal the session's token.
 */
export const requireCsrf: RequestHandler = (req, res, next) => {
  const expected = sessionOf(req).csrfToken;
  const given = formField(req, "csrf_token") ?? req.get("X-CSRF-Token");
  if (expected && given && sameText(expected, given)) return next();
  webobError(res, {
    status: 400,
    reason: "Bad CSRF Token",
    explanation:
      "Access is denied.  This server can not verify that your cross-site request forgery token belongs to your login session.  Either you supplied the wrong cross-site request forgery token or your session no longer exists.  This may be due to session timeout or because browser is not supplying the credentials required, as can happen when the browser has cookies turned off.",
    detail: "check_csrf_token(): Invalid token",
  });
};

export function flash(req: Request, queue: FlashQueue, message: string): void {
  const session = sessionOf(req);
  session.flashes = [...(session.flashes ?? []), { queue, message }];
}

/** Pops every queued message; leaves the session untouched when there is nothing to pop. */
export function popFlashes(req: Request): Flash[] {
  const session = sessionOf(req);
  const flashes = session.flashes ?? [];
  if (flashes.length > 0) session.flashes = [];
  return flashes;
}

/** `_login_user`: a fresh session id (flashes carried over), a new CSRF token, the re-auth stamp. */
export async function startLoggedInSession(req: Request, res: Response, account: Account, now: Date): Promise<void> {
  const flashes = sessionOf(req).flashes;
  await new Promise<void>((resolve, reject) => req.session.regenerate((err) => (err ? reject(err) : resolve())));
  const session = sessionOf(req);
  session.username = account.username;
  session.reauthAt = now.getTime();
  session.flashes = flashes;
  session.csrfToken = randomBytes(32).toString("base64url");
  account.lastLogin = now;
  res.cookie(USER_ID_INSECURE_COOKIE, createHash("blake2b512").update(account.id).digest("hex"), { path: "/", sameSite: "lax" });
}

export async function endSession(req: Request, res: Response): Promise<void> {
  await new Promise<void>((resolve, reject) => req.session.regenerate((err) => (err ? reject(err) : resolve())));
  res.clearCookie(USER_ID_INSECURE_COOKIE, { path: "/" });
}

/** Warehouse's `is_safe_url`: a same-host http(s) URL or a plain path, never "//elsewhere". */
export function isSafeUrl(url: string | undefined, req: Request): url is string {
  if (!url || url.startsWith("//") || url.startsWith("\\")) return false;
  try {
    const parsed = new URL(url, `${req.protocol}://${req.get("host")}`);
    return ["http:", "https:"].includes(parsed.protocol) && parsed.host === req.get("host");
  } catch {
    return false;
  }
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
