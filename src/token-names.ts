// Token names record what a token is for and when it was made:
// `NPM_TOKEN gh/mozilla/nimbus-shared 2026-11-24T08:15Z`. PyPI requires names to be unique per
// account (reference/pypi.md §4), so the timestamp is not decoration; it also lets the next run
// recognise tokens this tool made and left behind.
import type { TokenSummary } from "./flow.js";

function prefix(envVar: string, projectSlug: string): string {
  return `${envVar} ${projectSlug} `;
}

const STAMP = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?)Z$/;

export function tokenName(envVar: string, projectSlug: string, now: Date, existing: TokenSummary[]): string {
  const iso = now.toISOString();
  const byMinute = `${prefix(envVar, projectSlug)}${iso.slice(0, 16)}Z`;
  if (!existing.some((t) => t.name === byMinute)) return byMinute;
  return `${prefix(envVar, projectSlug)}${iso.slice(0, 19)}Z`;
}

/** Tokens this tool made for this variable and project, newest first. */
export function toolMadeTokens(tokens: TokenSummary[], envVar: string, projectSlug: string): TokenSummary[] {
  const stampOf = (t: TokenSummary) => {
    const rest = t.name.startsWith(prefix(envVar, projectSlug)) ? t.name.slice(prefix(envVar, projectSlug).length) : "";
    return STAMP.exec(rest)?.[1];
  };
  return tokens
    .map((token) => ({ token, stamp: stampOf(token) }))
    .filter((entry): entry is { token: TokenSummary; stamp: string } => entry.stamp !== undefined)
    .sort((a, b) => (a.stamp < b.stamp ? 1 : a.stamp > b.stamp ? -1 : 0))
    .map((entry) => entry.token);
}
