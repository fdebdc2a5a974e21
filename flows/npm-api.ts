// npm through its registry's API, as `npm login --auth-type=web` and `npm token` do it
// (docs/sites/npm.md, "Web login", "Tokens API", "One-time codes"): the registry hands out a
// login URL, the person signs in there in the isolated browser (rotate fills what it knows:
// username, password, a one-time code; a security key or a captcha stays with the person), the
// done URL yields a session token, and the token list, create and delete go through the API with
// one-time codes in the `npm-otp` header. The session token is revoked when the run ends.
import type { AxiosResponse } from "axios";
import { z } from "zod";
import { NothingChangedError, RegistryError } from "../src/errors.js";
import { createHttp } from "../src/http.js";
import { inert } from "../src/inert.js";
import type { CreatedToken, FlowContext, RegistryAccount, TokenSummary } from "../src/registry.js";
import { abortableSleep } from "../src/retry.js";
import { Secret } from "../src/secret.js";
import type { NpmSettings } from "./npm.js";
import { signInOnWebsite } from "./npm-website.js";

interface Ctx extends FlowContext {
  settings: NpmSettings;
}

const LoginStart = z.object({ loginUrl: z.url({ protocol: /^https?$/ }), doneUrl: z.url({ protocol: /^https?$/ }) });
const DoneAnswer = z.object({ token: z.string().min(1) });
const WebOtpChallenge = z.object({ authUrl: z.url({ protocol: /^https?$/ }), doneUrl: z.url({ protocol: /^https?$/ }) });
const ListedToken = z.object({
  key: z.string(),
  name: z.string().nullish(),
  token: z.string(),
  expiry: z.string().nullish(),
  created: z.string().nullish(),
});
const TokenList = z.object({ objects: z.array(ListedToken), urls: z.object({ next: z.string().nullish() }).partial().nullish() });
const CreatedAnswer = z.object({ key: z.string(), name: z.string().nullish(), token: z.string(), expiry: z.string().nullish() });

/** The redacted form in lists: the first eight characters, three dots, the last four. */
const REDACTED = /^(npm_\w{4})\.\.\.(\w{4})$/;
/** How long a person may take to sign in or touch a key before rotate gives up waiting. */
const HUMAN_DEADLINE_MS = 10 * 60_000;
/** npm re-polls at once when Retry-After is missing; a floor keeps rotate from hammering. */
const MIN_POLL_MS = 1_000;
const MAX_POLL_MS = 10_000;
const MAX_LIST_PAGES = 100;
const OTP_TRIES = 3;

const dateOf = (text: string | null | undefined) => {
  const date = text ? new Date(text) : undefined;
  return date && !Number.isNaN(date.getTime()) ? date : undefined;
};

async function http() {
  return createHttp({ timeout: 30_000, maxRedirects: 0, validateStatus: () => true, headers: { "Cache-Control": "no-cache" } });
}

/**
 * Polls a done URL as npm's client does: 202 with Retry-After (seconds) while the person is at
 * the browser, 200 with `token` when done; anything else is an invalid answer.
 */
async function pollDone(doneUrl: string, what: string, signal: AbortSignal): Promise<Secret> {
  const client = await http();
  const deadline = Date.now() + HUMAN_DEADLINE_MS;
  for (;;) {
    const answer = await client.get(doneUrl, { signal });
    if (answer.status === 200) {
      const done = DoneAnswer.safeParse(answer.data);
      if (!done.success) throw new RegistryError(`the npm registry's answer to ${what} carried no token: try again, or use --via website`);
      return new Secret(done.data.token, what);
    }
    if (answer.status !== 202) throw new RegistryError(`the npm registry answered ${answer.status} while rotate waited for ${what}: try again, or use --via website`);
    if (Date.now() > deadline) throw new NothingChangedError(`${what} did not arrive within ${HUMAN_DEADLINE_MS / 60_000} minutes: run again and finish in the browser window sooner`);
    const seconds = Number(answer.headers["retry-after"]);
    const wait = Math.min(MAX_POLL_MS, Math.max(MIN_POLL_MS, Number.isFinite(seconds) ? seconds * 1000 : 0));
    await abortableSleep(wait, signal);
  }
}

/** A URL the registry told us to open must be on npm's website, as configured. */
function checkOnWebsite(target: string, ctx: Ctx, what: string): void {
  const expected = new URL(ctx.settings.websiteUrl).origin;
  const origin = new URL(target).origin;
  if (origin !== expected) {
    throw new RegistryError(
      `the npm registry sent the ${what} to ${origin}, not to npm's website ${expected}, so rotate did not open it: check --npm-registry-url, or pass --npm-url if your registry's website really is there`,
    );
  }
}

