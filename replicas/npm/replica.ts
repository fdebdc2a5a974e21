// A local replica of npmjs.com (sign-in, the access-token pages, the CLI login and one-time-code
// pages) and, on a second origin, the npm registry's API (whoami and logout, web login, tokens,
// trusted publishing and its OIDC exchange), for the `rotate npm` flows, their tests and drills.
// All state is in memory. The facts it follows are in docs/sites/npm.md.
import cookieParser from "cookie-parser";
import express, { type Express, type Router } from "express";
import { FaultPlan } from "../shared/faults.js";
import { listen } from "../shared/server.js";
import { authRoutes } from "./auth-routes.js";
import { NO_ACCESS, NpmDirectory, publicRecord, type NpmPermission, type NpmTokenRecord, type NpmUser } from "./directory.js";
import type { SiteContext } from "./guards.js";
import { IssuedSecrets } from "./issued-secrets.js";
import { invalidCsrf, notFound, quietErrors } from "./layout.js";
import { ExchangeTokens, oidcExchangeRoutes, type ExchangeGrant, type ExchangeOutcome } from "./oidc-exchange.js";
import { OidcIssuers } from "./oidc-verify.js";
import { otpGate, WebOtpCodes, type Origins } from "./otp-gate.js";
import { packageApiRoutes } from "./package-api.js";
import { NpmPackages, type PackageAccess, type TrustConfig } from "./packages.js";
import { registryApp } from "./registry.js";
import { passwordReset, type PasswordReset } from "./reset.js";
import { requireCsrf, sessionMiddleware } from "./session.js";
import { SessionTokens } from "./sessions.js";
import { defaultSettings, type NpmSettings } from "./settings.js";
import { tokenCreateRoutes } from "./token-create.js";
import { tokenListRoutes } from "./token-list.js";
import { tokensApiRoutes } from "./tokens-api.js";
import { trustApiRoutes } from "./trust-api.js";
import { userApiRoutes } from "./user-api.js";
import { webLoginRegistryRoutes, webLoginSiteRoutes } from "./web-login.js";
import { webOtpSiteRoutes } from "./web-otp.js";
import { WebRequests } from "./web-requests.js";

export type { NpmPermission, NpmTokenRecord, NpmUser } from "./directory.js";
export type { ExchangeGrant, ExchangeOutcome } from "./oidc-exchange.js";
export type { PackageAccess, TrustConfig } from "./packages.js";
export type { NpmSettings } from "./settings.js";

export interface NpmReplicaOptions {
  users: NpmUser[];
  now?: () => Date;
  host?: string;
  /** Website port. */
  port?: number;
  /** Registry port (a separate origin, as the registry is). */
  registryPort?: number;
}

export interface NpmReplica {
  /** Website origin. */
  url: string;
  /** Registry origin (separate listener). */
  registryUrl: string;
  /** One plan, mounted on both apps. */
  faults: FaultPlan;
  /** The knobs; change them at any time. */
  settings: NpmSettings;
  /**
   * Seed a token as if made earlier on the site; returns its value. `value` chooses it (any
   * `npm_` + 36 base62 characters, checksum unchecked), e.g. to end like another token.
   */
  issueToken(
    username: string,
    init: {
      name: string;
      permission?: NpmPermission;
      packages?: string[];
      bypass2fa?: boolean;
      expiresDays?: number;
      created?: Date;
      value?: string;
    },
  ): string;
  /** Newest first. */
  tokens(username: string): NpmTokenRecord[];
  /**
   * Revoke a token on npm's side, as npm invalidated every bypass-2FA write token on 2026-05-19:
   * the list still shows it (its `revoked` set), and the registry rejects it before its expiry.
   */
  revokeToken(value: string): void;
  /** What /-/whoami would answer 200 for: a live granular token or a live session token. */
  isLive(token: string): boolean;
  /** Whether this is a session token (from a web login) that has neither expired nor been revoked. */
  isSessionLive(token: string): boolean;
  /** Every session token started so far (web logins and seeds), live or not. */
  sessionTokens(): string[];
  /** Seed a session token, as if `npm login` had just finished for this user. */
  startSession(username: string): string;
  /** Every secret value the replica has issued so far: session and granular tokens, web and e-mailed one-time codes, exchange tokens. */
  issuedSecrets(): string[];
  /** Accept OIDC id tokens from issuers `<issuerBase>/org/<org-id>`, keys found by OpenID discovery. */
  trustOidcIssuer(issuerBase: string): void;
  /** A package's trusted-publisher configurations, oldest first. */
  trustConfigs(pkg: string): TrustConfig[];
  /** Seed a configuration of any type (say, GitHub's) as if a maintainer had added it. */
  addTrustConfig(pkg: string, config: Omit<TrustConfig, "id">): TrustConfig;
  /** A package's publishing-access settings as last set through the API. */
  packageAccess(pkg: string): PackageAccess;
  /** What a live OIDC exchange token may do. */
  exchangeGrant(token: string): ExchangeGrant | undefined;
  /** Every exchange request so far, accepted or not, with the replica's reason for a refusal. */
  exchangeOutcomes(): ExchangeOutcome[];
  /** The last one-time code e-mailed to an account without 2FA (sign-in, escalation, API calls). */
  lastEmailedOtp(username: string): string | undefined;
  /** The link the latest password reset email carried; it expires after an hour on `now` [I]. */
  resetLink(username: string): string | undefined;
  /** The account's password now: a drill's front desk shows it after a reset. */
  password(username: string): string;
  close(): Promise<void>;
}

