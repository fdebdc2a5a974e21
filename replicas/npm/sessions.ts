// Session tokens, what `npm login` yields: "sessions automatically expire after two hours", they
// are not in any token list, and `npm logout` ends one "everywhere you're using it" (docs/sites/npm.md,
// "The session token", "Revoking the session token").
import type { IssuedSecrets } from "./issued-secrets.js";
import { newTokenValue } from "./token-format.js";

const SESSION_LIFETIME_MS = 2 * 3600_000;

interface Session {
  username: string;
  expires: number;
}

export class SessionTokens {
  private readonly sessions = new Map<string, Session>();
  /** Every session token ever started, live or not (a test asks whether each was revoked). */
  readonly started: string[] = [];

  constructor(
    private readonly now: () => Date,
    private readonly secrets: IssuedSecrets,
  ) {}

  /**
   * The format of a session token is not documented. The replica gives it the granular tokens'
   * shape (`npm_` + 36 base62 characters): npm's 2021 format covers the tokens it issues, and a
   * client then cannot tell the two kinds apart by their look [I].
   */
  start(username: string): string {
    const value = this.secrets.record(newTokenValue());
    this.started.push(value);
    this.sessions.set(value, { username, expires: this.now().getTime() + SESSION_LIFETIME_MS });
    return value;
  }

  /** Whose live session this is; undefined once it expired or was revoked. */
  owner(value: string): string | undefined {
    const session = this.sessions.get(value);
    return session && session.expires > this.now().getTime() ? session.username : undefined;
  }

  /** Ends the session; true if it was a live one. */
  revoke(value: string): boolean {
    const live = this.owner(value) !== undefined;
    this.sessions.delete(value);
    return live;
  }
}
