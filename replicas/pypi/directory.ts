// Everything the PyPI replica knows, in memory: accounts, their API tokens, the failed-login
// limiters and the pending "unrecognized login" confirmations. No HTTP here.
import { randomUUID } from "node:crypto";
import { Secret, TOTP } from "otpauth";
import type { PypiTokenRecord, PypiUser } from "./options.js";
import { verifyToken } from "./caveats.js";
import { newRootKey, parseToken, serializeToken } from "./macaroon.js";
import { PASSWORD_LIMITS, RateLimiter, TWO_FACTOR_LIMITS } from "./ratelimit.js";

export interface Project {
  id: string;
  /** PEP 503 normalized; scopes, caveats and option values all use this form (docs/sites/pypi.md, "Scopes"). */
  name: string;
}

export interface Account {
  id: string;
  username: string;
  email: string;
  projects: Project[];
  lastLogin: Date | null;
  /** Replays of this value fail (`check_totp_value`, docs/sites/pypi.md, "Two-factor page (TOTP)"). */
  lastTotpValue: string | null;
  /** IPs confirmed through an "Unrecognized login" email link (`UserUniqueLogin` CONFIRMED). */
  confirmedIps: Set<string>;
  /** `User.password_date`: when the password last changed; sessions from before it end. */
  passwordDate: Date | null;
}

interface StoredToken extends PypiTokenRecord {
  username: string;
  /** The macaroon's root key, which never leaves the "database" (warehouse/macaroons/models.py). */
  rootKey: Buffer;
  /** Insertion order, so "newest first" holds when a frozen test clock gives equal dates. */
  seq: number;
}

export interface PendingLogin {
  id: string;
  username: string;
  ip: string;
  created: Date;
  link: string;
}

export type CredentialCheck = { ok: true; lockedOutFor?: undefined } | { ok: false; lockedOutFor?: number };

export type TokenScope = PypiTokenRecord["scope"];

export type UploadPermission =
  { kind: "allowed" } | { kind: "invalid-token"; reason: string } | { kind: "no-role"; username: string; project: string };

export function normalizeProjectName(name: string): string {
  return name.replace(/[-_.]+/g, "-").toLowerCase();
}

export class PypiDirectory {
  private readonly accounts = new Map<string, Account & { password: string; totp: TOTP }>();
  private readonly tokensById = new Map<string, StoredToken>();
  private readonly pending = new Map<string, PendingLogin>();
  private readonly failedPasswords: RateLimiter;
  private readonly failedTwoFactor: RateLimiter;
  private seq = 0;

  constructor(
    users: PypiUser[],
    private readonly now: () => Date,
    /** The macaroon location: the site's host:port, as `request.domain` is for pypi.org. */
    private readonly location: () => string,
  ) {
    this.failedPasswords = new RateLimiter(PASSWORD_LIMITS, now);
    this.failedTwoFactor = new RateLimiter(TWO_FACTOR_LIMITS, now);
    for (const user of users) {
      const totp = new TOTP({ secret: Secret.fromBase32(user.totpSecret), algorithm: "SHA1", digits: 6, period: 30 });
      const projects = user.projects
        .map((name) => ({ id: randomUUID(), name: normalizeProjectName(name) }))
        .sort((a, b) => a.name.localeCompare(b.name));
      this.accounts.set(user.username.toLowerCase(), {
        id: randomUUID(),
        username: user.username,
        email: user.email,
        password: user.password,
        totp,
        projects,
        lastLogin: null,
        lastTotpValue: null,
        confirmedIps: new Set(),
        passwordDate: null,
      });
    }
  }

  /** Usernames are case-insensitive on PyPI (a CIText column). */
  account(username: string): Account | undefined {
    return this.accounts.get(username.toLowerCase());
  }

  accountById(id: string): Account | undefined {
    return [...this.accounts.values()].find((a) => a.id === id);
  }

  accountByEmail(email: string): Account | undefined {
    return [...this.accounts.values()].find((a) => a.email.toLowerCase() === email.toLowerCase());
  }

  /** `update_user(password=…)`: the new password, stamped so older sessions and reset links die. */
  changePassword(account: Account, password: string): void {
    this.secrets(account).password = password;
    account.passwordDate = this.now();
  }

  /** `check_password`: a locked-out user fails even with the right password; only failures count. */
  checkPassword(account: Account, password: string): CredentialCheck {
    const lockedOutFor = this.failedPasswords.lockedOutFor(account.id);
    if (lockedOutFor !== undefined) return { ok: false, lockedOutFor };
    if (this.secrets(account).password === password) return { ok: true };
    this.failedPasswords.hit(account.id);
    return { ok: false };
  }

  /** `check_totp_value`: ±1 step of 30 s, and the last accepted code is refused (docs/sites/pypi.md, "Two-factor page (TOTP)"). */
  checkTotp(account: Account, value: string): CredentialCheck {
    const lockedOutFor = this.failedTwoFactor.lockedOutFor(account.id);
    if (lockedOutFor !== undefined) return { ok: false, lockedOutFor };
    if (value === account.lastTotpValue) return { ok: false };
    const delta = this.secrets(account).totp.validate({ token: value, timestamp: this.now().getTime(), window: 1 });
    if (delta !== null) return { ok: true };
    this.failedTwoFactor.hit(account.id);
    return { ok: false };
  }