const DAY_MS = 86_400_000;

export async function startNpmReplica(options: NpmReplicaOptions): Promise<NpmReplica> {
  const now = options.now ?? (() => new Date());
  const faults = new FaultPlan();
  const settings = defaultSettings();
  const secrets = new IssuedSecrets();
  const directory = new NpmDirectory(options.users, now, secrets);
  const context: SiteContext = { directory, settings, now };
  const sessions = new SessionTokens(now, secrets);
  const webRequests = new WebRequests(now);
  const webOtps = new WebOtpCodes(now, secrets);
  const packages = new NpmPackages(options.users);
  const issuers = new OidcIssuers();
  const exchanges = new ExchangeTokens(now, secrets);
  // Both addresses are known only once they listen; pages and answers read them later.
  const origins = { siteUrl: "", registryUrl: "" };
  const originsOf: Origins = { site: () => origins.siteUrl, registry: () => origins.registryUrl };
  const reset = passwordReset(context, originsOf.site);
  const otp = otpGate({ directory, settings, now, webRequests, webOtps, origins: originsOf });

  const site = await listen(
    siteApp(context, faults, reset, [
      webLoginSiteRoutes(context, { webRequests, sessions }),
      webOtpSiteRoutes(context, { webRequests, webOtps }),
    ]),
    { host: options.host, port: options.port },
  );
  origins.siteUrl = site.url;
  const apis = [
    userApiRoutes({ directory, sessions }),
    webLoginRegistryRoutes({ webRequests, settings, origins: originsOf }),
    tokensApiRoutes({ directory, sessions, otp, settings, now }),
    trustApiRoutes({ directory, sessions, packages, otp }),
    oidcExchangeRoutes({ packages, issuers, exchanges, origins: originsOf, now }),
    packageApiRoutes({ directory, sessions, packages, otp }),
  ];
  const registry = await listen(registryApp(faults, apis), { host: options.host, port: options.registryPort }).catch(
    async (err: unknown) => {
      await site.close();
      throw err;
    },
  );
  origins.registryUrl = registry.url;

  const accountNamed = (username: string) => {
    const account = directory.account(username);
    if (!account) throw new Error(`the npm replica has no user ${username}`);
    return account;
  };
  return {
    url: site.url,
    registryUrl: registry.url,
    faults,
    settings,
    issueToken(username, init) {
      const permission = init.permission ?? "read-write";
      const created = init.created ?? now();
      // The create-token API's defaults: 7 days for write tokens, 30 for read-only (docs/sites/npm.md, "Token limits and validation" [C]).
      const days = init.expiresDays ?? (permission === "read-only" ? 30 : 7);
      const token = directory.addToken(
        accountNamed(username),
        {
          name: init.name,
          description: "",
          packagesPermission: permission,
          packagesAll: init.packages === undefined,
          packages: init.packages ?? [],
          orgsPermission: NO_ACCESS,
          orgs: [],
          bypass2fa: init.bypass2fa ?? false,
          cidr: [],
          created,
          expires: new Date(created.getTime() + days * DAY_MS),
        },
        init.value,
      );
      return token.value;
    },
    tokens: (username) => directory.tokensOf(accountNamed(username)).map(publicRecord),
    revokeToken: (value) => directory.revokeToken(value),
    isLive: (token) => directory.liveOwner(token) !== undefined || sessions.owner(token) !== undefined,
    sessionTokens: () => [...sessions.started],
    isSessionLive: (token) => sessions.owner(token) !== undefined,
    startSession: (username) => sessions.start(accountNamed(username).username),
    issuedSecrets: () => secrets.all(),
    trustOidcIssuer: (issuerBase) => issuers.trust(issuerBase),
    trustConfigs: (pkg) => packages.trustsOf(pkg),
    addTrustConfig: (pkg, config) => packages.addTrust(pkg, config),
    packageAccess: (pkg) => packages.accessOf(pkg),
    exchangeGrant: (token) => exchanges.grant(token),
    exchangeOutcomes: () => exchanges.outcomes.map((o) => ({ ...o })),
    lastEmailedOtp: (username) => directory.lastEmailedOtp(accountNamed(username).username),
    resetLink: (username) => reset.lastLink(accountNamed(username).username),
    password: (username) => accountNamed(username).password,
    close: async () => {
      await Promise.all([site.close(), registry.close()]);
    },
  };
}

function siteApp(context: SiteContext, faults: FaultPlan, reset: PasswordReset, cliPages: Router[]): Express {
  const app = express();
  app.disable("x-powered-by");
  app.use(sessionMiddleware());
  app.use(cookieParser());
  app.use(express.urlencoded({ extended: false }));
  app.use(faults.middleware());
  app.use(requireCsrf(invalidCsrf));
  app.use(reset.routes);
  app.use(authRoutes(context));
  app.use(tokenListRoutes(context));
  app.use(tokenCreateRoutes(context));
  for (const pages of cliPages) app.use(pages);
  app.use(notFound);
  app.use(quietErrors);
  return app;
}
