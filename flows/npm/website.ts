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
import { labelledControls, openOptions, type Control, type ControlQuery } from "../../src/browser/labelled-controls.js";
import type { Secret } from "../../src/secrets/secret.js";
import type { NpmSettings } from "./settings.js";
import { expiryGiven, permissionText } from "./policy.js";

/** What the npm flows are handed: the runbook's context, npm's settings, and what the command lets them offer. */
export interface NpmCtx extends FlowContext {
  settings: NpmSettings;
}

const url = (ctx: NpmCtx, path: string) => new URL(path, ctx.settings.websiteUrl).toString();

/** How long npm's browser 2FA step offers to skip 2FA (docs/sites/npm.md, "Five-minute skip window"). */
const SKIP_MINUTES = 5;

/**
 * npm's box on a browser 2FA step that skips 2FA for the next minutes ("don't ask again for 5
 * minutes", `didOptForCooldown`), found by what it says. Ticked only when the person said yes to
 * it this run; never silently.
 */
export async function offerSkipWindow(page: Page, ctx: NpmCtx): Promise<void> {
  if (!ctx.skipTwoFactor) return;
  const box = page.getByRole("checkbox", { name: /(don.t|do not) (ask|challenge|prompt)|skip .*(2fa|two-factor|one-time)|\d+ minutes/i });
  if ((await box.isVisible()) && (await ctx.skipTwoFactor(SKIP_MINUTES))) await box.check();
}

/**
 * The one-time-code step, at sign-in (/login/otp) and at escalation (/escalate/otp) alike. The code
 * in use is tried first (one that worked at sign-in may serve an escalation too [I]); a refused
 * code is asked again on the same page (a typo should not end the run), three tries in all, and
 * one that had worked is followed by the app's next code.
 */
async function enterOtp(page: Page, ctx: NpmCtx, why: string): Promise<void> {
  for (;;) {
    const code = await ctx.credentials.otp({ reuse: true });
    await ctx.steps.expect("the one-time password field", () => page.getByLabel(/one-time password/i).fill(code.reveal()));
    await offerSkipWindow(page, ctx);
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
    const refusal = ctx.credentials.otpRefused();
    if (!refusal) {
      throw new RegistryError(
        `npm rejected the one-time password ${why} (${said}): check the authenticator entry or ROTATE_NPM_TOTP_SECRET, then rerun`,
      );
    }
    if (refusal === "retry") ctx.steps.note(`npm rejected that one-time password (${said}); try again`);
  }
}

const isEscalation = (page: Page) => new URL(page.url()).pathname.startsWith("/escalate/");

/** npm wants a fresh code before a sensitive action (the action itself was dropped). */
async function escalate(page: Page, ctx: NpmCtx, why: string): Promise<void> {
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
    ctx: NpmCtx,
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
    // Done once the key's page has gone (to where `next` says: a CLI login's own page is under /login too).
    await ctx.steps.handOff("npm asks for the account's security key", {
      instruction: 'press "Use security key" and touch your key',
      until: () => page.getByRole("button", { name: /use security key/i }).waitFor({ state: "detached", timeout: 0 }),
    });
    return "securityKey";
  }
}

/** How the account proves itself after the password: a typed code, or a security key by hand. */
export type SecondFactor = "code" | "securityKey";

/** Signs in on npm's login page at `startUrl` (the registry's web login hands one out). */
export function signInOnWebsite(
  page: Page,
  ctx: NpmCtx,
  startUrl: string,
  recognised?: (factor: SecondFactor) => void,
): Promise<SecondFactor> {
  return new LoginPage(page).signIn(ctx, startUrl, recognised);
}

