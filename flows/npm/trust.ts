// npm's side of trusted publishing from CircleCI, through the registry's API as `npm trust` uses
// it (docs/sites/npm.md, "Trust API", "Package access settings", "Trusted publishing from
// CircleCI"): read a package's trusted-publisher configurations, add the CircleCI one with
// exactly the documented fields, remove one, require 2FA and disallow tokens on a package; the
// token list with each token's kind, and deleting the token CircleCI held. The sign-in, one-time
// codes and the session's end are session.ts's. Also the job's half of the OIDC exchange,
// done exactly as npm's CLI does it, for drills that prove a configuration.
import type { AxiosResponse } from "axios";
import { z } from "zod";
import { NothingChangedError, RegistryError } from "../../src/errors.js";
import { inert } from "../../src/secrets/inert.js";
import type { TokenSummary } from "../../src/rotation/capability.js";
import { Secret } from "../../src/secrets/secret.js";
import type { CircleciPublisher, Exchange, KindedToken, StoredTrust, TrustAccount } from "../../src/trust/capability.js";
import { NpmTokensApi } from "./api.js";
import { JANUARY_2027 } from "./policy.js";
import { encodePackage, http, type NpmSession } from "./session.js";

export const CLAIM = {
  orgId: "oidc.circleci.com/org-id",
  projectId: "oidc.circleci.com/project-id",
  pipelineDefinitionId: "oidc.circleci.com/pipeline-definition-id",
  vcsOrigin: "oidc.circleci.com/vcs-origin",
  contextIds: "oidc.circleci.com/context-ids",
} as const;

/** A configuration as npm stores it: any provider's, read leniently; text made inert as it is read. */
const storedTrust = z.object({
  id: z.string().transform(inert),
  type: z.string().transform(inert),
  claims: z.record(z.string(), z.unknown()).default({}),
  permissions: z.array(z.string().transform(inert)).default([]),
});

/** The POST body's one element: exactly the documented keys; the context key only when there are contexts, as npm's CLI sends it. */
export function circleciConfig(publisher: CircleciPublisher): {
  type: "circleci";
  claims: Record<string, unknown>;
  permissions: string[];
} {
  return {
    type: "circleci",
    claims: {
      [CLAIM.orgId]: publisher.orgId,
      [CLAIM.projectId]: publisher.projectId,
      [CLAIM.pipelineDefinitionId]: publisher.pipelineDefinitionId,
      [CLAIM.vcsOrigin]: publisher.vcsOrigin,
      ...(publisher.contextIds.length > 0 ? { [CLAIM.contextIds]: [...publisher.contextIds] } : {}),
    },
    permissions: [...publisher.actions],
  };
}

const sameSet = (a: unknown, b: unknown) =>
  Array.isArray(a) &&
  Array.isArray(b) &&
  a.length === b.length &&
  JSON.stringify((a as unknown[]).map(String).sort()) === JSON.stringify((b as unknown[]).map(String).sort());
const shown = (value: unknown) => (value === undefined ? "nothing" : inert(JSON.stringify(value)));

/**
 * Field by field, what npm holds that differs from what was sent: the type, every claim (npm
 * compares them case-sensitively at publish time), the allowed actions. Lists compare as sets.
 */
export function differences(stored: StoredTrust, publisher: CircleciPublisher): string[] {
  const sent = circleciConfig(publisher);
  const found: string[] = [];
  if (stored.type !== sent.type) found.push(`type: sent ${shown(sent.type)}, npm holds ${shown(stored.type)}`);
  for (const key of new Set([...Object.keys(sent.claims), ...Object.keys(stored.claims)])) {
    const [mine, theirs] = [sent.claims[key], stored.claims[key]];
    const same = Array.isArray(mine) ? sameSet(mine, theirs) : mine === theirs;
    if (!same) found.push(`${inert(key)}: sent ${shown(mine)}, npm holds ${shown(theirs)}`);
  }
  if (!sameSet(sent.permissions, stored.permissions))
    found.push(`permissions: sent ${shown(sent.permissions)}, npm holds ${shown(stored.permissions)}`);
  return found;
}

