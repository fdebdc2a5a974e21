// `rotate pypi`'s work on pypi.org, loaded when a command runs (index.ts says what the registry
// is). As a person does it (docs/sites/pypi.md): sign in with password and TOTP, read the API
// tokens on Account settings, create a project-scoped token and copy it from the page, remove a
// token through its modal, and ask the upload endpoint whether a token is live. Labels are
// matched in en-US, which the isolated browser forces (Warehouse translates them).
import type { Locator, Page } from "playwright";
import { z } from "zod";
import { CHALLENGED, withChallenge } from "../../src/browser/challenge.js";
import { RegistryError, UsageError } from "../../src/errors.js";
import { submitForm, texts, whichAppears } from "../../src/browser/page-outcome.js";
import { checkRequest } from "../../src/http/checks.js";
import { type RegistryImplementation } from "../../src/registry.js";
import {
  pageAccountForCleanUp,
  type CreatedToken,
  type FlowContext,
  type RegistryAccount,
  type TokenState,
  type TokenSummary,
} from "../../src/rotation/capability.js";
import { readSecretByFormat } from "../../src/browser/page-secrets.js";
import { expiringToken } from "./expiry.js";

const PypiSettings = z.object({
  envVar: z.string(),
  project: z.string(),
  username: z.string().optional(),
  expiresDays: z.number().int().optional(),
  websiteUrl: z.url(),
  uploadUrl: z.url(),
});
export type PypiSettings = z.infer<typeof PypiSettings>;

/** PEP 503 normalisation: token scopes use the normalised project name (docs/sites/pypi.md, "Scopes"). */
export function normalizeProject(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, "-");
}

interface Ctx extends FlowContext {
  settings: PypiSettings;
}

const url = (ctx: Ctx, path: string) => new URL(path, ctx.settings.websiteUrl).toString();

/** "Confirm password to continue" replaces any management page, at the same URL (docs/sites/pypi.md, "Re-authentication"). */
class ReauthPage {
  readonly heading: Locator;
  constructor(private readonly page: Page) {
    this.heading = page.getByRole("heading", { name: "Confirm password to continue" });
  }

  async confirm(ctx: Ctx): Promise<void> {
    const password = await ctx.credentials.password();
    await this.page
      .locator('form[action="/account/reauthenticate/"]')
      .getByLabel(/^Password/)
      .fill(password.reveal());
    await this.page.getByRole("button", { name: "Confirm password" }).click();
    // A wrong password shows no error, only the same page again (docs/sites/pypi.md, "Re-authentication").
    const next = await whichAppears({
      again: this.heading,
      moved: this.page.locator("main h1").filter({ hasNotText: "Confirm password to continue" }),
    });
    if (next === "again")
      throw new RegistryError('PyPI did not accept the password on its "Confirm password" page: check the password and rerun');
  }
}

class LoginPage {
  constructor(private readonly page: Page) {}

  async signIn(ctx: Ctx): Promise<void> {
    const { page } = this;
    const username = await ctx.credentials.username();
    const errors = page.locator("#login-form .form-errors li");
    let outcome: "twoFactor" | "securityKey" | "error" | "signedIn";
    // A refused password is asked again in the same browser, three tries in all.
    for (;;) {
      await ctx.steps.expect("the PyPI login form", () => page.getByLabel(/^Username/).fill(username));
      await page
        .locator("#login-form")
        .getByLabel(/^Password/)
        .fill((await ctx.credentials.password()).reveal());
      await page.getByRole("button", { name: "Log in" }).click();
      outcome = await whichAppears({
        twoFactor: page.locator("#totp-auth-form"),
        securityKey: page.locator("#webauthn-auth-form"),
        error: errors,
        signedIn: page.getByRole("heading", { name: /^(Create API token|Account settings|Your projects|Confirm password to continue)$/ }),
      });
      if (outcome !== "error") break;
      const said = await texts(errors);
      if (!ctx.credentials.passwordRefused()) {
        throw new RegistryError(
          `PyPI refused the sign-in for ${username} (${said}): check the username and ROTATE_PYPI_PASSWORD or what you typed, then rerun`,
        );
      }
      ctx.steps.note(`PyPI refused the sign-in (${said}); try the password again`);
    }
    if (outcome === "twoFactor") await new TwoFactorPage(page).pass(ctx);
    if (outcome === "securityKey") await this.waitForSecurityKey(ctx);
    await this.passNewDeviceCheck(ctx);
  }

