// What npm's policy means for a token, in words the plan, summary, team note and status share:
// the permission a token gets, the deadline a publish token runs into, and that trusted publishing
// is set per package. No validation or network code: `rotate --help` may load it.
import { UsageError } from "../../src/errors.js";
import type { NpmSettings } from "./settings.js";

export const JANUARY_2027 = "npm ends direct publishing with bypass-2FA tokens in January 2027: this token stops publishing then";

/** What the token may do, in the words of npm's form and the plan. */
export function permissionText(settings: NpmSettings): string {
  return settings.permission === "publish" ? "read and write (publish and stage)" : "read and write (stage only)";
}

/**
 * npm ends direct publishing with bypass-2FA tokens in January 2027 (docs/sites/npm.md, "Policy
 * timeline"): a publish token made today has weeks to live as a publishing credential.
 */
export function advisories(settings: Pick<NpmSettings, "permission">): string[] {
  if (settings.permission === "stage-only") {
    return [
      "Stage-only token: CircleCI must run `npm stage publish`, and a maintainer approves each version with 2FA on npmjs.com before it is published.",
    ];
  }
  return [`${JANUARY_2027}. Move to trusted publishing (\`rotate trust npm\`), or to a stage-only token (--permission stage-only).`];
}

/** Trusted publishing is configured per package: a scope names no package. */
export function packagesOnly(items: string[]): string[] {
  const scopes = items.filter((item) => item.startsWith("@") && !item.includes("/"));
  if (scopes.length > 0) {
    throw new UsageError(
      `trusted publishing is set per package, and ${scopes.join(", ")} ${scopes.length === 1 ? "is a scope" : "are scopes"}: list the packages themselves with --npm-packages`,
    );
  }
  return items;
}

/**
 * npm's naming rules for packages and scopes (docs/sites/npm.md, "Package names"): lowercase
 * letters, digits, `-`, `.` and `_`, not starting with `.` or `_`, at most 214 characters; a
 * scope is `@scope`, a scoped package `@scope/name`.
 */
export function packageNameProblem(item: string): string | undefined {
  const parts = item.startsWith("@") ? item.slice(1).split("/") : [item];
  const fine = item.length <= 214 && parts.length <= 2 && parts.every((part) => /^[a-z0-9-][a-z0-9._-]*$/.test(part));
  if (fine) return undefined;
  return `"${item}" is not an npm package or scope: npm names are lowercase letters, digits, -, . and _ (not first), e.g. @mozilla/nimbus-shared or @mozilla`;
}

const DAY_MS = 86_400_000;

/**
 * The expiry npm's own list gives a new token, when it is not the one asked for: npm has moved
 * token expiries on its side before (November 2025, May 2026), so the date reported is the
 * registry's, and a difference is said aloud.
 */
export function expiryGiven(settings: Pick<NpmSettings, "expiresDays">, expires: Date | undefined, now: Date): string | undefined {
  const day = (date: Date) => date.toISOString().slice(0, 10);
  // By day: the website's list shows a date, not a time.
  if (!expires || day(expires) === day(new Date(now.getTime() + settings.expiresDays * DAY_MS))) return undefined;
  const days = Math.round((expires.getTime() - now.getTime()) / DAY_MS);
  return `npm gave the new token ${days} day(s), to ${day(expires)}, not the ${settings.expiresDays} asked for: it stops working then`;
}
