// npmjs.com, as a person does it (reference/npm.md §1, §3, §7a): sign in with password and a
// one-time code (or a security key, by hand), read the access tokens list, generate a granular
// token with read-and-write on just the configured packages, copy it from the top of the page,
// delete a token with its × and the browser's confirm dialog, and ask the registry's
// /-/whoami whether a token is live.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { Locator, Page } from "playwright";
import { z } from "zod";
import { CHALLENGED, withChallenge } from "../src/challenge.js";
import { addSettingOptions, parseSettings, resolveSection, type SettingsSection, type Sources } from "../src/config.js";
import { UsageError } from "../src/errors.js";
import { RegistryError, type CreatedToken, type FlowContext, type Registry, type RegistryFlow, type TokenState, type TokenSummary } from "../src/flow.js";
import { submitForm, texts, whichAppears } from "../src/page-outcome.js";
import { checkRequest } from "../src/registry-http.js";
import { Secret } from "../src/secret.js";

const section: SettingsSection = {
  section: "npm",
  settings: {
    envVar: { flag: "--env-var", env: "ROTATE_NPM_ENV_VAR", kind: "string", describe: "CircleCI variable that holds the npm token", default: "NPM_TOKEN" },
    packages: { flag: "--npm-packages", env: "ROTATE_NPM_PACKAGES", kind: "list", describe: "packages and scopes the new token may publish (comma list, e.g. @mozilla/nimbus-shared,@mozilla)" },
    username: { flag: "--npm-user", env: "ROTATE_NPM_USERNAME", kind: "string", describe: "npm account username" },
    expiresDays: { flag: "--expires-days", env: "ROTATE_NPM_EXPIRES_DAYS", kind: "number", describe: "days until the new token expires (npm allows at most 90 for write tokens)", default: 90 },
    websiteUrl: { flag: "--npm-url", env: "ROTATE_NPM_URL", kind: "url", describe: "npm website URL" },
    registryUrl: { flag: "--npm-registry-url", env: "ROTATE_NPM_REGISTRY_URL", kind: "url", describe: "npm registry URL used to check tokens (default: npm config get registry)" },
  },
};

const NpmSettings = z.object({
  envVar: z.string(),
  packages: z.array(z.string()),
  username: z.string().optional(),
  expiresDays: z.number().int(),
  websiteUrl: z.url(),
  registryUrl: z.url(),
});
export type NpmSettings = z.infer<typeof NpmSettings>;

/** Write tokens may live 90 days at most (reference/npm.md §1.3, changelog 2025-09-29). */
const MAX_WRITE_DAYS = 90;
const PRESET_DAYS = [7, 30, 60, 90];

type Ctx = FlowContext<NpmSettings>;

const url = (ctx: Ctx, path: string) => new URL(path, ctx.settings.websiteUrl).toString();

