// npmjs.com's pages, as a person does it (docs/sites/npm.md, "Website token pages"): sign in
// with password and a one-time code (or a security key, by hand), read the access tokens list,
// generate a granular token with the configured permission on just the configured packages, copy
// it from the page, and delete a token with its × and the browser's confirm dialog. The default
// path is the registry's token API (npm-api.ts); this one is `--via website`, for when the API
// path is refused.
import type { Locator, Page } from "playwright";
import { CHALLENGED, withChallenge } from "../src/challenge.js";
import { RegistryError } from "../src/errors.js";
import { submitForm, texts, whichAppears } from "../src/page-outcome.js";
import type { CreatedToken, FlowContext, RegistryAccount, TokenSummary } from "../src/registry.js";
import { Secret } from "../src/secret.js";
import type { NpmSettings } from "./npm.js";

const PRESET_DAYS = [7, 30, 60, 90];

interface Ctx extends FlowContext {
  settings: NpmSettings;
}

const url = (ctx: Ctx, path: string) => new URL(path, ctx.settings.websiteUrl).toString();

/**
 * The one-time-code step, at sign-in (/login/otp) and at escalation (/escalate/otp) alike. A
 * refused code is asked again on the same page (a typo should not end the run), three tries in all.
 */
async function enterOtp(page: Page, ctx: Ctx, why: string): Promise<void> {
  for (;;) {
    const code = await ctx.credentials.otp();
    await ctx.steps.expect("the one-time password field", () => page.getByLabel(/one-time password/i).fill(code.reveal()));
    // "Don't ask again for 5 minutes": whatever the box says, found by what it means.
    const cooldown = page.getByRole("checkbox", { name: /(don.t|do not) (ask|challenge|prompt)|skip .*(2fa|two-factor|one-time)|5 minutes/i });
    if (await cooldown.isVisible()) await cooldown.check();
    await page.getByRole("button", { name: /^(verify|continue|submit)$/i }).click();
    const outcome = await Promise.race([
      page.waitForURL((u) => !u.pathname.startsWith("/login/otp") && !u.pathname.startsWith("/escalate/")).then(() => "moved" as const),
      page.getByRole("alert").waitFor().then(() => "refused" as const),
    ]);
    if (outcome === "moved") return;
    const said = await texts(page.getByRole("alert"));
    if (!ctx.credentials.otpRefused()) {
      throw new RegistryError(`npm rejected the one-time password ${why} (${said}): check the authenticator entry or ROTATE_NPM_TOTP_SECRET, then rerun`);
    }
    ctx.steps.note(`npm rejected that one-time password (${said}); try again`);
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

  /** Returns the second factor the account used: a one-time code, or a security key. */
  async signIn(ctx: Ctx, startUrl = url(ctx, "/login")): Promise<SecondFactor> {
    const { page } = this;
    await page.goto(startUrl);
    const username = await ctx.credentials.username();
    let outcome: "otp" | "securityKey" | "error";
    // A refused password is asked again in the same browser, three tries in all.
    for (;;) {
      await ctx.steps.expect("the npm sign-in form", () => page.getByLabel(/^username/i).fill(username));
      await page.getByLabel(/^password$/i).fill((await ctx.credentials.password()).reveal());
      await page.getByRole("button", { name: /^sign in$/i }).click();
      outcome = await whichAppears({
        otp: page.getByLabel(/one-time password/i),
        securityKey: page.getByRole("button", { name: /use security key/i }),
        error: page.getByRole("alert"),
      });
      if (outcome !== "error") break;
      const said = await texts(page.getByRole("alert"));
      if (!ctx.credentials.passwordRefused()) {
        throw new RegistryError(`npm refused the sign-in for ${username} (${said}): check the username and ROTATE_NPM_PASSWORD or what you typed, then rerun`);
      }
      ctx.steps.note(`npm refused the sign-in (${said}); try the password again`);
    }
    if (outcome === "otp") {
      await enterOtp(page, ctx, "at sign-in");
      return "code";
    }
    await ctx.steps.handOff("npm asks for the account's security key", {
      instruction: 'press "Use security key" and touch your key',
      until: () => page.waitForURL((u) => !u.pathname.startsWith("/login"), { timeout: 0 }),
    });
    return "securityKey";
  }
}

/** How the account proves itself after the password: a typed code, or a security key by hand. */
export type SecondFactor = "code" | "securityKey";

/** Signs in on npm's login page at `startUrl` (the registry's web login hands one out). */
export function signInOnWebsite(page: Page, ctx: Ctx, startUrl: string): Promise<SecondFactor> {
  return new LoginPage(page).signIn(ctx, startUrl);
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

  async tokens(): Promise<TokenSummary[]> {
    const headers = (await this.page.getByRole("columnheader").allInnerTexts()).map((h) => h.trim().toLowerCase());
    const summaries: TokenSummary[] = [];
    for (const row of await this.rows.all()) {
      const cells = (await row.getByRole("cell").allInnerTexts()).map((c) => c.trim());
      const cell = (header: string) => cells[headers.indexOf(header)];
      const redacted = /(npm_\w{4})\.\.\.(\w{4})/.exec(cells.join(" "));
      if (!redacted) continue;
      const expires = new Date(`${cell("expires")?.replace(/\s*\(expired\)$/, "")} UTC`);
      summaries.push({
        id: redacted[0],
        name: cell("name") ?? redacted[0],
        shownPrefix: redacted[1],
        last4: redacted[2],
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

/** The signed-in account on npmjs.com's pages, on one page of the isolated browser. */
export class NpmWebsiteAccount implements RegistryAccount {
  private constructor(
    private readonly page: Page,
    private readonly ctx: Ctx,
    /** Closes what was opened for this handle alone (a clean-up browser). */
    private readonly release: () => Promise<void> = async () => undefined,
  ) {}

  static async signIn(page: Page, ctx: Ctx, release?: () => Promise<void>): Promise<NpmWebsiteAccount> {
    await signInOnWebsite(page, ctx, url(ctx, "/login"));
    return new NpmWebsiteAccount(page, ctx, release);
  }

  async checkScope(): Promise<void> {
    const form = new GranularTokenForm(this.page);
    await form.open(this.ctx);
    const missing = await form.unavailable(this.ctx);
    if (missing.length > 0) {
      throw new RegistryError(`npm account ${await this.ctx.credentials.username()} cannot grant ${missing.join(", ")}: check --npm-packages, or have an owner add the account as a maintainer`);
    }
  }

  async listTokens(): Promise<TokenSummary[]> {
    const list = new TokensPage(this.page);
    await list.open(this.ctx);
    return list.tokens();
  }

  async createToken(name: string): Promise<CreatedToken> {
    const { page, ctx } = this;
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
    return { summary: row, value, ...(row.expires ? { expires: row.expires } : {}) };
  }

  deleteToken(token: TokenSummary): Promise<void> {
    return new TokensPage(this.page).delete(this.ctx, token);
  }

  /** A second tab of the same session; when the browser is gone, a fresh headless one signed in again. */
  async forCleanUp(): Promise<RegistryAccount> {
    const { browser } = this.ctx;
    if (!browser.lost.aborted) return new NpmWebsiteAccount(await browser.newPage(), this.ctx);
    const fresh = await this.ctx.relaunch();
    return NpmWebsiteAccount.signIn(fresh.page, { ...this.ctx, browser: fresh }, () => fresh.close());
  }

  signOut(): Promise<void> {
    return this.release();
  }
}
