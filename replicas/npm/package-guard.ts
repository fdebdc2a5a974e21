// Who may change a package's settings on the registry (trust configuration, publishing access):
// a live caller, the package exists, the caller maintains it, and a granular token neither
// bypasses 2FA (refused for such changes since August 2026) nor lacks write on the package.
import type { Request, Response } from "express";
import { isWrite, type Account, type NpmDirectory } from "./directory.js";
import type { NpmPackages } from "./packages.js";
import { callerOf } from "./registry-auth.js";
import type { SessionTokens } from "./sessions.js";

export interface PackageAnswers {
  key: "error" | "message";
  notFound: string;
  forbidden: string;
  /** Only session tokens: the access endpoint documents no other [C]. */
  sessionOnly?: boolean;
}

// The 403 for a bypass-2FA token exists (API docs PR #70) but its text was not published [I].
const BYPASS_REFUSED = "Granular access tokens that bypass two-factor authentication cannot change package settings";

/** The account allowed to manage `pkg` through this request, or undefined once the answer is sent. */
export function packageManager(
  deps: { directory: NpmDirectory; sessions: SessionTokens; packages: NpmPackages },
  req: Request,
  res: Response,
  pkg: string,
  answers: PackageAnswers,
): Account | undefined {
  const refuse = (status: number, text: string): undefined => {
    res.status(status).json({ [answers.key]: text });
    return undefined;
  };
  const caller = callerOf(req, deps.directory, deps.sessions);
  if (!caller || (answers.sessionOnly && caller.kind !== "session")) return refuse(401, "Unauthorized");
  if (caller.kind === "granular" && caller.token.bypass2fa) return refuse(403, BYPASS_REFUSED);
  if (!deps.packages.exists(pkg)) return refuse(404, answers.notFound);
  const writes = caller.kind === "session" || grantsWrite(caller.token, pkg);
  if (!deps.packages.maintainersOf(pkg).includes(caller.account.username) || !writes) return refuse(403, answers.forbidden);
  return caller.account;
}

function grantsWrite(token: { packagesPermission: string; packagesAll: boolean; packages: string[] }, pkg: string): boolean {
  if (!isWrite(token.packagesPermission)) return false;
  const scope = pkg.startsWith("@") ? pkg.split("/")[0] : undefined;
  return token.packagesAll || token.packages.includes(pkg) || (scope !== undefined && token.packages.includes(scope));
}