  private async waitForSecurityKey(ctx: Ctx): Promise<void> {
    await ctx.steps.handOff("PyPI asks for the security key", {
      instruction: "use your security key",
      until: () => this.page.waitForURL((u) => !u.pathname.startsWith("/account/two-factor/"), { timeout: 0 }),
    });
  }

  /** TOTP from an unknown IP: PyPI emails a link that must be opened from the same IP (docs/sites/pypi.md, "New-device confirmation"). */
  private async passNewDeviceCheck(ctx: Ctx): Promise<void> {
    if (!(await this.page.getByRole("heading", { name: "Please confirm this login" }).isVisible())) return;
    await ctx.steps.handOff("PyPI does not recognise this device and emailed a confirmation link to the account's address", {
      instruction: "open the link from that email in this browser window",
      until: () => this.page.waitForURL((u) => u.pathname.startsWith("/manage/"), { timeout: 0 }),
    });
  }
}

class TwoFactorPage {
  constructor(private readonly page: Page) {}

  /** A refused code is asked again on the same page, three tries in all. */
  async pass(ctx: Ctx): Promise<void> {
    const { page } = this;
    const errors = page.locator("#totp-errors li");
    for (;;) {
      const code = await ctx.credentials.otp();
      await page.getByLabel(/Enter authentication code/).fill(code.reveal());
      await page.locator("#totp-auth-form").getByRole("button", { name: "Verify" }).click();
      const outcome = await whichAppears({
        moved: page.locator("main h1").filter({ hasNotText: "Two-factor authentication" }),
        error: errors,
        lockedOut: page.getByText("too many unsuccessful login attempts"),
        expired: page.getByText("Invalid or expired two factor login."),
      });
      if (outcome === "moved") return;
      if (outcome === "lockedOut")
        throw new RegistryError(
          "PyPI locked the account's sign-in after too many failed codes (429): wait for the time PyPI gives, then rerun",
        );
      if (outcome === "expired")
        throw new RegistryError("PyPI's two-factor step expired (it allows 300 s): rerun and enter the code sooner");
      const said = await texts(errors);
      if (!ctx.credentials.otpRefused()) {
        throw new RegistryError(
          `PyPI rejected the one-time code (${said}): check the authenticator entry or ROTATE_PYPI_TOTP_SECRET, then rerun`,
        );
      }
      ctx.steps.note(`PyPI rejected that one-time code (${said}); try again`);
    }
  }
}

/**
 * Opens a management page, answering what may stand in its way: "Confirm password to
 * continue" (docs/sites/pypi.md, "Re-authentication"), or the login form when the session has ended (a 303 to the login with next=, "Guards on management pages").
 */
async function openManagePage(page: Page, ctx: Ctx, path: string, heading: string): Promise<void> {
  const reauth = new ReauthPage(page);
  const loginForm = page.locator("#login-form");
  await withChallenge(
    async () => {
      await page.goto(url(ctx, path));
      const outcome = await ctx.steps.expect(`the "${heading}" page`, () =>
        whichAppears({ page: page.getByRole("heading", { name: heading }), reauth: reauth.heading, signedOut: loginForm }),
      );
      return outcome === "page" ? undefined : CHALLENGED;
    },
    async () => {
      if (await reauth.heading.isVisible()) return reauth.confirm(ctx);
      ctx.steps.note("The PyPI session ended; signing in again.");
      await new LoginPage(page).signIn(ctx);
    },
    `opening ${heading}`,
  );
}

/** /manage/account/: the API tokens table and each row's remove modal (docs/sites/pypi.md, "Token list (Account settings)" and "Deleting a token"). */
class AccountPage {
  readonly rows: Locator;
  readonly heading: Locator;
  readonly reauth: ReauthPage;

  constructor(private readonly page: Page) {
    this.rows = page.locator("#api-tokens tbody tr");
    this.heading = page.getByRole("heading", { name: "Account settings" });
    this.reauth = new ReauthPage(page);
  }

  open(ctx: Ctx): Promise<void> {
    return openManagePage(this.page, ctx, "/manage/account/", "Account settings");
  }

  /** The page is on screen now (after a delete's redirect): no need to load it. */
  async onScreen(): Promise<boolean> {
    return new URL(this.page.url()).pathname === "/manage/account/" && (await this.heading.isVisible());
  }

