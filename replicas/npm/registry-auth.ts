// Who is calling the registry: the Bearer token of a request, resolved to a live session token
// (from `npm login`) or a live granular access token, and the account behind it.
import type { Request } from "express";
import type { Account, NpmDirectory, StoredToken } from "./directory.js";
import type { SessionTokens } from "./sessions.js";

export type Caller = { kind: "session"; account: Account; token: string } | { kind: "granular"; account: Account; token: StoredToken };

export function bearer(req: Request): string | undefined {
  return /^Bearer\s+(\S+)$/i.exec(req.get("authorization") ?? "")?.[1];
}

export function callerOf(req: Request, directory: NpmDirectory, sessions: SessionTokens): Caller | undefined {
  const value = bearer(req);
  if (value === undefined) return undefined;
  const sessionOwner = sessions.owner(value);
  const sessionAccount = sessionOwner === undefined ? undefined : directory.account(sessionOwner);
  if (sessionAccount) return { kind: "session", account: sessionAccount, token: value };
  const token = directory.liveToken(value);
  const account = token && directory.account(token.owner);
  return token && account ? { kind: "granular", account, token } : undefined;
}
