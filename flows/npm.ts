// npm: sign in on npmjs.com in the isolated browser, then manage granular access tokens. npm
// documents its registry's token API (what `npm token` uses), so by default the browser is only
// where the person signs in (the registry's web login) and the API does the rest (npm-api.ts);
// `--via website` drives the same rotation through npmjs.com's pages (npm-website.ts).
// Either way the registry's /-/whoami says whether a token is live.
import { execFile } from "node:child_process";
import { homedir } from "node:os";
import { promisify } from "node:util";
import { z } from "zod";
import type { SettingsSection } from "../src/config.js";
import { UsageError } from "../src/errors.js";
import { checkRequest } from "../src/registry-http.js";
import { defineRegistry, type TokenState } from "../src/registry.js";
import { signInThroughApi } from "./npm-api.js";
import { npmPasswordReset } from "./npm-password.js";
import { detectNpmPackages } from "./npm-project.js";
import { NpmWebsiteAccount } from "./npm-website.js";

const section: SettingsSection = {
  section: "npm",
  settings: {
    envVar: { flag: "--env-var", env: "ROTATE_NPM_ENV_VAR", kind: "string", describe: "CircleCI variable that holds the npm token", default: "NPM_TOKEN" },
    packages: { flag: "--npm-packages", env: "ROTATE_NPM_PACKAGES", kind: "list", describe: "packages and scopes the new token may publish (comma list, e.g. @mozilla/nimbus-shared,@mozilla)" },
    username: { flag: "--npm-user", env: "ROTATE_NPM_USERNAME", kind: "string", describe: "npm account username" },
    permission: { flag: "--permission", env: "ROTATE_NPM_PERMISSION", kind: "string", describe: "what the token may do: publish, or stage-only (npm stage publish, a maintainer approves each version)", default: "publish" },
    expiresDays: { flag: "--expires-days", env: "ROTATE_NPM_EXPIRES_DAYS", kind: "number", describe: "days until the new token expires (npm allows at most 90 for write tokens)", default: 90 },
    ipRanges: { flag: "--ip-ranges", env: "ROTATE_NPM_IP_RANGES", kind: "list", describe: "IPv4 ranges (CIDR) the token may be used from (comma list; default: anywhere)" },
    via: { flag: "--via", env: "ROTATE_NPM_VIA", kind: "string", describe: "how tokens are managed: api (the registry's token API) or website (npmjs.com's pages)", default: "api" },
    websiteUrl: { flag: "--npm-url", env: "ROTATE_NPM_URL", kind: "url", describe: "npm website URL", default: "https://www.npmjs.com" },
    registryUrl: { flag: "--npm-registry-url", env: "ROTATE_NPM_REGISTRY_URL", kind: "url", describe: "npm registry URL (default: npm config get registry)" },
  },
};

const NpmSettings = z.object({
  envVar: z.string(),
  packages: z.array(z.string()),
  username: z.string().optional(),
  permission: z.enum(["publish", "stage-only"], { error: "must be publish or stage-only" }),
  expiresDays: z.number().int(),
  ipRanges: z.array(z.string()).optional(),
  via: z.enum(["api", "website"], { error: "must be api or website" }),
  websiteUrl: z.url(),
  registryUrl: z.url(),
});
export type NpmSettings = z.infer<typeof NpmSettings>;

/** Write tokens may live 90 days at most (docs/sites/npm.md, "Policy timeline"). */
const MAX_WRITE_DAYS = 90;

/**
 * The registry the user's npm uses; never written into this code (it may be a mirror). Asked from
 * the home directory, so a project's .npmrc (which a pull request can change) has no say.
 */