/** Opens an account settings page; when the session has ended, npm shows its sign-in form instead. */
async function openSettingsPage(page: Page, ctx: NpmCtx, path: string, what: string, ready: Locator): Promise<void> {
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

/**
 * /settings/~/tokens: the list, with each token's first and last four characters. An account may
 * hold hundreds: rows are found by the table's own markup and read in one evaluation (a role
 * lookup walks the whole page each time, tens of milliseconds on a long list).
 */
class TokensPage {
  constructor(private readonly page: Page) {}

  private row(token: TokenSummary): Locator {
    return this.page.locator("tbody tr").filter({ hasText: token.id });
  }

  open(ctx: NpmCtx): Promise<void> {
    return openSettingsPage(this.page, ctx, "/settings/~/tokens", 'the "Access Tokens" page', this.heading());
  }

  /** Opens the list unless the page shows it already: a delete's redirect lands on it, fresh. */
  async show(ctx: NpmCtx): Promise<void> {
    const onList = /^\/settings\/[^/]+\/tokens\/?$/.test(new URL(this.page.url()).pathname);
    if (!onList || !(await this.heading().isVisible())) await this.open(ctx);
  }

  /** Any heading element that says "Access Tokens" (by markup: see above on role lookups here). */
  heading(): Locator {
    return this.page.locator(":is(h1, h2, h3, [role=heading])", { hasText: /^\s*Access Tokens\s*$/ });
  }

  /**
   * The whole table in one evaluation, read by what each cell says (its text content, whatever a
   * stylesheet hides or the window's width wraps), columns found by their headers. Through
   * page.evaluate(), not a locator's evaluate(): see page-secrets.ts on the cost of the latter.
   */
  async tokens(): Promise<TokenSummary[]> {
    await this.page.locator("table").first().waitFor(); // a page that renders its list late
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
  newToken(ctx: NpmCtx): Promise<Secret> {
    return ctx.steps.expect("the new token at the top of the page", () => readSecretByFormat(this.page, TOKEN_FORMAT));
  }

  async delete(ctx: NpmCtx, token: TokenSummary): Promise<void> {
    const { page } = this;
    await withChallenge(
      async () => {
        await this.show(ctx);
        // Done already: an escalation that completed the delete it interrupted.
        if (!(await this.tokens()).some((t) => t.id === token.id)) return undefined;
        const row = this.row(token);
        // npm asks "Confirm the deletion when prompted" with the browser's own dialog.
        page.once("dialog", (dialog) => void dialog.accept());
        await submitForm(
          page,
          () =>
            ctx.steps.expect(`the × of token "${token.name}"`, () => row.getByRole("button", { name: /delete|remove|revoke/i }).click()),
          `deleting token "${token.name}"`,
        );
        if (isEscalation(page)) return CHALLENGED;
        // The page the delete lands on, read once: it proves the row gone, and is the list that follows.
        if ((await this.tokens()).some((t) => t.id === token.id))
          throw new Error(`npm still lists token "${token.name}" after deleting it`);
        return undefined;
      },
      () => escalate(page, ctx, "to delete a token"),
      "deleting a token",
    );
  }
}

/** Chooses the option whose text fits `wanted`; a RegistryError naming what is missing when none does. */
async function choose(control: Control, wanted: RegExp, what: string): Promise<void> {
  const { names, pick } = await openOptions(control);
  const name = names.find((n) => wanted.test(n));
  if (name === undefined) throw new RegistryError(`npm's form offers no ${what} option (it offers: ${names.join(", ")})`);
  await pick(name);
}

const FORM = "npm's token form";
const FORM_PATH = "/settings/~/tokens/granular-access-tokens/new";
/** How long a form left open (the plan being read) may still be used rather than loaded afresh. */
const FORM_FRESH_MS = 60_000;

/**
 * Each field by the label the page gives that field (docs/sites/npm.md, "Granular token form"),
 * however it is wrapped: a fieldset, a heading, or nothing at all.
 */
const FIELDS = {
  name: { label: /^token name\b/i },
  description: { label: /^description\b/i },
  // "Bypass two-factor authentication (2FA)", "Allow this token to bypass 2FA": both seen.
  bypass: { label: /bypass (two-factor|2fa)/i },
  // Organizations have a "Permissions" too: this one is in the packages-and-scopes part.
  permission: { label: /^permissions?\b/i, within: /packages and scopes/i },
  packages: { label: /^select packages and scopes$/i },
  expiry: { label: /^(token )?(expiration|expiry|expires)\b(?!.*\bdate\b)/i },
} satisfies Record<string, ControlQuery>;

/** /settings/~/tokens/granular-access-tokens/new: each field found by what it says, in whatever order the form shows them. */
class GranularTokenForm {
  /**
   * The document the form was opened in, and when, and whether the scope check picked the
   * packages in it: the same document, sent nowhere since, may be used again as it stands.
   */
  private opened: { document: number; at: number; picked: boolean } | undefined;
  /** The form shows the packages picked already (the scope check's, in this very document). */
  private packagesPicked = false;

  constructor(private readonly page: Page) {}

  async open(ctx: NpmCtx): Promise<void> {
    await openSettingsPage(this.page, ctx, FORM_PATH, "the granular token form", this.page.getByLabel(FIELDS.name.label));
    this.opened = { document: await this.document(), at: Date.now(), picked: false };
  }

  /**
   * The form as opened moments ago for the scope check, when the page still shows that very
   * document (nothing was sent from it, nothing navigated away), else a fresh one.
   */
  async show(ctx: NpmCtx): Promise<void> {
    const { opened } = this;
    this.opened = undefined;
    const same = opened && Date.now() - opened.at < FORM_FRESH_MS && (await this.document()) === opened.document;
    this.packagesPicked = Boolean(same && opened.picked);
    if (!same) await this.open(ctx);
  }

  /** Which document the page shows: a new one (any navigation) has a new time origin. */
  private document(): Promise<number> {
    return this.page.evaluate(() => performance.timeOrigin);
  }

  private fields() {
    return labelledControls(this.page, FIELDS, FORM);
  }

  private options(picker: Control, item: string): Locator {
    return (picker.listbox ?? this.page).getByRole("option", { name: item, exact: true });
  }

  /**
   * Which of the configured packages and scopes the account may not grant. Each one the picker
   * offers is picked at once, as the create would: the form stays open for it (nothing is sent).
   */
  async unavailable(ctx: NpmCtx): Promise<string[]> {
    const { packages } = await labelledControls(this.page, { packages: FIELDS.packages }, FORM);
    await this.page.getByRole("radio", { name: /only select/i }).check();
    const missing: string[] = [];
    for (const item of ctx.settings.packages) {
      // Typing is what makes a picker list what matches, whatever kind of picker it is.
      await packages.locator.fill(item);
      const option = this.options(packages, item);
      if ((await option.count()) === 0) await option.waitFor({ timeout: 2_000 }).catch(() => missing.push(item));
      if (!missing.includes(item)) await option.click();
    }
    if (this.opened) this.opened.picked = missing.length === 0;
    return missing;
  }

  async generate(ctx: NpmCtx, name: string): Promise<void> {
    const { page } = this;
    const { settings } = ctx;
    this.opened = undefined;
    const fields = await this.fields();
    await fields.name.locator.fill(name);
    await fields.description.locator.fill(`CircleCI publishing token, made by rotate`);
    // A CI token must publish without a one-time code (docs/sites/npm.md, "Bypass 2FA").
    await fields.bypass.locator.check();

    // "Read and write" became "(publish and stage)" / "(stage only)" in Sept 2026.
    const permission =
      settings.permission === "publish" ? /^read and write( \(publish and stage\))?$/i : /^read and write \(stage only\)$/i;
    await choose(fields.permission, permission, `"${permissionText(settings)}" permission`);
    await page.getByRole("radio", { name: /only select/i }).check();
    // Picked already in this very document by the scope check: a second click could unpick one.
    for (const item of this.packagesPicked ? [] : settings.packages) {
      await fields.packages.locator.fill(item);
      await this.options(fields.packages, item).click();
    }

    await this.chooseExpiration(fields.expiry, settings.expiresDays);
    const generate = () =>
      ctx.steps.expect('the "Generate token" button', () => page.getByRole("button", { name: /^generate( token)?$/i }).click(), {
        instruction: 'click the button that generates the token (it was labelled "Generate token")',
        until: () => readSecretByFormat(page, { ...TOKEN_FORMAT, timeoutMs: 0 }).then(() => undefined),
      });
    await submitForm(page, generate, "generating the token");
  }

  /** A preset ("30 days") when the page offers exactly that many days, else a custom date. */
  private async chooseExpiration(expiry: Control, days: number): Promise<void> {
    const { names, pick } = await openOptions(expiry);
    const preset = names.find((n) => new RegExp(`^${days} days?$`, "i").test(n));
    const custom = names.find((n) => /^custom/i.test(n));
    if (preset) return pick(preset);
    if (!custom)
      throw new RegistryError(`npm's form offers neither ${days} days nor a custom date for the expiry (it offers: ${names.join(", ")})`);
    await pick(custom);
    const date = new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
    // The date's field may show only once "Custom" is chosen.
    const { field } = await labelledControls(this.page, { field: { label: /\bdate\b/i } }, FORM);
    await field.locator.fill(date);
  }

  async errors(): Promise<string> {
    return texts(this.page.getByRole("alert"));
  }
}

/** The signed-in account on npmjs.com's pages, on one page of the isolated browser. */
export class NpmWebsiteAccount implements RegistryAccount {
  /** Left open by the scope check, for the create to use while it is still the same page. */
  private readonly form: GranularTokenForm;
  /** The list as the scope check read it, for the inventory that follows at once. */
  private listed: TokenSummary[] | undefined;

  private constructor(
    private readonly page: Page,
    private readonly ctx: NpmCtx,
    /** Closes what was opened for this handle alone (a clean-up browser). */
    private readonly release: () => Promise<void> = () => Promise.resolve(),
  ) {
    this.form = new GranularTokenForm(page);
  }

  static async signIn(page: Page, ctx: NpmCtx, release?: () => Promise<void>): Promise<NpmWebsiteAccount> {
    await signInOnWebsite(page, ctx, url(ctx, "/login"));
    return new NpmWebsiteAccount(page, ctx, release);
  }

  /** The same page and session, making tokens of another rotation's settings (a fleet signs in once). */
  withSettings(settings: NpmSettings): NpmWebsiteAccount {
    return new NpmWebsiteAccount(this.page, { ...this.ctx, settings }, this.release);
  }

  /**
   * The token list first (kept for the inventory that comes next: nothing changes in between),
   * then the form, which stays open for the create: each page is loaded once, as a person would.
   */
  async checkScope(): Promise<void> {
    this.listed = await this.readList();
    await this.form.open(this.ctx);
    const missing = await this.form.unavailable(this.ctx);
    if (missing.length > 0) {
      throw new RegistryError(
        `npm account ${await this.ctx.credentials.username()} cannot grant ${missing.join(", ")}: check --npm-packages, or have an owner add the account as a maintainer`,
      );
    }
  }

  listTokens(): Promise<TokenSummary[]> {
    const listed = this.listed;
    this.listed = undefined;
    return listed ? Promise.resolve(listed) : this.readList();
  }

  private async readList(): Promise<TokenSummary[]> {
    const list = new TokensPage(this.page);
    await list.show(this.ctx);
    return list.tokens();
  }

  /**
   * Generate, answering an escalation wherever it comes. An escalation may drop the form or finish
   * it once the code is in: after one, the page and the list say which, so a token is never
   * created twice, and one made without its value being seen is deleted and made again. A session
   * that ended meanwhile shows the sign-in instead: signed in again, the form is filled afresh.
   */
  async createToken(name: string): Promise<CreatedToken> {
    const { page, ctx, form } = this;
    const list = new TokensPage(page);
    let value: Secret | undefined;
    for (let attempt = 0; attempt < 2 && !value; attempt++) {
      await form.show(ctx);
      await form.generate(ctx, name);
      const outcome = await this.tokenOr({
        escalation: page.getByLabel(/one-time password/i),
        error: page.getByRole("alert"),
        signedOut: page.locator("#login"),
      });
      if (outcome === "error") throw new RegistryError(`npm refused to generate the token: ${await form.errors()}`);
      if (outcome === "signedOut") {
        ctx.steps.note("The npm session ended; signing in again.");
        await new LoginPage(page).signIn(ctx);
        continue;
      }
      if (outcome !== "escalation") {
        value = outcome;
        break;
      }
      await escalate(page, ctx, "to generate a token");
      const after = await this.tokenOr({
        form: page.getByLabel(FIELDS.name.label),
        list: list.heading(),
      });
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
    // The expiry as npm's list shows it, not as it was asked for.
    const given = expiryGiven(ctx.settings, row.expires, new Date());
    if (given) ctx.steps.note(given);
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
