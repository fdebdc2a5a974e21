// npm as a registry plug-in: what it is, its settings, its token's shape, the origins its pages
// load from, what `rotate init` asks, and what npm's policy means for a token. The work itself
// (flow.ts and the modules it binds) loads only when a command runs.
import { defineRegistry } from "../../src/registry.js";
import { variableNameProblem, type SettingsSection } from "../../src/settings/declarations.js";
import { advisories, JANUARY_2027, packageNameProblem, packagesOnly } from "./policy.js";

const section: SettingsSection = {
  section: "npm",
  // One token per rotation of an organisation's fleet: these it gives; the account and addresses are shared.
  tokenSettings: ["envVar", "packages", "permission", "expiresDays", "ipRanges"],
  scopeSetting: "packages",
  settings: {
    envVar: {
      flag: "--env-var",
      env: "ROTATE_NPM_ENV_VAR",
      kind: "string",
      describe: "CircleCI variable that holds the npm token",
      check: variableNameProblem,
      default: "NPM_TOKEN",
    },
    packages: {
      flag: "--npm-packages",
      env: "ROTATE_NPM_PACKAGES",
      kind: "list",
      describe: "packages and scopes the new token may publish (comma list, e.g. @mozilla/nimbus-shared,@mozilla)",
      check: packageNameProblem,
    },
    username: { flag: "--npm-user", env: "ROTATE_NPM_USERNAME", kind: "string", describe: "npm account username" },
    permission: {
      flag: "--permission",
      env: "ROTATE_NPM_PERMISSION",
      kind: "string",
      describe: "what the token may do: publish, or stage-only (npm stage publish, a maintainer approves each version)",
      default: "publish",
    },
    expiresDays: {
      flag: "--expires-days",
      env: "ROTATE_NPM_EXPIRES_DAYS",
      kind: "number",
      describe: "days until the new token expires (npm allows at most 90 for write tokens)",
      default: 90,
    },
    ipRanges: {
      flag: "--ip-ranges",
      env: "ROTATE_NPM_IP_RANGES",
      kind: "list",
      describe: "IPv4 ranges (CIDR) the token may be used from (comma list; default: anywhere)",
    },
    via: {
      flag: "--via",
      env: "ROTATE_NPM_VIA",
      kind: "string",
      describe: "how tokens are managed: api (the registry's token API) or website (npmjs.com's pages)",
      default: "api",
    },
    websiteUrl: { flag: "--npm-url", env: "ROTATE_NPM_URL", kind: "url", describe: "npm website URL", default: "https://www.npmjs.com" },
    registryUrl: {
      flag: "--npm-registry-url",
      env: "ROTATE_NPM_REGISTRY_URL",
      kind: "url",
      describe: "npm registry URL (default: npm config get registry)",
    },
  },
};

export const npm = defineRegistry({
  id: "npm",
  title: "npm",
  defaultEnvVar: "NPM_TOKEN",
  section,
  // npm_ and 36 base62 characters, the last six a checksum (docs/sites/npm.md, "Token format").
  tokenPattern: /npm_[A-Za-z0-9]{36}/,
  // What the real pages load besides the site itself; the browser guard lets these serve
  // subresources only (anything else, analytics or ads, is refused at the cost of some styling).
  assetOrigins: [
    {
      origin: "https://static-production.npmjs.com",
      why: "the website's stylesheets, scripts and images",
      source:
        'www.npmjs.com page markup (<link rel=stylesheet href="https://static-production.npmjs.com/styles.<hash>.css">, its <script> and <img> tags)',
    },
    {
      origin: "https://challenges.cloudflare.com",
      why: "the bot check a responder may have to pass in the visible browser (www.npmjs.com sits behind Cloudflare bot management)",
      source:
        'Cloudflare Turnstile docs, "Content Security Policy": script-src and frame-src https://challenges.cloudflare.com (developers.cloudflare.com/turnstile/reference/content-security-policy)',
    },
  ],
  initQuestions: [
    {
      key: "packages",
      message: "npm packages and scopes the token may publish (comma list):",
      detect: async (cwd) => (await import("./project.js")).detectNpmPackages(cwd),
    },
    { key: "username", message: "npm account username:", optional: true },
    {
      key: "permission",
      message: "Which kind of npm token should CircleCI get?",
      note: `${JANUARY_2027}. A stage-only token cannot publish by itself: CircleCI runs \`npm stage publish\` and a maintainer approves each version on npmjs.com. Better still, trusted publishing needs no token at all: \`rotate trust npm\`.`,
      choices: [
        { name: "publish (CircleCI publishes directly; stops working in January 2027)", value: "publish" },
        { name: "stage-only (npm stage publish; a maintainer approves each version)", value: "stage-only" },
      ],
    },
  ],
  // NPM_TOKEN (npm's CI docs), NODE_AUTH_TOKEN (what actions/setup-node's .npmrc reads, often
  // copied into CircleCI), and the prefixed and suffixed forms teams give a second token.
  discovery: {
    variableNames: /^(?:NODE_AUTH_TOKEN|(?:[A-Z0-9_]+_)?NPM(?:_[A-Z0-9_]+)?_TOKEN)$/i,
    says: "NPM_TOKEN, NODE_AUTH_TOKEN, NPM_*_TOKEN, *_NPM_TOKEN",
    scopeSetting: "packages",
  },
  passwordReset: async () => (await import("./password.js")).npmPasswordReset,
  statusNotes: (settings) => advisories({ permission: settings.permission === "stage-only" ? "stage-only" : "publish" }),
  load: async () => (await import("./flow.js")).npmImplementation,
  // npm accepts CircleCI's OIDC id tokens as trusted publishers (docs/sites/npm.md, "Trusted publishing from CircleCI").
  trust: {
    settingKeys: ["envVar", "packages", "username", "websiteUrl", "registryUrl"],
    // A new configuration stages only unless publishing is opted into (docs/sites/npm.md, "Trusted publishing from CircleCI").
    allow: {
      stage: {
        actions: ["createStagedPackage"],
        says: "npm stage publish",
        means:
          "the job stages each version; a maintainer approves it with 2FA on npmjs.com before it is published (npm's default and advice)",
      },
      publish: { actions: ["createPackage"], says: "npm publish", means: "the job publishes each version directly; nobody approves it" },
      both: {
        actions: ["createPackage", "createStagedPackage"],
        says: "both",
        means: "the job may publish directly or stage for approval",
      },
    },
    defaultAllow: "stage",
    packagesOnly,
    load: async () => (await import("./trust-capability.js")).npmTrust,
  },
});