async function npmConfigRegistry(): Promise<string | undefined> {
  try {
    const { stdout } = await promisify(execFile)("npm", ["config", "get", "registry"], { cwd: homedir(), timeout: 15_000, env: { PATH: process.env.PATH, HOME: process.env.HOME } });
    return stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

/** What the token may do, in the words of npm's form and the plan. */
export function permissionText(settings: NpmSettings): string {
  return settings.permission === "publish" ? "read and write (publish and stage)" : "read and write (stage only)";
}

/**
 * npm ends direct publishing with bypass-2FA tokens in January 2027 (docs/sites/npm.md, "Policy
 * timeline"): a publish token made today has weeks to live as a publishing credential.
 */
function advisories(settings: Pick<NpmSettings, "permission">): string[] {
  if (settings.permission === "stage-only") {
    return ["Stage-only token: CircleCI must run `npm stage publish`, and a maintainer approves each version with 2FA on npmjs.com before it is published."];
  }
  return [
    "npm ends direct publishing with bypass-2FA tokens in January 2027: this token stops publishing then. Move to trusted publishing (`rotate trust npm`), or to a stage-only token (--permission stage-only).",
  ];
}

export const npm = defineRegistry({
  id: "npm",
  title: "npm",
  defaultEnvVar: "NPM_TOKEN",
  section,
  schema: NpmSettings,
  // npm_ and 36 base62 characters, the last six a checksum (docs/sites/npm.md, "Token format").
  tokenPattern: /npm_[A-Za-z0-9]{36}/,
  // What the real pages load besides the site itself; the browser guard lets these serve
  // subresources only (anything else, analytics or ads, is refused at the cost of some styling).
  assetOrigins: [
    {
      origin: "https://static-production.npmjs.com",
      why: "the website's stylesheets, scripts and images",
      source: "www.npmjs.com page markup (<link rel=stylesheet href=\"https://static-production.npmjs.com/styles.<hash>.css\">, its <script> and <img> tags)",
    },
    {
      origin: "https://challenges.cloudflare.com",
      why: "the bot check a responder may have to pass in the visible browser (www.npmjs.com sits behind Cloudflare bot management)",
      source: "Cloudflare Turnstile docs, \"Content Security Policy\": script-src and frame-src https://challenges.cloudflare.com (developers.cloudflare.com/turnstile/reference/content-security-policy)",
    },
  ],
  initQuestions: [
    { key: "packages", message: "npm packages and scopes the token may publish (comma list):", detect: detectNpmPackages },
    { key: "username", message: "npm account username:" },
  ],
  passwordReset: npmPasswordReset,
  statusNotes: (settings) => advisories({ permission: settings.permission === "stage-only" ? "stage-only" : "publish" }),

  async defaults(resolved) {
    resolved.registryUrl ??= await npmConfigRegistry();
  },

  validate(settings) {
    if (settings.expiresDays < 1 || settings.expiresDays > MAX_WRITE_DAYS) {
      throw new UsageError(`npm refuses write tokens that live longer than ${MAX_WRITE_DAYS} days (--expires-days ${settings.expiresDays}): choose 1 to ${MAX_WRITE_DAYS}`);
    }
  },

  flow: (settings) => ({
    // The API path signs in on the website too: the login URL the registry hands out is there.
    origins: () => [settings.websiteUrl],
    reachabilityUrls: () => [settings.websiteUrl, new URL("/-/ping", settings.registryUrl).toString()],
    describeScope: () =>
      `${permissionText(settings)} on ${settings.packages.join(", ")}; bypasses 2FA; expires in ${settings.expiresDays} days${settings.ipRanges ? `; only from ${settings.ipRanges.join(", ")}` : ""}`,
    advisories: () => advisories(settings),
    signIn: (ctx) => (settings.via === "api" ? signInThroughApi({ ...ctx, settings }) : NpmWebsiteAccount.signIn(ctx.browser.page, { ...ctx, settings })),

    /** whoami: 200 with the account's name = live; 401 = dead; 403/429/5xx = no verdict. */
    async check(value, ctx): Promise<TokenState> {
      const response = await checkRequest(
        { method: "GET", url: new URL("/-/whoami", settings.registryUrl).toString(), headers: { Authorization: value.derive((raw) => `Bearer ${raw}`) } },
        ctx,
      );
      if (response?.status === 401) return "dead";
      const username = (response?.data as { username?: unknown } | undefined)?.username;
      if (response?.status === 200 && username === (await ctx.credentials.username())) return "live";
      return "unknown";
    },
  }),
});
