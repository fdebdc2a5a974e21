// The npm replica's accounts and tokens, all in memory: who may sign in, whose one-time codes
// are good, which tokens exist and which of them the registry would still accept.
import { randomInt, randomUUID } from "node:crypto";
import * as OTPAuth from "otpauth";
import type { IssuedSecrets } from "./issued-secrets.js";
import { newTokenValue, redact, TOKEN_PATTERN } from "./token-format.js";

export interface NpmUser {
  username: string;
  password: string;
  email: string;
  /**
   * totp: an authenticator's codes; webauthn: the security-key page; none: no 2FA, and npm's
   * login verification e-mails an 8-digit code instead (docs/sites/npm.md, "Second steps").
   */
  twoFactor: "totp" | "webauthn" | "none";
  /** Base32; TOTP SHA1, 6 digits, 30 s, ±1 step accepted. */
  totpSecret: string;
  /** Packages the user may publish, e.g. "@mozilla/nimbus-shared", "nimbus-shared". */
  packages: string[];
  /** Scopes the user may grant, e.g. "@mozilla". */
  scopes: string[];
  /** Organizations, e.g. "mozilla". */
  orgs: string[];
}

export type NpmPermission = "read-only" | "read-write" | "read-write-stage-only";
export type OrgPermission = "read-only" | "read-write";
export const NO_ACCESS = "no-access";

/** Read and write, publishing directly or only staging. */
export const isWrite = (permission: string) => permission === "read-write" || permission === "read-write-stage-only";

/** A grant that can write: to packages and scopes, or to organizations. */
export const writesAnything = (grant: { packagesPermission: string; orgsPermission: string }) =>
  isWrite(grant.packagesPermission) || grant.orgsPermission === "read-write";

export interface NpmTokenRecord {
  /** uuid */
  key: string;
  name: string;
  description: string;
  /** "npm_" + 4 chars + "..." + last 4, as the list shows it. */
  redacted: string;
  /** The packages-and-scopes permission; an organizations-only token reads as read-only on nothing. */
  permission: NpmPermission;
  /** Selected packages and scopes ([] with packagesAll). */
  packages: string[];
  packagesAll: boolean;
  bypass2fa: boolean;
  cidr: string[];
  created: Date;
  expires: Date;
}

/** Everything a granular token grants (docs/sites/npm.md, "Granular token form"), as the form or a seed describes it. */
export interface TokenGrant {
  name: string;
  description: string;
  packagesPermission: NpmPermission | typeof NO_ACCESS;
  packagesAll: boolean;
  /** Selected packages and scopes; empty with packagesAll. */
  packages: string[];
  orgsPermission: OrgPermission | typeof NO_ACCESS;
  orgs: string[];
  bypass2fa: boolean;
  cidr: string[];
  created: Date;
  expires: Date;
}

export interface StoredToken extends TokenGrant {
  key: string;
  value: string;
  owner: string;
  /** npm revoked it (as it did every bypass-2FA write token on 2026-05-19): listed still, no longer working. */
  revoked?: Date;
}

export interface Account extends NpmUser {
  /** The last TOTP time step accepted: an older code is refused, and a single-use server refuses this one again [I]. */
  lastOtpStep: number;
  passwordChangedAt?: Date;
  /** Until when npm's browser 2FA step's "skip 2FA for 5 minutes" lets this account's calls pass without a code. */
  skipTwoFactorUntil?: number;
}

/** "up to 1000 GATs per account" (docs/sites/npm.md, "Token limits and validation" Limits). */
export const MAX_TOKENS_PER_ACCOUNT = 1000;
const OTP_PERIOD_SECONDS = 30;
/** How long an e-mailed code is good is not documented [I]. */
const EMAILED_CODE_LIFETIME_MS = 10 * 60_000;

export class NpmDirectory {
  private readonly accounts = new Map<string, Account>();
  /** In creation order. */
  private tokens: StoredToken[] = [];
  /** The 8-digit codes e-mailed to accounts without 2FA, newest last. */
  private readonly outbox: Array<{ username: string; code: string; expires: number }> = [];

  constructor(
    users: NpmUser[],
    private readonly now: () => Date,
    private readonly secrets: IssuedSecrets,
  ) {
    for (const user of users) this.accounts.set(user.username, { ...user, lastOtpStep: -1 });
  }

  account(username: string): Account | undefined {
    return this.accounts.get(username);
  }

  /** The login and forgot-password forms take the username; the email is accepted too, as many sites do [I]. */
  accountByLogin(login: string): Account | undefined {
    return this.accounts.get(login) ?? [...this.accounts.values()].find((a) => a.email === login);
  }

  authenticate(login: string, password: string): Account | undefined {
    const account = this.accountByLogin(login);
    return account?.password === password ? account : undefined;
  }

  /** A new password; sessions that began before it end (see reset-sessions.ts). */
  changePassword(account: Account, password: string): void {
    account.password = password;
    account.passwordChangedAt = this.now();
  }