  /** Every token value this replica ever issued, for the tests' secrecy scans. */
  readonly issued: string[] = [];

  createToken(
    account: Account,
    init: { description: string; scope: TokenScope; created?: Date },
  ): { record: PypiTokenRecord; token: string } {
    const caveats = caveatsFor(account, init.scope);
    const record: StoredToken = {
      id: randomUUID(),
      description: init.description,
      scope: init.scope,
      created: init.created ?? this.now(),
      lastUsed: null,
      username: account.username,
      rootKey: newRootKey(),
      seq: this.seq++,
    };
    this.tokensById.set(record.id, record);
    const token = serializeToken({ location: this.location(), identifier: record.id, caveats }, record.rootKey);
    this.issued.push(token);
    return { record: publicRecord(record), token };
  }

  /** The account's tokens, newest first (`order_by Macaroon.created.desc()`, docs/sites/pypi.md, "Token list (Account settings)"). */
  tokensOf(account: Account): PypiTokenRecord[] {
    return [...this.tokensById.values()]
      .filter((t) => t.username === account.username)
      .sort((a, b) => b.created.getTime() - a.created.getTime() || b.seq - a.seq)
      .map(publicRecord);
  }

  token(id: string): (PypiTokenRecord & { username: string }) | undefined {
    const stored = this.tokensById.get(id);
    return stored && { ...publicRecord(stored), username: stored.username };
  }

  deleteToken(id: string): void {
    this.tokensById.delete(id);
  }

  /** The upload endpoint's identity step: the token parses and its id is in the DB (docs/sites/pypi.md, "Upload-endpoint probe"). */
  tokenOwner(raw: string): Account | undefined {
    const identifier = parseToken(raw)?.identifier;
    const stored = identifier === undefined ? undefined : this.tokensById.get(identifier);
    return stored && this.account(stored.username);
  }

  /**
   * The upload's permission check (docs/sites/pypi.md, "Verifying a token on upload"): the token's
   * signature and caveats against the project the upload names, then whether its user may upload
   * there. A project nobody has would be created first on pypi.org, its uploader as Owner, so it is
   * checked as a new project (a fresh id).
   */
  uploadPermission(raw: string, projectName: string): UploadPermission {
    const token = parseToken(raw);
    const stored = token && this.tokensById.get(token.identifier);
    const owner = stored && this.account(stored.username);
    if (!token || !stored || !owner) return { kind: "invalid-token", reason: "deleted or nonexistent macaroon" };
    const name = normalizeProjectName(projectName);
    const existing = [...this.accounts.values()].flatMap((a) => a.projects).find((p) => p.name === name);
    const verdict = verifyToken(token, stored.rootKey, {
      now: this.now(),
      project: existing ?? { id: randomUUID(), name },
      userId: owner.id,
    });
    if (!verdict.ok) return { kind: "invalid-token", reason: verdict.reason };
    if (existing && !owner.projects.some((p) => p.name === name)) return { kind: "no-role", username: owner.username, project: name };
    return { kind: "allowed" };
  }

  /** One pending confirmation per account; a new one only once the last is gone or stale. */
  pendingLogin(account: Account, ip: string, maxAgeSeconds: number, makeLink: (id: string) => string): PendingLogin {
    const current = this.pending.get(account.username);
    if (current && current.ip === ip && this.now().getTime() - current.created.getTime() < maxAgeSeconds * 1000) return current;
    const id = randomUUID();
    const login = { id, username: account.username, ip, created: this.now(), link: makeLink(id) };
    this.pending.set(account.username, login);
    return login;
  }

  pendingLoginFor(username: string): PendingLogin | undefined {
    return this.pending.get(username);
  }

  confirmLogin(login: PendingLogin): void {
    this.pending.delete(login.username);
    this.account(login.username)?.confirmedIps.add(login.ip);
  }

  password(account: Account): string {
    return this.secrets(account).password;
  }

  private secrets(account: Account): { password: string; totp: TOTP } {
    const full = this.accounts.get(account.username.toLowerCase());
    if (!full) throw new Error(`no PyPI account ${account.username}`);
    return full;
  }
}

// Warehouse caveats as compact JSON (docs/sites/pypi.md, "Token format"): ProjectName [1,…] + ProjectID [2,…], or RequestUser [3,…].
function caveatsFor(account: Account, scope: TokenScope): string[] {
  if (scope.kind === "user") return [JSON.stringify([3, account.id])];
  const project = account.projects.find((p) => p.name === scope.project);
  if (!project) throw new Error(`${account.username} has no project ${scope.project}`);
  return [JSON.stringify([1, [project.name]]), JSON.stringify([2, [project.id]])];
}

function publicRecord(stored: StoredToken): PypiTokenRecord {
  return { id: stored.id, description: stored.description, scope: stored.scope, created: stored.created, lastUsed: stored.lastUsed };
}