  /**
   * The whole table in one evaluation: a round trip per row costs seconds on a busy account. When
   * the page is not on screen, its markup is fetched in the page and read the same way: a busy
   * account's page costs far more to render (every row carries its modals) than to parse, and
   * nothing on it needs a person. A fetch that does not bring the table back (re-authentication,
   * an ended session, a refused redirect) falls back to opening the page, which answers those.
   */
  async tokens(ctx: Ctx): Promise<TokenSummary[]> {
    const onScreen = await this.onScreen();
    let rows = onScreen ? null : await this.page.evaluate(tokenRows, url(ctx, "/manage/account/"));
    if (!rows) {
      if (!onScreen) await this.open(ctx);
      await ctx.steps.expect("the API tokens section on Account settings", () => this.page.locator("#api-tokens").waitFor());
      rows = (await this.page.evaluate(tokenRows, null)) ?? [];
    }
    return rows
      .filter((row) => row.id !== "")
      .map(({ id, name, created }) => ({ id, name, ...(created ? { created: new Date(created) } : {}) }));
  }

  async remove(ctx: Ctx, token: TokenSummary): Promise<void> {
    const { page } = this;
    await withChallenge(
      async () => {
        await this.open(ctx);
        const row = this.rows.filter({ has: page.locator(`input[name="macaroon_id"][value="${token.id}"]`) });
        await ctx.steps.expect(`the row of token "${token.name}"`, () => row.getByRole("button", { name: /options/i }).click());
        await row.getByRole("link", { name: "Remove token" }).click();
        const modal = page.locator(`#remove-API-token--${token.id}`);
        await modal.locator('input[name="confirm_password"]').fill((await ctx.credentials.password()).reveal());
        await submitForm(page, () => modal.getByRole("button", { name: "Remove API token" }).click(), `removing token "${token.name}"`);
        // The removal lands on Account settings with a flash (or on re-authentication).
        const outcome = await ctx.steps.expect('the "Account settings" page', () =>
          whichAppears({ flash: page.locator(".notification-bar__message"), reauth: this.reauth.heading }),
        );
        if (outcome === "reauth") return CHALLENGED;
        const flash = page.locator(".notification-bar__message");
        if ((await flash.filter({ hasText: `Deleted API token '${token.name}'.` }).count()) === 0) {
          throw new Error(`PyPI did not delete the token "${token.name}": it said "${await texts(flash)}"`);
        }
        return undefined;
      },
      () => this.reauth.confirm(ctx),
      "removing a token",
    );
  }
}

/**
 * The rows of `#api-tokens` (runs in the page): of the page on screen when `fetchUrl` is null,
 * else of that page's markup fetched with the session's cookies (null when it holds no such
 * section). Cells are read from the markup, not as rendered: each name cell starts with a label
 * ("Name") that pypi.org's stylesheet shows only on narrow screens (docs/sites/pypi.md, "Token
 * list"), so `innerText` would depend on the window's width. page.evaluate(), not the rows'
 * evaluateAll(): see page-secrets.ts on the cost of the latter.
 */
async function tokenRows(fetchUrl: string | null): Promise<Array<{ id: string; name: string; created: string }> | null> {
  let doc: Document = document;
  if (fetchUrl !== null) {
    try {
      const response = await fetch(fetchUrl, { credentials: "same-origin" });
      if (!response.ok) return null;
      doc = new DOMParser().parseFromString(await response.text(), "text/html");
    } catch {
      return null;
    }
  }
  const section = doc.querySelector("#api-tokens");
  if (!section) return null;
  return [...section.querySelectorAll("tbody tr")].map((tr) => {
    const cell = tr.querySelector('th[scope="row"]')?.cloneNode(true) as Element | undefined;
    cell?.querySelectorAll(".table__mobile-label").forEach((label) => label.remove());
    return {
      id: tr.querySelector('input[name="macaroon_id"]')?.getAttribute("value") ?? "",
      name: cell?.textContent?.trim() ?? "",
      // Created comes before Last used.
      created: tr.querySelector("time")?.getAttribute("datetime") ?? "",
    };
  });
}

/** /manage/account/token/: the create form and, on success, the token shown once (docs/sites/pypi.md, "Creating a token"). */
class CreateTokenPage {
  readonly reauth: ReauthPage;
  readonly nameField: Locator;
  constructor(private readonly page: Page) {
    this.reauth = new ReauthPage(page);
    this.nameField = page.getByLabel("Token name");
  }

