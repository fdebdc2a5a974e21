// `rotate npm`'s work, loaded when a command runs (index.ts says what the registry is): sign in on
// npmjs.com in the isolated browser, then manage granular access tokens. npm documents its
// registry's token API (what `npm token` uses), so by default the browser is only where the
// person signs in (the registry's web login) and the API does the rest (api.ts); `--via
// website` drives the same rotation through npmjs.com's pages (website.ts). Either way the
// registry's /-/whoami says whether a token is live.
import { execFile } from "node:child_process";
import { devNull, homedir } from "node:os";
import { join, parse } from "node:path";
import { promisify } from "node:util";
import { UsageError } from "../../src/errors.js";
import { checkRequest } from "../../src/http/checks.js";
import type { RegistryImplementation } from "../../src/registry.js";
import type { TokenState } from "../../src/rotation/capability.js";
import { checkUrl } from "../../src/settings/config.js";
import { NpmApiAccount, signInThroughApi } from "./api.js";
import { advisories, permissionText } from "./policy.js";
import { NpmSettings } from "./settings.js";
import { NpmWebsiteAccount } from "./website.js";

/** Write tokens may live 90 days at most (docs/sites/npm.md, "Policy timeline"). */
const MAX_WRITE_DAYS = 90;

/**
 * The registry the user's npm uses; never written into this code (it may be a mirror). Asked from
 * the home directory, so a project's .npmrc (which a pull request can change) has no say. With
 * `builtIn`, npm's own default, read with no user or global configuration: the official registry.
 */
async function npmConfigRegistry(builtIn: boolean): Promise<string | undefined> {
  // Two paths that cannot exist (npm refuses one file loaded twice): no user and no global
  // configuration; and asked from the file system's root, where no project's .npmrc is (from the
  // home directory, ~/.npmrc would count as one).
  const none = builtIn ? ["--userconfig", join(devNull, "user"), "--globalconfig", join(devNull, "global")] : [];
  try {
    const { stdout } = await promisify(execFile)("npm", ["config", "get", "registry", ...none], {
      cwd: builtIn ? parse(homedir()).root : homedir(),
      timeout: 15_000,
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
    });
    return stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

const REGISTRY_URL = "npm registry URL";

/**
 * The registry from npm's configuration when no setting names one: held to the rule every address
 * follows (plain http only to this machine), and official only when it is npm's own default.
 */
async function registryFromNpm(resolved: Record<string, unknown>): Promise<void> {
  const [configured, builtIn] = await Promise.all([npmConfigRegistry(false), npmConfigRegistry(true)]);
  if (!configured) return;
  const from = "npm config get registry";
  resolved.registryUrl = checkUrl(configured, from, REGISTRY_URL);
  const official = builtIn !== undefined && URL.canParse(builtIn) && new URL(builtIn).href === new URL(configured).href;
  resolved.addresses = [{ describe: REGISTRY_URL, url: configured, from: official ? `${from}, npm's own default` : from, official }];
}

/** The settings' schema, npm's limits, and the flow bound to them. */
export const npmImplementation: RegistryImplementation<typeof NpmSettings> = {
  schema: NpmSettings,

  async defaults(resolved) {
    if (resolved.registryUrl === undefined) await registryFromNpm(resolved);
  },

  validate(settings) {
    if (settings.expiresDays < 1 || settings.expiresDays > MAX_WRITE_DAYS) {
      throw new UsageError(
        `npm refuses write tokens that live longer than ${MAX_WRITE_DAYS} days (--expires-days ${settings.expiresDays}): choose 1 to ${MAX_WRITE_DAYS}`,
      );
    }
  },

  flow: (settings) => ({
    // The API path signs in on the website too: the login URL the registry hands out is there.
    origins: () => [settings.websiteUrl],
    reachabilityUrls: () => [settings.websiteUrl, new URL("/-/ping", settings.registryUrl).toString()],
    describeScope: () =>
      `${permissionText(settings)} on ${settings.packages.join(", ")}; bypasses 2FA; expires in ${settings.expiresDays} days${settings.ipRanges ? `; only from ${settings.ipRanges.join(", ")}` : ""}`,
    publishes: () => settings.packages,
    advisories: () => advisories(settings),
    signIn: (ctx) =>
      settings.via === "api" ? signInThroughApi({ ...ctx, settings }) : NpmWebsiteAccount.signIn(ctx.browser.page, { ...ctx, settings }),
    adopt(account) {
      if (account instanceof NpmApiAccount || account instanceof NpmWebsiteAccount) return account.withSettings(settings);
      throw new Error("an npm rotation was handed another registry's account");
    },

    /** whoami: 200 with the account's name = live; 401 = dead; 403/429/5xx = no verdict. */
    async check(value, ctx): Promise<TokenState> {
      const response = await checkRequest(
        {
          method: "GET",
          url: new URL("/-/whoami", settings.registryUrl).toString(),
          headers: { Authorization: value.derive((raw) => `Bearer ${raw}`) },
        },
        ctx,
      );
      if (response?.status === 401) return "dead";
      const username = (response?.data as { username?: unknown } | undefined)?.username;
      if (response?.status === 200 && username === (await ctx.credentials.username())) return "live";
      return "unknown";
    },
  }),
};
