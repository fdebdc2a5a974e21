// npmjs.com's pages, as a person does it (docs/sites/npm.md, "Website token pages"): sign in
// with password and a one-time code (or a security key, by hand), read the access tokens list,
// generate a granular token with the configured permission on just the configured packages, copy
// it from the page, and delete a token with its × and the browser's confirm dialog. The default
// path is the registry's token API (api.ts); this one is `--via website`, for when the API
// path is refused.
import type { Locator, Page } from "playwright";
import { CHALLENGED, withChallenge } from "../../src/browser/challenge.js";
import { RegistryError } from "../../src/errors.js";
import { submitForm, texts, whichAppears } from "../../src/browser/page-outcome.js";
import {
  pageAccountForCleanUp,
  type CreatedToken,
  type FlowContext,
  type RegistryAccount,
  type TokenSummary,
} from "../../src/rotation/capability.js";
import { readSecretByFormat } from "../../src/browser/page-secrets.js";
import type { Secret } from "../../src/secrets/secret.js";
import type { NpmSettings } from "./settings.js";
import { permissionText } from "./policy.js";

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
    const cooldown = page.getByRole("checkbox", {
      name: /(don.t|do not) (ask|challenge|prompt)|skip .*(2fa|two-factor|one-time)|5 minutes/i,
    });
    if (await cooldown.isVisible()) await cooldown.check();
    await page.getByRole("button", { name: /^(verify|continue|submit)$/i }).click();
    const outcome = await Promise.race([
      page.waitForURL((u) => !u.pathname.startsWith("/login/otp") && !u.pathname.startsWith("/escalate/")).then(() => "moved" as const),
      page
        .getByRole("alert")
        .waitFor()
        .then(() => "refused" as const),
    ]);
    if (outcome === "moved") return;
    const said = await texts(page.getByRole("alert"));
    if (!ctx.credentials.otpRefused()) {
      throw new RegistryError(
        `npm rejected the one-time password ${why} (${said}): check the authenticator entry or ROTATE_NPM_TOTP_SECRET, then rerun`,
      );
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

  /**
   * Returns the second factor the account used: a one-time code, or a security key. `recognised`
   * hears it the moment the page shows which (a waiting caller may finish before this returns).
   */
  async signIn(
    ctx: Ctx,
    startUrl = url(ctx, "/login"),
    recognised: (factor: SecondFactor) => void = () => undefined,
  ): Promise<SecondFactor> {
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
        throw new RegistryError(
          `npm refused the sign-in for ${username} (${said}): check the username and ROTATE_NPM_PASSWORD or what you typed, then rerun`,
        );
      }
      ctx.steps.note(`npm refused the sign-in (${said}); try the password again`);
    }
    if (outcome === "otp") {
      recognised("code");
      await enterOtp(page, ctx, "at sign-in");
      return "code";
    }
    recognised("securityKey");
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
export function signInOnWebsite(
  page: Page,
  ctx: Ctx,
  startUrl: string,
  recognised?: (factor: SecondFactor) => void,
): Promise<SecondFactor> {
  return new LoginPage(page).signIn(ctx, startUrl, recognised);
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

/** A token as npm shows it: its first eight and last four characters (docs/sites/npm.md, "Token pages"). */
const TOKEN_FORMAT = { label: "npm token", pattern: /npm_[A-Za-z0-9]{36}/ };
const REDACTED = /(npm_\w{4})\.\.\.(\w{4})/;

/** /settings/~/tokens: the list, with each token's first and last four characters. */
class TokensPage {
  readonly rows: Locator;
  constructor(private readonly page: Page) {
    this.rows = page.getByRole("row").filter({ hasText: REDACTED });
  }

  open(ctx: Ctx): Promise<void> {
    return openSettingsPage(this.page, ctx, "/settings/~/tokens", 'the "Access Tokens" page', this.heading());
  }

  /** Opens the list unless the page shows it already: a delete's redirect lands on it, fresh. */
  async show(ctx: Ctx): Promise<void> {
    const onList = /^\/settings\/[^/]+\/tokens\/?$/.test(new URL(this.page.url()).pathname);
    if (!onList || !(await this.heading().isVisible())) await this.open(ctx);
  }

  private heading(): Locator {
    return this.page.getByRole("heading", { name: "Access Tokens" });
  }

  /**
   * The whole table in one evaluation, read by what each cell says (its text content, whatever a
   * stylesheet hides or the window's width wraps), columns found by their headers. Through
   * page.evaluate(), not a locator's evaluate(): see page-secrets.ts on the cost of the latter.
   */
  async tokens(): Promise<TokenSummary[]> {
    await this.page.getByRole("table").first().waitFor(); // a page that renders its list late
    const tables = await this.page.evaluate(() =>
      [...document.querySelectorAll("table")].map((element) => ({
        headers: [...element.querySelectorAll("th")].map((th) => (th.textContent ?? "").trim().toLowerCase()),
        rows: [...element.querySelectorAll("tbody tr")].map((tr) =>
          [...tr.querySelectorAll("td")].map((td) => (td.textContent ?? "").replace(/\s+/g, " ").trim()),
        ),
      })),
    );
    const [table] = tables;
    if (!table || tables.length > 1) throw new Error(`the access tokens page shows ${tables.length} tables, not the one list rotate reads`);
    return table.rows.flatMap((cells) => {
      const cell = (header: string) => cells[table.headers.indexOf(header)];
      const redacted = REDACTED.exec(cells.join(" "));
      if (!redacted) return [];
      const expires = new Date(`${cell("expires")?.replace(/\s*\(expired\)$/, "")} UTC`);
      return [
        {
          id: redacted[0],
          name: cell("name") || redacted[0],
          shownPrefix: redacted[1] ?? "",
          last4: redacted[2] ?? "",
          ...(Number.isNaN(expires.getTime()) ? {} : { expires }),
        },
      ];
    });
  }

  /**
   * The new token, shown once at the top of the page after it was generated: found by its format
   * wherever the page shows it (a <code>, a read-only box), read without passing through a locator.
   */
  newToken(ctx: Ctx): Promise<Secret> {
    return ctx.steps.expect("the new token at the top of the page", () => readSecretByFormat(this.page, TOKEN_FORMAT));
  }

  async delete(ctx: Ctx, token: TokenSummary): Promise<void> {
    const { page } = this;
    await withChallenge(
      async () => {
        await this.show(ctx);
        const row = this.rows.filter({ hasText: token.id });
        // Done already: an escalation that completed the delete it interrupted.
        if ((await row.count()) === 0) return undefined;
        // npm asks "Confirm the deletion when prompted" with the browser's own dialog.
        page.once("dialog", (dialog) => void dialog.accept());
        await submitForm(
          page,
          () =>
            ctx.steps.expect(`the × of token "${token.name}"`, () => row.getByRole("button", { name: /delete|remove|revoke/i }).click()),
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

/**
 * The options of a dropdown, however it is built, opened first when they are not on the page:
 * some dropdowns render their options only while open. A native <select> is read as it is.
 */
async function openOptions(group: Locator): Promise<{ names: string[]; pick: (name: string) => Promise<void> }> {
  const select = group.locator("select");
  if ((await select.count()) === 1) {
    const names = await select.locator("option").evaluateAll((options) => options.map((o) => (o.textContent ?? "").trim()));
    return { names, pick: async (name) => void (await select.selectOption({ label: name })) };
  }
  const options = group.getByRole("listbox").getByRole("option");
  if ((await options.count()) === 0) {
    // The opener is the control that says it pops up a list (or a <details>' summary).
    const popup = group.locator("[aria-haspopup]");
    await ((await popup.count()) === 1 ? popup : group.locator("details > summary")).click();
    await options.first().waitFor(); // first(): any option shows the list is open; all are read next
  }
  const names = await options.evaluateAll((items) => items.map((o) => (o.textContent ?? "").trim()));
  return { names, pick: (name) => options.filter({ hasText: name }).getByText(name, { exact: true }).click() };
}

/** Chooses the option whose text fits `wanted`; a RegistryError naming what is missing when none does. */
async function choose(group: Locator, wanted: RegExp, what: string): Promise<void> {
  const { names, pick } = await openOptions(group);
  const name = names.find((n) => wanted.test(n));
  if (name === undefined) throw new RegistryError(`npm's form offers no ${what} option (it offers: ${names.join(", ")})`);
  await pick(name);
}

/** /settings/~/tokens/granular-access-tokens/new: each field found by what it says, in whatever order the form shows them. */
class GranularTokenForm {
  constructor(private readonly page: Page) {}

  open(ctx: Ctx): Promise<void> {
    return openSettingsPage(
      this.page,
      ctx,
      "/settings/~/tokens/granular-access-tokens/new",
      "the granular token form",
      this.page.getByLabel("Token name"),
    );
  }

  private get packagesSection(): Locator {
    return this.page.getByRole("group", { name: "Packages and scopes" });
  }

  /** The search box of the package picker: a plain filter, or a combobox that lists only once opened. */
  private get packageSearch(): Locator {
    return this.packagesSection.getByLabel("Select packages and scopes", { exact: true });
  }

  /** Which of the configured packages and scopes the account may not grant. */
  async unavailable(ctx: Ctx): Promise<string[]> {
    await this.packagesSection.getByRole("radio", { name: /only select/i }).check();
    const missing: string[] = [];
    for (const item of ctx.settings.packages) {
      // Typing is what makes a picker list what matches, whatever kind of picker it is.
      await this.packageSearch.fill(item);
      const option = this.packagesSection.getByRole("option", { name: item, exact: true });
      if ((await option.count()) === 0) await option.waitFor({ timeout: 2_000 }).catch(() => missing.push(item));
    }
    await this.packageSearch.fill("");
    return missing;
  }

  async generate(ctx: Ctx, name: string): Promise<void> {
    const { page } = this;
    const { settings } = ctx;
    await page.getByLabel("Token name").fill(name);
    await page.getByLabel("Description").fill(`CircleCI publishing token, made by rotate`);
    // A CI token must publish without a one-time code (docs/sites/npm.md, "Bypass 2FA").
    await page.getByLabel(/bypass two-factor/i).check();

    const packages = this.packagesSection;
    // "Read and write" became "(publish and stage)" / "(stage only)" in Sept 2026.
    const permission =
      settings.permission === "publish" ? /^read and write( \(publish and stage\))?$/i : /^read and write \(stage only\)$/i;
    await choose(packages, permission, `"${permissionText(settings)}" permission`);
    await packages.getByRole("radio", { name: /only select/i }).check();
    for (const item of settings.packages) {
      await this.packageSearch.fill(item);
      await packages.getByRole("option", { name: item, exact: true }).click();
    }

    await this.chooseExpiration(settings.expiresDays);
    const generate = () =>
      ctx.steps.expect('the "Generate token" button', () => page.getByRole("button", { name: /^generate( token)?$/i }).click(), {
        instruction: 'click the button that generates the token (it was labelled "Generate token")',
        until: () => readSecretByFormat(page, { ...TOKEN_FORMAT, timeoutMs: 0 }).then(() => undefined),
      });
    await submitForm(page, generate, "generating the token");
  }

  /** A preset ("30 days") when the page offers exactly that many days, else a custom date. */
  private async chooseExpiration(days: number): Promise<void> {
    const expiration = this.page.getByRole("group", { name: /expiration/i });
    const { names, pick } = await openOptions(expiration);
    const preset = names.find((n) => new RegExp(`^${days} days?$`, "i").test(n));
    const custom = names.find((n) => /^custom/i.test(n));
    if (preset) return pick(preset);
    if (!custom)
      throw new RegistryError(`npm's form offers neither ${days} days nor a custom date for the expiry (it offers: ${names.join(", ")})`);
    await pick(custom);
    const date = new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
    await expiration.getByLabel(/date/i).fill(date);
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
    private readonly release: () => Promise<void> = () => Promise.resolve(),
  ) {}

  static async signIn(page: Page, ctx: Ctx, release?: () => Promise<void>): Promise<NpmWebsiteAccount> {
    await signInOnWebsite(page, ctx, url(ctx, "/login"));
    return new NpmWebsiteAccount(page, ctx, release);
  }

  /** The same page and session, making tokens of another rotation's settings (a fleet signs in once). */
  withSettings(settings: NpmSettings): NpmWebsiteAccount {
    return new NpmWebsiteAccount(this.page, { ...this.ctx, settings }, this.release);
  }

  async checkScope(): Promise<void> {
    const form = new GranularTokenForm(this.page);
    await form.open(this.ctx);
    const missing = await form.unavailable(this.ctx);
    if (missing.length > 0) {
      throw new RegistryError(
        `npm account ${await this.ctx.credentials.username()} cannot grant ${missing.join(", ")}: check --npm-packages, or have an owner add the account as a maintainer`,
      );
    }
  }

  async listTokens(): Promise<TokenSummary[]> {
    const list = new TokensPage(this.page);
    await list.show(this.ctx);
    return list.tokens();
  }

  /**
   * Generate, answering an escalation wherever it comes. An escalation may drop the form or finish
   * it once the code is in: after one, the page and the list say which, so a token is never
   * created twice, and one made without its value being seen is deleted and made again.
   */
  async createToken(name: string): Promise<CreatedToken> {
    const { page, ctx } = this;
    const form = new GranularTokenForm(page);
    const list = new TokensPage(page);
    let value: Secret | undefined;
    for (let attempt = 0; attempt < 2 && !value; attempt++) {
      await form.open(ctx);
      await form.generate(ctx, name);
      const outcome = await this.tokenOr({ escalation: page.getByLabel(/one-time password/i), error: page.getByRole("alert") });
      if (outcome === "error") throw new RegistryError(`npm refused to generate the token: ${await form.errors()}`);
      if (outcome !== "escalation") {
        value = outcome;
        break;
      }
      await escalate(page, ctx, "to generate a token");
      const after = await this.tokenOr({ form: page.getByLabel("Token name"), list: page.getByRole("heading", { name: "Access Tokens" }) });
      if (typeof after !== "string") {
        value = after;
        break;
      }
      // The escalation kept nothing we can read: whatever it made under this name must go first.
      await list.open(ctx);
      for (const unseen of (await list.tokens()).filter((t) => t.name === name)) await list.delete(ctx, unseen);
    }
    if (!value) throw new RegistryError("npm asked for a one-time password again right after one was accepted; sign in again and rerun");
    await list.show(ctx);
    const mine = (await list.tokens()).filter((t) => t.name === name);
    const row = mine.find((t) => t.last4 === value?.last4);
    if (!row) throw new Error(`the new token "${name}" is not in the token list`);
    // A second token under this name (a form sent twice): not the one we hold, so it goes.
    for (const extra of mine.filter((t) => t !== row)) await list.delete(ctx, extra);
    return { summary: row, value, ...(row.expires ? { expires: row.expires } : {}) };
  }

  /** Whichever comes first: the new token shown on the page (read by its format), or one of these. */
  private async tokenOr<K extends string>(others: Record<K, Locator>): Promise<Secret | K> {
    const token = readSecretByFormat(this.page, TOKEN_FORMAT);
    token.catch(() => undefined); // raced below; it times out on its own when something else came
    const other = whichAppears(others);
    other.catch(() => undefined);
    return Promise.race([token, other]);
  }

  deleteToken(token: TokenSummary): Promise<void> {
    return new TokensPage(this.page).delete(this.ctx, token);
  }

  forCleanUp(): Promise<RegistryAccount> {
    return pageAccountForCleanUp(
      this.ctx,
      (page) => new NpmWebsiteAccount(page, this.ctx),
      (fresh) => NpmWebsiteAccount.signIn(fresh.page, { ...this.ctx, browser: fresh }, () => fresh.close()),
    );
  }

  signOut(): Promise<void> {
    return this.release();
  }
}