  open(ctx: Ctx): Promise<void> {
    return openManagePage(this.page, ctx, "/manage/account/token/", "Create API token");
  }

  /** An empty form is on screen (the scope check's, or where re-auth returned to): fill it, no need to load it again. */
  async blankOnScreen(): Promise<boolean> {
    return (
      new URL(this.page.url()).pathname === "/manage/account/token/" &&
      (await this.page.getByRole("heading", { name: "Create API token" }).isVisible()) &&
      (await this.nameField.isVisible()) &&
      (await this.nameField.inputValue()) === ""
    );
  }

  /** The scopes this account may give a token: "scope:project:<normalised name>" values. */
  /** Whether the "Scope" list offers the project; when it does not, the projects it offers. */
  async offersProject(ctx: Ctx, project: string): Promise<{ offered: true } | { offered: false; projects: string[] }> {
    const scope = this.page.getByLabel("Scope");
    await ctx.steps.expect('the "Scope" list of the token form', () => scope.waitFor());
    const quoted = `scope:project:${project}`.replace(/["\\]/g, "\\$&");
    if ((await scope.locator(`option[value="${quoted}"]`).count()) > 0) return { offered: true };
    const values = await scope.locator("option").evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value));
    return { offered: false, projects: values.filter((v) => v.startsWith("scope:project:")).map((v) => v.slice("scope:project:".length)) };
  }

  async create(ctx: Ctx, name: string): Promise<CreatedToken> {
    const { page } = this;
    const provisioned = page.locator("#provisioned-key");
    return withChallenge(
      async () => {
        if (!(await this.blankOnScreen())) await this.open(ctx);
        await this.nameField.fill(name);
        await page.getByLabel("Scope").selectOption(`scope:project:${normalizeProject(ctx.settings.project)}`);
        const create = () =>
          ctx.steps.expect('the "Create token" button', () => page.getByRole("button", { name: "Create token" }).click(), {
            instruction: 'click the button that creates the token (it was labelled "Create token")',
            until: () => provisioned.waitFor({ timeout: 0 }),
          });
        await submitForm(page, create, "creating the token");
        const outcome = await whichAppears({
          created: provisioned,
          reauth: this.reauth.heading,
          error: page.locator("#create-token ul.form-errors li, #description-errors li, #token_scope-errors li"),
        });
        if (outcome === "reauth") return CHALLENGED;
        if (outcome === "error") {
          throw new Error(
            `PyPI refused to create the token: ${await texts(page.locator("#create-token ul.form-errors li, #description-errors li, #token_scope-errors li"))}`,
          );
        }
        return this.readToken(name);
      },
      () => this.reauth.confirm(ctx),
      "creating the token",
    );
  }

  /** Read once, straight from the page into a Secret; never through the "Copy token" button. */
  private async readToken(name: string): Promise<CreatedToken> {
    // The one value shaped like a PyPI token the page shows (docs/sites/pypi.md, "The token shown once", "Token format"); a second one would be a finding.
    const value = await readSecretByFormat(this.page, { label: "PyPI token", pattern: /pypi-[A-Za-z0-9_-]{20,}/ });
    const removeLink = await this.page.locator("#provisioned-key").getByRole("link", { name: "Remove token" }).getAttribute("href");
    const id = removeLink?.split("#remove-API-token--")[1];
    if (!id) throw new Error('the new token\'s "Remove token" link is missing, so its id is unknown');
    return { summary: { id, name }, value };
  }
}

/** The signed-in account, on one page of the isolated browser. */
class PypiAccount implements RegistryAccount {
  /** The token list as the page last showed it, until this handle creates or deletes a token. */
  private listed: TokenSummary[] | undefined;

  constructor(
    private readonly page: Page,
    private readonly ctx: Ctx,
    /** Closes what was opened for this handle alone (a clean-up browser). */
    private readonly release: () => Promise<void> = () => Promise.resolve(),
  ) {}

  /**
   * Asking for the token form sends us to the login form with next= set (docs/sites/pypi.md,
   * "Guards on management pages"), and back to it: the scope check and the create happen there.
   */
  static async signIn(page: Page, ctx: Ctx, release?: () => Promise<void>): Promise<PypiAccount> {
    await page.goto(url(ctx, "/manage/account/token/"));
    await new LoginPage(page).signIn(ctx);
    return new PypiAccount(page, ctx, release);
  }