/** The CircleCI publisher a stored configuration describes, if it is a CircleCI one. */
export function publisherOf(stored: StoredTrust): CircleciPublisher | undefined {
  if (stored.type !== "circleci") return undefined;
  const text = (key: string) => (typeof stored.claims[key] === "string" ? inert(stored.claims[key]) : "");
  const contexts = stored.claims[CLAIM.contextIds];
  return {
    orgId: text(CLAIM.orgId),
    projectId: text(CLAIM.projectId),
    pipelineDefinitionId: text(CLAIM.pipelineDefinitionId),
    vcsOrigin: text(CLAIM.vcsOrigin),
    contextIds: Array.isArray(contexts) ? contexts.map((id) => inert(String(id))) : [],
    // `createPackage` is `npm publish`, `createStagedPackage` is `npm stage publish`.
    actions: stored.permissions.filter((p) => p === "createPackage" || p === "createStagedPackage"),
  };
}

export function actionsText(actions: readonly string[]): string {
  const words = actions.map((a) => (a === "createPackage" ? "npm publish" : a === "createStagedPackage" ? "npm stage publish" : inert(a)));
  return words.length > 0 ? words.join(" and ") : "no action";
}

/** One line for a configuration of any provider, for the plan and "where things stand". */
export function describeStored(stored: StoredTrust): string {
  const publisher = publisherOf(stored);
  if (publisher) {
    const contexts = publisher.contextIds.length > 0 ? `, contexts ${publisher.contextIds.join(", ")}` : "";
    return `CircleCI project ${publisher.projectId} (${publisher.vcsOrigin}), pipeline definition ${publisher.pipelineDefinitionId}${contexts}, for ${actionsText(publisher.actions)}`;
  }
  const claims = Object.entries(stored.claims).map(([key, value]) => `${inert(key)} ${shown(value)}`);
  return `${stored.type}${claims.length > 0 ? ` (${claims.join(", ")})` : ""}, for ${actionsText(stored.permissions)}`;
}

/** The audience npm's CLI asks CircleCI for: the literal `npm:` and the configured registry's host name. */
export function audienceFor(registryUrl: string): string {
  return `npm:${new URL(registryUrl).hostname}`;
}

/** The trust, access and token calls of one signed-in session. */
export class NpmTrustApi implements TrustAccount {
  private readonly tokensApi: NpmTokensApi;

  constructor(private readonly session: NpmSession) {
    this.tokensApi = new NpmTokensApi(session);
  }

  /** GET …/trust: `[]` when the package trusts nobody. */
  async list(pkg: string): Promise<StoredTrust[]> {
    const response = await this.session.request("GET", trustPath(pkg), `reading the trusted publishers of ${pkg}`, { command: "trust" });
    const configs = z.array(storedTrust).safeParse(response.data);
    if (response.status !== 200 || !configs.success) throw refused(response, `reading the trusted publishers of ${pkg}`);
    return configs.data;
  }

  /** POST …/trust with a one-element array, as npm's CLI sends it; npm answers 200 with what it stored. */
  async add(pkg: string, publisher: CircleciPublisher): Promise<StoredTrust[]> {
    const response = await this.session.request("POST", trustPath(pkg), `adding the trusted publisher of ${pkg}`, {
      body: [circleciConfig(publisher)],
      command: "trust",
    });
    const stored = z.array(storedTrust).safeParse(response.data);
    if (response.status !== 200 || !stored.success) throw refused(response, `adding the trusted publisher of ${pkg}`);
    return stored.data;
  }

  async remove(pkg: string, id: string): Promise<void> {
    const response = await this.session.request(
      "DELETE",
      `${trustPath(pkg)}/${encodeURIComponent(id)}`,
      `deleting the earlier trusted publisher of ${pkg}`,
      { command: "trust" },
    );
    if (response.status !== 204 && response.status !== 200) throw refused(response, `deleting the earlier trusted publisher of ${pkg}`);
  }

