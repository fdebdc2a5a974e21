// A local replica of pypi.org (Warehouse) for the `rotate pypi` flow, its tests and drills:
// the website on one origin, the upload endpoint on another (as the real upload host is), all state in
// memory. the facts it follows are in docs/sites/pypi.md; comments cite its headings.
import { randomBytes } from "node:crypto";
import cookieParser from "cookie-parser";
import express, { type Express } from "express";
import session from "express-session";
import { FaultPlan } from "../shared/faults.js";
import { listen } from "../shared/server.js";
import { homePage } from "./account-pages.js";
import { accountRoutes } from "./account-routes.js";
import { normalizeProjectName, PypiDirectory } from "./directory.js";
import { currentAccount, type SiteContext } from "./guards.js";
import { FLASH_INCLUDE_PATH, renderFlashes } from "./layout.js";
import { manageRoutes } from "./manage-routes.js";
import { passwordReset, type PasswordReset } from "./reset.js";
import { popFlashes } from "./session.js";
import { SilentMemoryStore } from "../shared/session-store.js";
import { TimedSigner } from "./signer.js";
import { uploadApp } from "./upload.js";
import { webobErrorHandler } from "./webob.js";
import type { PypiReplica, PypiReplicaOptions } from "./options.js";

export { macaroonId } from "./macaroon.js";

export async function startPypiReplica(options: PypiReplicaOptions): Promise<PypiReplica> {
  const faults = new FaultPlan();
  const settings: PypiReplica["settings"] = {
    reauthSeconds: 1800,
    unrecognizedDevice: false,
    createButtonLabel: "Create token",
    simulatedHumanClickMs: undefined,
    clockAheadSeconds: 0,
  };
  const given = options.now ?? (() => new Date());
  const now = () => new Date(given().getTime() + settings.clockAheadSeconds * 1000);
  // The site's address is known only once it listens; tokens and email links read it later.
  let siteUrl = "";
  const origin = () => siteUrl;
  const directory = new PypiDirectory(options.users, now, () => new URL(siteUrl).host);
  const context: SiteContext = { directory, signer: new TimedSigner(now), settings, now, origin };

  const reset = passwordReset(context);
  const site = await listen(siteApp(context, faults, reset), { host: options.host, port: options.port });
  siteUrl = site.url;
  const upload = await listen(uploadApp(directory, faults), { host: options.host, port: options.uploadPort }).catch(
    async (err: unknown) => {
      await site.close();
      throw err;
    },
  );

  const accountNamed = (username: string) => {
    const account = directory.account(username);
    if (!account) throw new Error(`the PyPI replica has no user ${username}`);
    return account;
  };
  return {
    url: site.url,
    uploadUrl: `${upload.url}/legacy/`,
    faults,
    settings,
    issueToken(username, init) {
      const account = accountNamed(username);
      if (directory.tokensOf(account).some((t) => t.description === init.description)) {
        throw new Error(`${username} already has a token named ${init.description}`);
      }
      const scope =
        init.project === undefined ? { kind: "user" as const } : { kind: "project" as const, project: normalizeProjectName(init.project) };
      return directory.createToken(account, { description: init.description, scope, created: init.created }).token;
    },
    tokens: (username) => directory.tokensOf(accountNamed(username)),
    isLive: (token) => directory.tokenOwner(token) !== undefined,
    confirmLoginLink: (username) => directory.pendingLoginFor(accountNamed(username).username)?.link,
    resetLink: (username) => reset.lastLink(accountNamed(username).username),
    password: (username) => directory.password(accountNamed(username)),
    issuedSecrets: () => [...directory.issued],
    close: async () => {
      await Promise.all([site.close(), upload.close()]);
    },
  };
}

function siteApp(context: SiteContext, faults: FaultPlan, reset: PasswordReset): Express {
  const app = express();
  app.disable("x-powered-by");
  app.use(
    session({
      name: "session_id",
      secret: randomBytes(32).toString("hex"),
      store: new SilentMemoryStore(),
      resave: false,
      saveUninitialized: false,
      // No Max-Age: the cookie lives for the browser session (docs/sites/pypi.md, "Sessions and CSRF"). Plain http, so not Secure.
      cookie: { httpOnly: true, sameSite: "lax", secure: false, path: "/" },
    }),
  );
  app.use(cookieParser());
  app.use(express.urlencoded({ extended: false }));
  app.use(faults.middleware());
  app.use(reset.routes);
  app.get("/", (req, res) => res.send(homePage(currentAccount(context, req)?.username)));
  app.get(FLASH_INCLUDE_PATH, (req, res) => {
    res
      .set("Cache-Control", "no-cache")
      .type("html")
      .send(renderFlashes(popFlashes(req)));
  });
  app.use(accountRoutes(context));
  app.use(manageRoutes(context));
  app.use(webobErrorHandler);
  return app;
}
