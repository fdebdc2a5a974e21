// A local replica of npmjs.com's sign-in and access-token pages, plus the registry's token
// check on a second origin, for the `rotate npm` flow, its tests and drills. All state is in
// memory. The facts it follows are in shared/reference/npm.md; section numbers cite it.
import cookieParser from "cookie-parser";
import express, { type Express } from "express";
import { FaultPlan } from "../shared/faults.js";
import { listen } from "../shared/server.js";
import { authRoutes } from "./auth-routes.js";
import { NO_ACCESS, NpmDirectory, publicRecord, type NpmPermission, type NpmTokenRecord, type NpmUser } from "./directory.js";
import type { EscalationSettings, SiteContext } from "./guards.js";
import { invalidCsrf, notFound, quietErrors } from "./layout.js";
import { registryApp } from "./registry.js";
import { passwordReset, type PasswordReset } from "./reset.js";
import { requireCsrf, sessionMiddleware } from "./session.js";
import { tokenCreateRoutes } from "./token-create.js";
import { tokenListRoutes } from "./token-list.js";

export type { NpmPermission, NpmTokenRecord, NpmUser } from "./directory.js";

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
  /** Registry origin (separate listener), serves GET /-/whoami. */
  registryUrl: string;
  /** One plan, mounted on both apps. */
  faults: FaultPlan;
  settings: EscalationSettings;
  /** Seed a token as if made earlier on the site; returns its value. */
  issueToken(
    username: string,
    init: { name: string; permission?: NpmPermission; packages?: string[]; bypass2fa?: boolean; expiresDays?: number; created?: Date },
  ): string;
  /** Newest first. */
  tokens(username: string): NpmTokenRecord[];
  /** What /-/whoami would answer 200 for. */
  isLive(token: string): boolean;
  /** Every secret value the replica ever issued. */
  issuedSecrets(): string[];
  /** The link the latest password reset email carried; it expires after an hour on `now` [I]. */
  resetLink(username: string): string | undefined;
  close(): Promise<void>;
}

const DAY_MS = 86_400_000;

export async function startNpmReplica(options: NpmReplicaOptions): Promise<NpmReplica> {
  const now = options.now ?? (() => new Date());
  const faults = new FaultPlan();
  const settings: EscalationSettings = { escalate: { create: false, delete: false }, escalationCooldownSeconds: 300 };
  const directory = new NpmDirectory(options.users, now);
  const context: SiteContext = { directory, settings, now };
  // The site's address is known only once it listens; reset emails read it later.
  let siteUrl = "";
  const reset = passwordReset(context, () => siteUrl);

  const site = await listen(siteApp(context, faults, reset), { host: options.host, port: options.port });
  siteUrl = site.url;
  const registry = await listen(registryApp(directory, faults), { host: options.host, port: options.registryPort }).catch(async (err: unknown) => {
    await site.close();
    throw err;
  });

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
      // The create-token API's defaults: 7 days for write tokens, 30 for read-only (§1.3 [C]).
      const days = init.expiresDays ?? (permission === "read-only" ? 30 : 7);
      const token = directory.addToken(accountNamed(username), {
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
      });
      return token.value;
    },
    tokens: (username) => directory.tokensOf(accountNamed(username)).map(publicRecord),
    isLive: (token) => directory.liveOwner(token) !== undefined,
    issuedSecrets: () => [...directory.issued],
    resetLink: (username) => reset.lastLink(accountNamed(username).username),
    close: async () => {
      await Promise.all([site.close(), registry.close()]);
    },
  };
}

function siteApp(context: SiteContext, faults: FaultPlan, reset: PasswordReset): Express {
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
  app.use(notFound);
  app.use(quietErrors);
  return app;
}
