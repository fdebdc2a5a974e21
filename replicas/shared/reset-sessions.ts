// Both website replicas end a signed-in session once the account's password changes after it
// began, as Warehouse does (`session.password_outdated()`, docs/sites/pypi.md, "Sessions and CSRF"; for npm the
// same is inferred [I]). A session takes its stamp on its first request after sign-in.
import type { Request, RequestHandler } from "express";
import type { Session } from "express-session";

export interface PasswordStamps {
  /** Who the session is signed in as, if anyone. */
  username(req: Request): string | undefined;
  /** When that account's password last changed (undefined: never). */
  changedAt(username: string): Date | undefined;
  /** Runs on the fresh session that replaced an ended one (a flash, a notice). */
  onEnded?(req: Request): void;
}

export function endSessionsOnPasswordChange(stamps: PasswordStamps): RequestHandler {
  return (req, _res, next) => {
    const username = stamps.username(req);
    if (username === undefined) return next();
    const session = req.session as Session & { passwordStamp?: number };
    const changed = stamps.changedAt(username)?.getTime() ?? 0;
    if (session.passwordStamp === undefined) session.passwordStamp = changed;
    if (changed <= session.passwordStamp) return next();
    req.session.regenerate((err: unknown) => {
      if (err) return next(err);
      stamps.onEnded?.(req);
      next();
    });
  };
}