  /**
   * An authenticator code of the steps either side of now. `reuse`: the code accepted last is good
   * again while it is valid (npm's registry takes one code for several calls, as tools that pass one
   * --otp for many packages rely on); otherwise each code works once.
   */
  verifyOtp(account: Account, code: string, reuse: boolean): boolean {
    const totp = new OTPAuth.TOTP({
      secret: OTPAuth.Secret.fromBase32(account.totpSecret),
      algorithm: "SHA1",
      digits: 6,
      period: OTP_PERIOD_SECONDS,
    });
    const timestamp = this.now().getTime();
    const delta = totp.validate({ token: code.replace(/\s+/g, ""), timestamp, window: 1 });
    if (delta === null) return false;
    const step = Math.floor(timestamp / 1000 / OTP_PERIOD_SECONDS) + delta;
    if (step < account.lastOtpStep || (step === account.lastOtpStep && !reuse)) return false;
    account.lastOtpStep = step;
    return true;
  }

  /** "Sends" an 8-digit one-time code to an account without 2FA. */
  emailOtp(account: Account): void {
    const code = this.secrets.record(Array.from({ length: 8 }, () => String(randomInt(10))).join(""));
    this.outbox.push({ username: account.username, code, expires: this.now().getTime() + EMAILED_CODE_LIFETIME_MS });
  }

  /** The last code e-mailed to this user (what the person would read in their inbox). */
  lastEmailedOtp(username: string): string | undefined {
    return this.outbox.filter((m) => m.username === username).at(-1)?.code;
  }

  /** An unexpired e-mailed code of this account's, good once. */
  verifyEmailedOtp(account: Account, code: string): boolean {
    const index = this.outbox.findIndex(
      (m) => m.username === account.username && m.code === code.trim() && m.expires > this.now().getTime(),
    );
    if (index < 0) return false;
    this.outbox.splice(index, 1);
    return true;
  }

  canAddToken(owner: Account): boolean {
    return this.tokensOf(owner).length < MAX_TOKENS_PER_ACCOUNT;
  }

  /** `value` lets a seed choose it (say, to end like another token); otherwise a fresh one. */
  addToken(owner: Account, grant: TokenGrant, value?: string): StoredToken {
    if (!this.canAddToken(owner)) throw new Error(`${owner.username} already has ${MAX_TOKENS_PER_ACCOUNT} tokens`);
    if (value !== undefined && !TOKEN_PATTERN.test(value)) throw new Error("a seeded token value must be npm_ and 36 base62 characters");
    if (value !== undefined && this.tokens.some((t) => t.value === value)) throw new Error("a token with that value already exists");
    const token = { ...grant, key: randomUUID(), value: this.secrets.record(value ?? newTokenValue()), owner: owner.username };
    this.tokens.push(token);
    return token;
  }

  /** The owner's token with this key (uuid) or full value. */
  findToken(owner: Account, by: { key: string } | { value: string }): StoredToken | undefined {
    return this.tokens.find((t) => t.owner === owner.username && ("key" in by ? t.key === by.key : t.value === by.value));
  }

  /** Newest first; tokens created at the same instant keep "later first". */
  tokensOf(owner: Account): StoredToken[] {
    return this.tokens
      .filter((t) => t.owner === owner.username)
      .reverse()
      .sort((a, b) => b.created.getTime() - a.created.getTime());
  }

  /**
   * Deleted tokens stop working at once. The docs allow "a delay of up to an hour", but GitLab
   * observed 401 immediately (docs/sites/npm.md, "Deleting a token on the website"); the replica takes the latter so checks have one answer.
   */
  deleteTokens(owner: Account, keys: string[]): number {
    const doomed = new Set(keys);
    const before = this.tokens.length;
    this.tokens = this.tokens.filter((t) => t.owner !== owner.username || !doomed.has(t.key));
    return before - this.tokens.length;
  }

  /** The username /-/whoami answers for this token value: it exists and has not expired. */
  liveOwner(value: string): string | undefined {
    return this.liveToken(value)?.owner;
  }

  /** The token with this value, if it exists, has not expired and was not revoked. */
  liveToken(value: string): StoredToken | undefined {
    const token = this.tokens.find((t) => t.value === value);
    return token && !token.revoked && token.expires.getTime() > this.now().getTime() ? token : undefined;
  }

  /** npm's side revokes a token (it stays in the list, marked, and stops working before its expiry). */
  revokeToken(value: string): void {
    const token = this.tokens.find((t) => t.value === value);
    if (!token) throw new Error("no such token to revoke");
    token.revoked = this.now();
  }
}

export function publicRecord(token: StoredToken): NpmTokenRecord {
  return {
    key: token.key,
    name: token.name,
    description: token.description,
    redacted: redact(token.value),
    permission: token.packagesPermission === NO_ACCESS ? "read-only" : token.packagesPermission,
    packages: [...token.packages],
    packagesAll: token.packagesAll,
    bypass2fa: token.bypass2fa,
    cidr: [...token.cidr],
    created: token.created,
    expires: token.expires,
  };
}