  /**
   * "Require two-factor authentication and disallow tokens": `npm access set mfa=publish`, i.e.
   * 2FA required and tokens may not override it (docs/sites/npm.md, "Package access settings").
   */
  async disallowTokens(pkg: string): Promise<void> {
    const body = { publish_requires_tfa: true, automation_token_overrides_tfa: false };
    const response = await this.session.request(
      "POST",
      `/-/package/${encodePackage(pkg)}/access`,
      `requiring 2FA and disallowing tokens on ${pkg}`,
      { body, command: "access" },
    );
    if (response.status !== 200 && response.status !== 204) throw refused(response, `requiring 2FA and disallowing tokens on ${pkg}`);
  }

  /** The account's tokens, each with its kind and, for a bypass-2FA publish token, what January 2027 means (what `rotate status --trust` reports). */
  async tokens(): Promise<KindedToken[]> {
    return (await this.tokensApi.list()).map((token) => (token.bypassPublisher ? { ...token, warning: JANUARY_2027 } : token));
  }

  deleteToken(token: TokenSummary, value?: Secret): Promise<void> {
    return this.tokensApi.delete(token, value);
  }
}

function trustPath(pkg: string): string {
  return `/-/package/${encodePackage(pkg)}/trust`;
}

/** npm's own words where it gave some: the trust API says `message`, the tokens API `error`. */
function refused(response: AxiosResponse, what: string): RegistryError {
  const parsed = z
    .object({ message: z.string() })
    .or(z.object({ error: z.string() }))
    .safeParse(response.data);
  const said = parsed.success ? `: ${inert("message" in parsed.data ? parsed.data.message : parsed.data.error)}` : "";
  const hint = response.status === 403 ? " (the account must maintain the package and have 2FA on)" : "";
  return new RegistryError(`npm refused ${what} (${response.status}${said})${hint}`);
}

/** The package's maintainers from its public document; undefined when npm has no such package. */
export async function packageMaintainers(registryUrl: string, pkg: string, signal: AbortSignal): Promise<string[] | undefined> {
  const client = http(registryUrl);
  const answer = await client.get(new URL(`/${encodePackage(pkg)}`, registryUrl).toString(), { signal });
  if (answer.status === 404) return undefined;
  const document = z.object({ maintainers: z.array(z.object({ name: z.string() })).default([]) }).safeParse(answer.data);
  if (answer.status !== 200 || !document.success)
    throw new NothingChangedError(`the npm registry answered ${answer.status} for package ${pkg}: check --npm-registry-url, then rerun`);
  return document.data.maintainers.map((m) => inert(m.name));
}

/**
 * What npm's CLI does in a CircleCI job before it publishes (docs/sites/npm.md, "Trusted
 * publishing from CircleCI"): POST the job's id token as a Bearer, no body, to the package's
 * exchange URL; 201 carries a short-lived publish token for that one package.
 */
export async function exchangeIdToken(registryUrl: string, pkg: string, idToken: Secret, signal: AbortSignal): Promise<Exchange> {
  const client = http(registryUrl);
  const answer = await client.post(
    new URL(`/-/npm/v1/oidc/token/exchange/package/${encodePackage(pkg)}`, registryUrl).toString(),
    undefined,
    {
      headers: { Authorization: idToken.derive((raw) => `Bearer ${raw}`) },
      signal,
    },
  );
  const issued = z.object({ token: z.string().min(1) }).safeParse(answer.data);
  if (answer.status === 201 && issued.success)
    return { accepted: true, token: new Secret(issued.data.token, `npm publish token for ${pkg}`) };
  const message = z.object({ message: z.string() }).safeParse(answer.data);
  return { accepted: false, status: answer.status, message: message.success ? inert(message.data.message) : "" };
}
