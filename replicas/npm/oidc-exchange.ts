// Trusted publishing's token exchange (docs/sites/npm.md, "OIDC token exchange"): a CircleCI job
// posts its OIDC id token to `/-/npm/v1/oidc/token/exchange/package/{pkg}` and, when the token's
// claims match the package's trusted-publisher configuration, gets a short-lived publish token
// for that one package.
import { Router } from "express";
import type { IssuedSecrets } from "./issued-secrets.js";
import { verifyIdToken, type OidcIssuers } from "./oidc-verify.js";
import type { Origins } from "./otp-gate.js";
import type { NpmPackages, TrustConfig } from "./packages.js";
import { bearer } from "./registry-auth.js";
import { newTokenValue } from "./token-format.js";

/** Exchange tokens live "typically 1 hour". */
const EXCHANGE_LIFETIME_MS = 3600_000;
const CLAIM = (name: string) => `oidc.circleci.com/${name}`;
/** Claims that must equal the configuration's, case-sensitively ("all fields are case-sensitive"). */
const MATCHED = ["org-id", "project-id", "pipeline-definition-id", "vcs-origin"].map(CLAIM);

export interface ExchangeGrant {
  package: string;
  /** The configuration's allowed actions: createPackage and/or createStagedPackage. */
  actions: string[];
  expires: Date;
}

/** What each exchange request came to; the reason is the replica's own, for tests to read. */
export interface ExchangeOutcome {
  package: string;
  accepted: boolean;
  reason?: string;
}

export class ExchangeTokens {
  private readonly grants = new Map<string, ExchangeGrant>();
  readonly outcomes: ExchangeOutcome[] = [];

  constructor(
    private readonly now: () => Date,
    private readonly secrets: IssuedSecrets,
  ) {}

  /** The format of an exchange token is not documented; the granular tokens' shape [I]. */
  issue(pkg: string, actions: string[]): { token: string; created: Date; expires: Date } {
    const token = this.secrets.record(newTokenValue());
    const created = this.now();
    const expires = new Date(created.getTime() + EXCHANGE_LIFETIME_MS);
    this.grants.set(token, { package: pkg, actions: [...actions], expires });
    return { token, created, expires };
  }

  /** What a live exchange token may do. */
  grant(token: string): ExchangeGrant | undefined {
    const grant = this.grants.get(token);
    return grant && grant.expires.getTime() > this.now().getTime() ? { ...grant, actions: [...grant.actions] } : undefined;
  }
}

export function oidcExchangeRoutes(deps: {
  packages: NpmPackages;
  issuers: OidcIssuers;
  exchanges: ExchangeTokens;
  origins: Origins;
  now: () => Date;
}): Router {
  const router = Router();
  const error = (what: string) => ({ message: `OIDC token exchange error - ${what}` });

  router.post("/-/npm/v1/oidc/token/exchange/package/:pkg", async (req, res) => {
    const pkg = String(req.params.pkg);
    const outcome = (accepted: boolean, reason?: string) => deps.exchanges.outcomes.push({ package: pkg, accepted, reason });
    const jwt = bearer(req);
    if (jwt === undefined) {
      outcome(false, "no bearer token");
      return res.status(400).json(error("bad request"));
    }
    if (!deps.packages.exists(pkg)) {
      outcome(false, "no such package");
      return res.status(404).json(error("package not found"));
    }
    // npm's client asks CircleCI for the audience `npm:` + the registry's host name.
    const audience = `npm:${new URL(deps.origins.registry()).hostname}`;
    const verified = await verifyIdToken(jwt, { issuers: deps.issuers, audience, now: deps.now() });
    // A package's configurations add up: any one that matches lets the job in (docs/sites/npm.md, "Trust API").
    const configs = deps.packages.trustsOf(pkg);
    const matching = "refused" in verified ? undefined : configs.find((config) => mismatch(verified.claims, config) === undefined);
    if (!matching) {
      const circleci = configs.find((config) => config.type === "circleci");
      outcome(false, "refused" in verified ? verified.refused : (mismatch(verified.claims, circleci) ?? "no configuration matches"));
      return res.status(401).json(error("unauthorized"));
    }
    const issued = deps.exchanges.issue(pkg, matching.permissions);
    outcome(true);
    res
      .status(201)
      .json({ token_type: "oidc", token: issued.token, created: issued.created.toISOString(), expires: issued.expires.toISOString() });
  });

  return router;
}

/** Why a verified CircleCI token does not fit the package's configuration; undefined when it does. */
function mismatch(claims: Record<string, unknown>, config: TrustConfig | undefined): string | undefined {
  if (!config || config.type !== "circleci") return "the package trusts no CircleCI publisher";
  if (config.permissions.length === 0) return "the configuration allows no action";
  // "npm rejects any OIDC token whose ssh_rerun claim is true" (CircleCI's npm guide).
  if (claims[CLAIM("ssh-rerun")] === true) return "an SSH re-run";
  if (!String(claims.iss).endsWith(`/org/${String(claims[CLAIM("org-id")])}`)) return "the issuer is not the token's organization";
  const different = MATCHED.find((name) => claims[name] !== config.claims[name]);
  if (different) return `${different} differs`;
  // How npm matches context ids is not documented: the replica wants every configured one in the token [I].
  const wanted = config.claims[CLAIM("context-ids")];
  const held = claims[CLAIM("context-ids")];
  if (Array.isArray(wanted) && !wanted.every((id) => Array.isArray(held) && held.includes(id))) return "a configured context is missing";
  return undefined;
}