/** The registry the user's npm uses; never written into this code (it may be a mirror). */
async function npmConfigRegistry(): Promise<string | undefined> {
  try {
    const { stdout } = await promisify(execFile)("npm", ["config", "get", "registry"], { timeout: 15_000, env: { PATH: process.env.PATH, HOME: process.env.HOME } });
    return stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The one-time-code step, at sign-in (/login/otp) and at escalation (/escalate/otp) alike (§3). */
async function enterOtp(page: Page, ctx: Ctx, why: string): Promise<void> {
  const code = await ctx.credentials.otp();
  await ctx.steps.expect("the one-time password field", () => page.getByLabel(/one-time password/i).fill(code.reveal()));
  const cooldown = page.getByLabel(/don.t ask again/i);
  if (await cooldown.isVisible()) await cooldown.check();
  await page.getByRole("button", { name: /^verify$/i }).click();
  const outcome = await Promise.race([
    page.waitForURL((u) => !u.pathname.startsWith("/login/otp") && !u.pathname.startsWith("/escalate/")).then(() => "moved" as const),
    page.getByRole("alert").waitFor().then(() => "refused" as const),
  ]);
  if (outcome === "refused") {
    throw new RegistryError(`npm rejected the one-time password ${why} (${await texts(page.getByRole("alert"))}): check the authenticator entry or ROTATE_NPM_TOTP_SECRET, then rerun`);
  }
}

const isEscalation = (page: Page) => new URL(page.url()).pathname.startsWith("/escalate/");

/** npm wants a fresh code before a sensitive action (the action itself was dropped). */
async function escalate(page: Page, ctx: Ctx, why: string): Promise<void> {
  ctx.steps.note(`npm asks for a one-time password again ${why}`);
  await enterOtp(page, ctx, why);
}

class LoginPage {
  constructor(private readonly page: Page) {}

  async signIn(ctx: Ctx): Promise<void> {
    const { page } = this;
    await page.goto(url(ctx, "/login"));
    const username = await ctx.credentials.username();
    await ctx.steps.expect("the npm sign-in form", () => page.getByLabel(/^username/i).fill(username));
    await page.getByLabel(/^password$/i).fill((await ctx.credentials.password()).reveal());
    await page.getByRole("button", { name: /^sign in$/i }).click();
    const outcome = await whichAppears({
      otp: page.getByLabel(/one-time password/i),
      securityKey: page.getByRole("button", { name: /use security key/i }),
      error: page.getByRole("alert"),
    });
    if (outcome === "error") {
      throw new RegistryError(`npm refused the sign-in for ${username} (${await texts(page.getByRole("alert"))}): check the username and ROTATE_NPM_PASSWORD or what you typed, then rerun`);
    }
    if (outcome === "otp") await enterOtp(page, ctx, "at sign-in");
    if (outcome === "securityKey") {
      await ctx.steps.handOff("npm asks for the account's security key", {
        instruction: 'press "Use security key" and touch your key',
        until: () => page.waitForURL((u) => !u.pathname.startsWith("/login"), { timeout: 0 }),
      });
    }
  }
}

/** Opens an account settings page; when the session has ended, npm shows its sign-in form instead. */
async function openSettingsPage(page: Page, ctx: Ctx, path: string, what: string, ready: Locator): Promise<void> {
  await withChallenge(
    async () => {
      await page.goto(url(ctx, path));
      const outcome = await ctx.steps.expect(what, () => whichAppears({ ready, signedOut: page.locator("#login") }));
      return outcome === "ready" ? undefined : CHALLENGED;
    },
    async () => {
      ctx.steps.note("The npm session ended; signing in again.");
      await new LoginPage(page).signIn(ctx);
    },
    `opening ${what}`,
  );
}

/** /settings/~/tokens: the list, with each token's first and last four characters (§1.4). */
class TokensPage {
  readonly rows: Locator;
  constructor(private readonly page: Page) {
    this.rows = page.getByRole("row").filter({ hasText: /npm_\w{4}\.\.\.\w{4}/ });
  }

  open(ctx: Ctx): Promise<void> {
    return openSettingsPage(this.page, ctx, "/settings/~/tokens", 'the "Access Tokens" page', this.page.getByRole("heading", { name: "Access Tokens" }));
  }

  async tokens(): Promise<Array<TokenSummary & { expires?: Date }>> {
    const headers = (await this.page.getByRole("columnheader").allInnerTexts()).map((h) => h.trim().toLowerCase());
    const summaries: Array<TokenSummary & { expires?: Date }> = [];
    for (const row of await this.rows.all()) {
      const cells = (await row.getByRole("cell").allInnerTexts()).map((c) => c.trim());
      const cell = (header: string) => cells[headers.indexOf(header)];
      const redacted = /npm_\w{4}\.\.\.(\w{4})/.exec(cells.join(" "));
      if (!redacted) continue;
      const expires = new Date(`${cell("expires")?.replace(/\s*\(expired\)$/, "")} UTC`);
      summaries.push({
        id: redacted[0],
        name: cell("name") ?? redacted[0],
        last4: redacted[1],
        ...(Number.isNaN(expires.getTime()) ? {} : { expires }),
      });
    }
    return summaries;
  }

  /** The new token, shown once at the top of the page after it was generated. */
  async newToken(ctx: Ctx): Promise<Secret> {
    const shown = this.page.locator("code").filter({ hasText: /^\s*npm_[A-Za-z0-9]{36}\s*$/ });
    const text = await ctx.steps.expect("the new token at the top of the page", () => shown.innerText());
    return new Secret(text.trim(), "npm token", { showLast4: true });
  }

  async delete(ctx: Ctx, token: TokenSummary): Promise<void> {
    const { page } = this;
    await withChallenge(
      async () => {
        await this.open(ctx);
        const row = this.rows.filter({ hasText: token.id });
        // npm asks "Confirm the deletion when prompted" with the browser's own dialog (§1.4).
        page.once("dialog", (dialog) => void dialog.accept());
        await submitForm(
          page,
          () => ctx.steps.expect(`the × of token "${token.name}"`, () => row.getByRole("button", { name: /delete/i }).click()),
          `deleting token "${token.name}"`,
        );
        if (isEscalation(page)) return CHALLENGED;
        if ((await row.count()) > 0) throw new Error(`npm still lists token "${token.name}" after deleting it`);
        return undefined;
      },
      () => escalate(page, ctx, "to delete a token"),
      "deleting a token",
    );
  }
}

/** /settings/~/tokens/granular-access-tokens/new, the fields in the order the form shows them (§1.3). */
class GranularTokenForm {
  constructor(private readonly page: Page) {}

  open(ctx: Ctx): Promise<void> {
    return openSettingsPage(this.page, ctx, "/settings/~/tokens/granular-access-tokens/new", "the granular token form", this.page.getByLabel("Token name"));
  }

  private get packagesSection(): Locator {
    return this.page.getByRole("group", { name: "Packages and scopes" });
  }

  /** Which of the configured packages and scopes the account may not grant. */
  async unavailable(ctx: Ctx): Promise<string[]> {
    await this.packagesSection.getByRole("radio", { name: "Only select packages and scopes" }).check();
    const offered = (await this.packagesSection.getByRole("option").allInnerTexts()).map((o) => o.trim());
    return ctx.settings.packages.filter((p) => !offered.includes(p));
  }

  async generate(ctx: Ctx, name: string): Promise<void> {
    const { page } = this;
    const { settings } = ctx;
    await page.getByLabel("Token name").fill(name);
    await page.getByLabel("Description").fill(`CircleCI publishing token, made by rotate`);
    // A CI token must publish without a one-time code (§2: bypass-2FA semantics).
    await page.getByLabel(/bypass two-factor/i).check();

    const packages = this.packagesSection;
    await packages.getByText(/^no access$/i).click();
    // "Read and write" became "(publish and stage)" / "(stage only)" in Sept 2026; publishing needs the former.
    await packages.getByRole("option", { name: /^read and write( \(publish and stage\))?$/i }).click();
    await packages.getByRole("radio", { name: "Only select packages and scopes" }).check();
    for (const item of settings.packages) {
      await packages.getByLabel("Select packages and scopes", { exact: true }).fill(item);
      await packages.getByRole("option", { name: item, exact: true }).click();
    }

    await this.chooseExpiration(settings.expiresDays);
    const generate = () =>
      ctx.steps.expect('the "Generate token" button', () => page.getByRole("button", { name: /^generate token$/i }).click(), {
        instruction: 'click the button that generates the token (it was labelled "Generate token")',
        until: () => page.locator("code").filter({ hasText: /^\s*npm_[A-Za-z0-9]{36}\s*$/ }).waitFor({ timeout: 0 }),
      });
    await submitForm(page, generate, "generating the token");
  }

  private async chooseExpiration(days: number): Promise<void> {
    const expiration = this.page.getByRole("group", { name: "Expiration" });
    await expiration.getByRole("button").click();
    if (PRESET_DAYS.includes(days)) {
      await expiration.getByRole("option", { name: `${days} days`, exact: true }).click();
      return;
    }
    await expiration.getByRole("option", { name: "Custom", exact: true }).click();
    const date = new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
    await this.page.getByLabel("Custom expiration date").fill(date);
  }

  async errors(): Promise<string> {
    return texts(this.page.getByRole("alert"));
  }
}

export const npmFlow: RegistryFlow<NpmSettings> = {
  id: "npm",
  title: "npm",
  defaultEnvVar: "NPM_TOKEN",
  origins: (settings) => [settings.websiteUrl],
  reachabilityUrls: (settings) => [settings.websiteUrl, new URL("/-/ping", settings.registryUrl).toString()],
  describeScope: (settings) => `read and write on ${settings.packages.join(", ")}; bypasses 2FA; expires in ${settings.expiresDays} days`,

  validate(settings) {
    if (settings.expiresDays < 1 || settings.expiresDays > MAX_WRITE_DAYS) {
      throw new UsageError(`npm refuses write tokens that live longer than ${MAX_WRITE_DAYS} days (--expires-days ${settings.expiresDays}): choose 1 to ${MAX_WRITE_DAYS}`);
    }
  },

  signIn: (page, ctx) => new LoginPage(page).signIn(ctx),

  async checkScope(page, ctx) {
    const form = new GranularTokenForm(page);
    await form.open(ctx);
    const missing = await form.unavailable(ctx);
    if (missing.length > 0) {
      throw new RegistryError(`npm account ${await ctx.credentials.username()} cannot grant ${missing.join(", ")}: check --npm-packages, or have an owner add the account as a maintainer`);
    }
  },

  async listTokens(page, ctx) {
    const list = new TokensPage(page);
    await list.open(ctx);
    return list.tokens();
  },

  async createToken(page, ctx, name): Promise<CreatedToken> {
    const form = new GranularTokenForm(page);
    const list = new TokensPage(page);
    await withChallenge(
      async () => {
        await form.open(ctx);
        await form.generate(ctx, name);
        const outcome = await whichAppears({
          escalation: page.getByLabel(/one-time password/i),
          created: page.locator("code").filter({ hasText: /^\s*npm_[A-Za-z0-9]{36}\s*$/ }),
          error: page.getByRole("alert"),
        });
        if (outcome === "escalation") return CHALLENGED;
        if (outcome === "error") throw new RegistryError(`npm refused to generate the token: ${await form.errors()}`);
        return undefined;
      },
      () => escalate(page, ctx, "to generate a token"),
      "generating a token",
    );
    const value = await list.newToken(ctx);
    const row = (await list.tokens()).find((t) => t.last4 === value.last4 && t.name === name);
    if (!row) throw new Error(`the new token "${name}" is not in the token list`);
    const { expires, ...summary } = row;
    return { summary, value, ...(expires ? { expires } : {}) };
  },

  deleteToken: (page, ctx, token) => new TokensPage(page).delete(ctx, token),

  /** whoami (§6): 200 with the account's name = live; 401 = dead; 403/429/5xx = no verdict. */
  async check(value, ctx): Promise<TokenState> {
    const response = await checkRequest(
      { method: "GET", url: new URL("/-/whoami", ctx.settings.registryUrl).toString(), headers: { Authorization: value.derive((raw) => `Bearer ${raw}`) } },
      ctx,
    );
    if (response?.status === 401) return "dead";
    const username = (response?.data as { username?: unknown } | undefined)?.username;
    if (response?.status === 200 && username === (await ctx.credentials.username())) return "live";
    return "unknown";
  },
};

export const npm: Registry<NpmSettings> = {
  flow: npmFlow,
  section,
  addOptions: (command) => addSettingOptions(command, section),
  async settings(sources: Sources) {
    const resolved = resolveSection(section, sources);
    resolved.registryUrl ??= await npmConfigRegistry();
    return parseSettings(NpmSettings, resolved, section);
  },
};