  /** After a delete's redirect the account page shows the list: read it there. */
  private async keepListOnScreen(): Promise<void> {
    const accountPage = new AccountPage(this.page);
    this.listed = (await accountPage.onScreen()) ? await accountPage.tokens(this.ctx) : undefined;
  }

  /** The same page and session, making tokens of another rotation's settings (a fleet signs in once). */
  withSettings(settings: PypiSettings): PypiAccount {
    return new PypiAccount(this.page, { ...this.ctx, settings }, this.release);
  }

  async checkScope(): Promise<void> {
    const form = new CreateTokenPage(this.page);
    if (!(await form.blankOnScreen())) await form.open(this.ctx);
    const wanted = normalizeProject(this.ctx.settings.project);
    const scope = await form.offersProject(this.ctx, wanted);
    if (!scope.offered) {
      const username = await this.ctx.credentials.username();
      throw new RegistryError(
        `PyPI account ${username} cannot scope a token to project "${wanted}" (it can: ${scope.projects.join(", ") || "no projects"}): check --pypi-project, or add ${username} as an Owner or Maintainer of the project`,
      );
    }
  }

  async listTokens(): Promise<TokenSummary[]> {
    this.listed ??= await new AccountPage(this.page).tokens(this.ctx);
    return this.listed;
  }

  /** With an expiry set, the token PyPI showed is restricted before it goes anywhere (expiry.ts). */
  async createToken(name: string): Promise<CreatedToken> {
    this.listed = undefined;
    const created = await new CreateTokenPage(this.page).create(this.ctx, name);
    const days = this.ctx.settings.expiresDays;
    return days ? expiringToken(created, days, (this.ctx.clock ?? (() => new Date()))()) : created;
  }

  async deleteToken(token: TokenSummary): Promise<void> {
    this.listed = undefined;
    await new AccountPage(this.page).remove(this.ctx, token);
    await this.keepListOnScreen();
  }

  forCleanUp(): Promise<RegistryAccount> {
    return pageAccountForCleanUp(
      this.ctx,
      (page) => new PypiAccount(page, this.ctx),
      (fresh) => PypiAccount.signIn(fresh.page, { ...this.ctx, browser: fresh }, () => fresh.close()),
    );
  }

  signOut(): Promise<void> {
    return this.release();
  }
}

/** What `rotate pypi` loads when it runs: the settings' schema and the flow bound to them. */
export const pypiImplementation: RegistryImplementation<typeof PypiSettings> = {
  schema: PypiSettings,
  validate(settings) {
    if (settings.expiresDays !== undefined && settings.expiresDays < 0)
      throw new UsageError(`--expires-days ${settings.expiresDays}: give a number of days (0: a token that never expires)`);
  },
  flow: (settings) => ({
    origins: () => [settings.websiteUrl],
    reachabilityUrls: () => [settings.websiteUrl],
    describeScope: () =>
      `upload to project ${normalizeProject(settings.project)} only${settings.expiresDays ? `, expires in ${settings.expiresDays} days` : ""}`,
    publishes: () => [settings.project],
    advisories: () => [],
    signIn: (ctx) => PypiAccount.signIn(ctx.browser.page, { ...ctx, settings }),
    adopt(account) {
      if (account instanceof PypiAccount) return account.withSettings(settings);
      throw new Error("a PyPI rotation was handed another registry's account");
    },

    /** The side-effect-free upload probe (docs/sites/pypi.md, "Upload-endpoint probe"): 400 = the token exists, 403 "Invalid or non-existent…" = gone. */
    async check(value, ctx): Promise<TokenState> {
      const response = await checkRequest(
        {
          method: "POST",
          url: settings.uploadUrl,
          headers: {
            Authorization: value.derive((raw) => `Basic ${Buffer.from(`__token__:${raw}`).toString("base64")}`),
            "Content-Type": "application/x-www-form-urlencoded",
          },
          data: new URLSearchParams({ ":action": "file_upload", protocol_version: "1" }).toString(),
        },
        ctx,
      );
      if (!response) return "unknown";
      const said = `${response.statusText} ${typeof response.data === "string" ? response.data : ""}`;
      if (response.status === 400) return "live";
      if (response.status === 403 && said.includes("Invalid or non-existent authentication information")) return "dead";
      // 403 "Read-only mode" or "uploads are temporarily disabled" is maintenance: no verdict.
      return "unknown";
    },
  }),
};
