// What npm allows a granular access token to grant, shared by the website's form and the
// registry's tokens API: the create-token API's own 400 texts where it has one (docs/sites/npm.md,
// "Tokens API"), the account limits ("up to 1000 GATs", "50 packages, 50 scopes, or a combined 50",
// "50 organizations"), the 90-day limit for write tokens, and expiry at least one day ahead.
import { isIP } from "node:net";
import {
  MAX_TOKENS_PER_ACCOUNT,
  NO_ACCESS,
  writesAnything,
  type Account,
  type NpmPermission,
  type OrgPermission,
  type TokenGrant,
} from "./directory.js";

const DAY_MS = 86_400_000;
/** Write tokens: "a maximum expiration of 90 days" (changelog 2025-09-29). */
const MAX_WRITE_DAYS = 90;
const MAX_SELECTED = 50;

export const TEXTS = {
  nameRequired: "Token name is required",
  selectPackage: "You must select at least one package or scope if granting package/scopes permissions to this token.",
  selectOrg: "You must select at least one organization if granting organization permissions to this token.",
  nothingAdded: "You must have at least one package / scope or organization added to this token.",
  selectAny: "Please select at least one: package, scope or organization.",
  writeTooLong: "Read-write tokens cannot have expiration longer than 90 days",
  // The rest are inferred [I]: npm does not publish them.
  tooMany: `You can have at most ${MAX_TOKENS_PER_ACCOUNT} access tokens. Delete one to make room.`,
  tooSoon: "The expiration date must be at least 1 day in the future.",
} as const;

/** A token as someone asked for it, before npm's checks. */
export interface GrantRequest {
  name: string;
  description: string;
  packagesPermission: NpmPermission | typeof NO_ACCESS;
  packagesAll: boolean;
  packages: string[];
  scopes: string[];
  orgsPermission: OrgPermission | typeof NO_ACCESS;
  orgs: string[];
  bypass2fa: boolean;
  cidr: string[];
  /** When it would expire, or why the expiry asked for cannot be read. */
  expires: Date | string;
}

/** Every refusal, in a fixed order (the website shows them all; the API answers the first). */
export function checkGrant(
  request: GrantRequest,
  account: Account,
  now: Date,
  roomForToken: boolean,
): { grant: TokenGrant } | { errors: string[] } {
  const errors: string[] = [];
  if (!request.name) errors.push(TEXTS.nameRequired);
  if (!roomForToken) errors.push(TEXTS.tooMany);

  const grantsPackages = request.packagesPermission !== NO_ACCESS;
  const grantsOrgs = request.orgsPermission !== NO_ACCESS;
  const selected = grantsPackages && !request.packagesAll ? [...request.packages, ...request.scopes] : [];
  const orgs = grantsOrgs ? request.orgs : [];
  if (grantsPackages && !request.packagesAll && selected.length === 0) errors.push(TEXTS.selectPackage);
  if (grantsOrgs && orgs.length === 0) errors.push(TEXTS.selectOrg);
  if (!grantsPackages && !grantsOrgs) {
    // Which of the two API texts applies when is not documented [I]: nothing named at all, or
    // things named with no permission on them.
    const namedAnything = request.packagesAll || [...request.packages, ...request.scopes, ...request.orgs].length > 0;
    errors.push(namedAnything ? TEXTS.selectAny : TEXTS.nothingAdded);
  }
  if (selected.length > MAX_SELECTED) errors.push(`You can select at most ${MAX_SELECTED} packages and scopes.`);
  if (orgs.length > MAX_SELECTED) errors.push(`You can select at most ${MAX_SELECTED} organizations.`);
  const unowned = [
    ...(selected.length > 0 ? request.packages.filter((p) => !account.packages.includes(p)) : []),
    ...(selected.length > 0 ? request.scopes.filter((s) => !account.scopes.includes(s)) : []),
    ...orgs.filter((o) => !account.orgs.includes(o)),
  ];
  errors.push(...unowned.map((name) => `You do not have access to ${name}`));
  errors.push(...request.cidr.filter((c) => !isCidr(c)).map((c) => `${c} is not a valid IP range. Must be valid CIDR notation.`));

  const { expires } = request;
  if (typeof expires === "string") errors.push(expires);
  else if (expires.getTime() - now.getTime() < DAY_MS) errors.push(TEXTS.tooSoon);
  if (typeof expires !== "string" && writesAnything(request) && expires.getTime() - now.getTime() > MAX_WRITE_DAYS * DAY_MS)
    errors.push(TEXTS.writeTooLong);

  if (errors.length > 0 || typeof expires === "string") return { errors };
  return {
    grant: {
      name: request.name,
      description: request.description,
      packagesPermission: request.packagesPermission,
      packagesAll: grantsPackages && request.packagesAll,
      packages: selected,
      orgsPermission: request.orgsPermission,
      orgs,
      bypass2fa: request.bypass2fa,
      cidr: request.cidr,
      created: now,
      expires,
    },
  };
}

export const daysFrom = (now: Date, days: number) => new Date(now.getTime() + days * DAY_MS);

/**
 * npm's side may give a write token a shorter life than asked, without a word: it moved the
 * expiries of existing write tokens in November 2025 (docs/sites/npm.md, "Policy timeline"). The
 * knob `shortenWriteTokensToDays` does it to new ones; undefined: as asked.
 */
export function shortened(grant: TokenGrant, days: number | undefined, now: Date): TokenGrant {
  if (days === undefined || !writesAnything(grant) || grant.expires.getTime() <= daysFrom(now, days).getTime()) return grant;
  return { ...grant, expires: daysFrom(now, days) };
}

function isCidr(range: string): boolean {
  const match = /^([^/]+)\/(\d{1,3})$/.exec(range);
  const version = match?.[1] ? isIP(match[1]) : 0;
  return version !== 0 && Number(match?.[2]) <= (version === 4 ? 32 : 128);
}