/** Web login (docs/sites/npm.md, "Web login"): the browser signs in, the registry hands over a session token. */
export async function signInThroughApi(ctx: Ctx): Promise<RegistryAccount> {
  const client = await http();
  const start = await client.post(new URL("/-/v1/login", ctx.settings.registryUrl).toString(), {}, {
    headers: { "npm-auth-type": "web", "npm-command": "login" },
    signal: ctx.signal,
  });
  const urls = LoginStart.safeParse(start.data);
  if (start.status !== 200 || !urls.success) {
    throw new RegistryError(`the npm registry offers no web login (it answered ${start.status}): use --via website to rotate through npm's pages`);
  }
  checkOnWebsite(urls.data.loginUrl, ctx, "login page");
  const sessionToken = pollDone(urls.data.doneUrl, "npm session token", ctx.signal);
  sessionToken.catch(() => undefined); // awaited below, or abandoned when the sign-in fails
  await signInOnWebsite(ctx.browser.page, ctx, urls.data.loginUrl);
  const token = await ctx.steps.awaitOrHandOff("npm's confirmation of the sign-in", sessionToken, {
    instruction: "finish signing in in the browser window (npm shows something rotate does not know how to answer)",
    until: () => sessionToken,
  });
  return new NpmApiAccount(ctx, token);
}

type OtpAnswer = { kind: "ok"; response: AxiosResponse } | { kind: "code-needed"; response: AxiosResponse };

/** The signed-in account, through the registry's tokens API with the session token. */
class NpmApiAccount implements RegistryAccount {
  private signedOut = false;

  constructor(
    private readonly ctx: Ctx,
    private readonly session: Secret,
  ) {}

  private url(path: string): string {
    return new URL(path, this.ctx.settings.registryUrl).toString();
  }

  private async send(method: "GET" | "POST" | "DELETE", url: string, options: { body?: unknown; otp?: Secret } = {}): Promise<OtpAnswer> {
    const client = await http();
    const response = await client.request({
      method,
      url,
      data: options.body,
      signal: this.ctx.signal,
      headers: {
        Authorization: this.session.derive((raw) => `Bearer ${raw}`),
        // Both, so an account with only a security key gets the web OTP answer (authUrl, doneUrl).
        "npm-auth-type": "web",
        "npm-command": "token",
        ...(options.otp ? { "npm-otp": options.otp.reveal() } : {}),
      },
    });
    return { kind: isOtpChallenge(response) ? "code-needed" : "ok", response };
  }

  /**
   * npm's otplease: run the call, recognise the one-time-code challenge, get a code (web OTP
   * through the browser for a security key, else the responder's or the TOTP secret's), retry;
   * a refused code asks for a fresh one, three tries in all.
   */
  private async withOtp(method: "GET" | "POST" | "DELETE", path: string, what: string, body?: unknown): Promise<AxiosResponse> {
    const url = this.url(path);
    let answer = await this.send(method, url, { body });
    for (let tries = 0; answer.kind === "code-needed"; tries++) {
      if (tries >= OTP_TRIES) throw new RegistryError(`npm refused the one-time code ${OTP_TRIES} times while ${what}: check the authenticator entry or ROTATE_NPM_TOTP_SECRET, then rerun`);
      if (tries > 0 && !this.ctx.credentials.otpRefused()) {
        throw new RegistryError(`npm refused the one-time code while ${what}: check the authenticator entry or ROTATE_NPM_TOTP_SECRET, then rerun`);
      }
      const otp = await this.code(answer.response, what);
      answer = await this.send(method, url, { body, otp });
    }
    if (answer.response.status === 401) throw new RegistryError(`the npm registry no longer accepts this run's session while ${what} (401): run rotate npm again`);
    return answer.response;
  }

  private async code(challenge: AxiosResponse, what: string): Promise<Secret> {
    const web = WebOtpChallenge.safeParse(challenge.data);
    if (!web.success) return this.ctx.credentials.otp();
    checkOnWebsite(web.data.authUrl, this.ctx, "security-key page");
    const code = pollDone(web.data.doneUrl, "npm one-time code", this.ctx.signal);
    code.catch(() => undefined);
    await this.ctx.browser.page.goto(web.data.authUrl);
    return this.ctx.steps.handOff(`npm wants the account's security key ${what}`, {
      instruction: 'press "Use security key" and touch your key',
      until: () => code,
    });
  }

  async checkScope(): Promise<void> {
    const client = await http();
    const username = await this.ctx.credentials.username();
    for (const item of this.ctx.settings.packages.filter((p) => !isScope(p))) {
      const answer = await client.get(this.url(`/${encodePackage(item)}`), { signal: this.ctx.signal });
      if (answer.status === 404) throw new RegistryError(`npm has no package ${item}: check --npm-packages`);
      const maintainers = z.object({ maintainers: z.array(z.object({ name: z.string() })) }).safeParse(answer.data);
      if (answer.status === 200 && maintainers.success && !maintainers.data.maintainers.some((m) => m.name === username)) {
        throw new RegistryError(`npm account ${username} cannot grant ${item} (it is not a maintainer): check --npm-packages, or have an owner add the account as a maintainer`);
      }
    }
  }

