// Token names record what a token is for and when it was made:
// `NPM_TOKEN gh/mozilla/nimbus-shared 2026-11-24T08:15Z` (a context destination adds
// `@<context>` to the slug). PyPI requires names to be unique per account (docs/sites/pypi.md,
// "Creating a token"), so the timestamp is not decoration; it also lets the next run recognise
// tokens this tool made for the same destination and left behind.
import type { TargetSpec } from "../circleci/targets.js";
import { targetFlag } from "../circleci/targets.js";
import type { TokenSummary } from "./capability.js";

/** What every name of a token for this destination starts with. */
export function namePrefix(target: TargetSpec): string {
  return `${target.envVar} ${targetFlag(target)} `;
}

const STAMP = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?)Z$/;
/** Any name rotate gives: the variable, the destination as --target names it, the stamp. */
const ROTATE_NAME = /^(\S+) (\S.*) \d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?Z$/;

/** The variable and destination a token's name says rotate made it for ("NPM_TOKEN gh/acme/widget"), if it is one of rotate's names. */
export function madeFor(name: string): string | undefined {
  const match = ROTATE_NAME.exec(name);
  return match ? `${match[1]} ${match[2]}` : undefined;
}

export function tokenName(prefix: string, now: Date, existing: TokenSummary[]): string {
  const iso = now.toISOString();
  const byMinute = `${prefix}${iso.slice(0, 16)}Z`;
  if (!existing.some((t) => t.name === byMinute)) return byMinute;
  return `${prefix}${iso.slice(0, 19)}Z`;
}

/** Tokens this tool made for the destination, newest first. */
export function toolMadeTokens(tokens: TokenSummary[], prefix: string): TokenSummary[] {
  const stampOf = (t: TokenSummary) => (t.name.startsWith(prefix) ? STAMP.exec(t.name.slice(prefix.length))?.[1] : undefined);
  return tokens
    .map((token) => ({ token, stamp: stampOf(token) }))
    .filter((entry): entry is { token: TokenSummary; stamp: string } => entry.stamp !== undefined)
    .sort((a, b) => (a.stamp < b.stamp ? 1 : a.stamp > b.stamp ? -1 : 0))
    .map((entry) => entry.token);
}