  async listTokens(): Promise<TokenSummary[]> {
    const tokens: TokenSummary[] = [];
    const seen = new Set<string>();
    let next: string | undefined = "/-/npm/v1/tokens?perPage=100";
    while (next) {
      if (seen.has(next) || seen.size >= MAX_LIST_PAGES) throw new RegistryError("the npm registry's token list does not end (a page repeats): try again later, or use --via website");
      seen.add(next);
      const response = await this.withOtp("GET", next, "listing tokens");
      const page = TokenList.safeParse(response.data);
      if (response.status !== 200 || !page.success) throw new RegistryError(`the npm registry answered ${response.status} to the token list: try again later, or use --via website`);
      for (const item of page.data.objects) {
        const shown = REDACTED.exec(item.token);
        const expires = dateOf(item.expiry);
        const created = dateOf(item.created);
        tokens.push({
          id: item.key,
          name: item.name ?? item.token,
          ...(shown ? { shownPrefix: shown[1], last4: shown[2] } : {}),
          ...(expires ? { expires } : {}),
          ...(created ? { created } : {}),
        });
      }
      // `next` may be relative; it is resolved against the registry below.
      next = page.data.urls?.next ?? undefined;
    }
    return tokens;
  }

  async createToken(name: string): Promise<CreatedToken> {
    const { settings } = this.ctx;
    const body = {
      name,
      password: (await this.ctx.credentials.password()).reveal(),
      // `description` and `cidr_whitelist` are the spellings npm's own client sends and the
      // registry demonstrably accepts (docs/sites/npm.md, "Field names").
      description: "CircleCI publishing token, made by rotate",
      packages: settings.packages.filter((p) => !isScope(p)),
      scopes: settings.packages.filter(isScope),
      packages_and_scopes_permission: settings.permission === "publish" ? "read-write" : "read-write-stage-only",
      expires: settings.expiresDays,
      bypass_2fa: true,
      ...(settings.ipRanges ? { cidr_whitelist: settings.ipRanges } : {}),
    };
    const response = await this.withOtp("POST", "/-/npm/v1/tokens", "creating the token", body);
    const created = CreatedAnswer.safeParse(response.data);
    if (response.status !== 201 || !created.success) throw new RegistryError(`npm refused to create the token (${response.status}${errorText(response)}): nothing was created`);
    const value = new Secret(created.data.token, "npm token", { showLast4: true });
    const expires = dateOf(created.data.expiry);
    const shown = REDACTED.exec(`${value.reveal().slice(0, 8)}...${value.last4}`);
    return {
      summary: { id: created.data.key, name, ...(shown ? { shownPrefix: shown[1], last4: shown[2] } : {}), ...(expires ? { expires } : {}) },
      value,
      ...(expires ? { expires } : {}),
    };
  }

  async deleteToken(token: TokenSummary, value?: Secret): Promise<void> {
    // By value when the responder gave it (exact), else by the list's key; never the redacted form.
    const id = value ? value.derive((raw) => encodeURIComponent(raw)) : encodeURIComponent(token.id);
    const response = await this.withOtp("DELETE", `/-/npm/v1/tokens/token/${id}`, `deleting token "${token.name}"`);
    if (response.status !== 204 && response.status !== 200) throw new RegistryError(`npm refused to delete token "${token.name}" (${response.status}${errorText(response)})`);
  }

  async forCleanUp(): Promise<RegistryAccount> {
    // HTTP calls need no browser: clean-up works even when the window is gone.
    return this;
  }

  /** npm logout: the registry ends the session, so the session token dies with the run. */
  async signOut(): Promise<void> {
    if (this.signedOut) return;
    this.signedOut = true;
    const client = await http();
    await client.delete(this.url(`/-/user/token/${this.session.derive((raw) => encodeURIComponent(raw))}`), {
      headers: { Authorization: this.session.derive((raw) => `Bearer ${raw}`) },
    });
  }
}

/** A 401 that asks for a one-time code: `www-authenticate: OTP`, or npm's "one-time pass" text. */
function isOtpChallenge(response: AxiosResponse): boolean {
  if (response.status !== 401) return false;
  const header = String(response.headers["www-authenticate"] ?? "").toLowerCase().split(",").map((s) => s.trim());
  if (header.includes("otp")) return true;
  const text = JSON.stringify(response.data ?? "").toLowerCase();
  return text.includes("one-time pass") || text.includes("one time password");
}

function errorText(response: AxiosResponse): string {
  const parsed = z.object({ error: z.string() }).or(z.object({ message: z.string() })).safeParse(response.data);
  if (!parsed.success) return "";
  return `: ${inert("error" in parsed.data ? parsed.data.error : parsed.data.message)}`;
}

/** "@scope" alone is a scope; "@scope/name" and "name" are packages. */
function isScope(item: string): boolean {
  return item.startsWith("@") && !item.includes("/");
}

/** npm's escaped name: a scoped package's slash is encoded. */
function encodePackage(name: string): string {
  return name.startsWith("@") ? `@${encodeURIComponent(name.slice(1))}` : encodeURIComponent(name);
}
