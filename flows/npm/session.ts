// A signed-in session with npm's registry, as `npm login --auth-type=web` and npm's otplease make
// one (docs/sites/npm.md, "Web login", "One-time codes on API calls"): the registry hands out a
// login URL, the person signs in there in the isolated browser (rotate fills what it knows:
// username, password, a one-time code; a security key or a captcha stays with the person), and
// the done URL yields a session token. Every API call then carries it, answers a one-time-code
// challenge (typed, computed, or through the browser for a security key), signs in again when the
// session ends, and the session is revoked when the run is over. `rotate npm` and
// `rotate trust npm` both work through it.
import type { AxiosResponse } from "axios";
import { z } from "zod";
import { NeedsHumanError, NothingChangedError, RegistryError } from "../../src/errors.js";
import { createHttp } from "../../src/http/policy.js";
import { abortableSleep } from "../../src/http/retry.js";
import { describeError, Secret } from "../../src/secrets/secret.js";
import { finishCliLogin } from "./cli-login.js";
import { offerSkipWindow, signInOnWebsite, type NpmCtx, type SecondFactor } from "./website.js";

export type { NpmCtx } from "./website.js";

const LoginStart = z.object({ loginUrl: z.url({ protocol: /^https?$/ }), doneUrl: z.url({ protocol: /^https?$/ }) });
const DoneAnswer = z.object({ token: z.string().min(1) });
const WebOtpChallenge = z.object({ authUrl: z.url({ protocol: /^https?$/ }), doneUrl: z.url({ protocol: /^https?$/ }) });
/** How long a person may take to sign in or touch a key before rotate gives up waiting. */
const HUMAN_DEADLINE_MS = 10 * 60_000;
/** npm re-polls at once when Retry-After is missing; a floor keeps rotate from hammering. */
const MIN_POLL_MS = 1_000;
const MAX_POLL_MS = 10_000;
const OTP_TRIES = 3;

/** How long ending a session may take at the end of a run before it is reported as left open. */
const REVOKE_TIMEOUT_MS = 10_000;
/** npm's session tokens live two hours (docs/sites/npm.md, "Session tokens"). */
const SESSION_LIFETIME_MS = 2 * 60 * 60_000;

/**
 * The registry's HTTP client: the session token, one-time codes, the account password and the
 * tokens go to the registry's own origin and nowhere else (src/http/policy.ts).
 */
export function http(registryUrl: string, timeoutMs = 30_000) {
  return createHttp({ timeoutMs, credentialsFor: registryUrl, headers: { "Cache-Control": "no-cache" } });
}

/**
 * Polls a done URL as npm's client does: 202 with Retry-After (seconds) while the person is at
 * the browser, 200 with `token` when done; anything else is an invalid answer.
 */
async function pollDone(ctx: NpmCtx, doneUrl: string, what: string, askNowWhen: Array<Promise<unknown>> = []): Promise<Secret> {
  const { signal } = ctx;
  const client = http(ctx.settings.registryUrl);
  const poll = onRegistry(doneUrl, ctx.settings.registryUrl);
  const deadline = Date.now() + HUMAN_DEADLINE_MS;
  // When rotate itself has just done a step that may finish the login (the sign-in, the page's
  // button), the token may be there: ask at once, not at the registry's next turn (a second each).
  let happened = 0;
  let wake = () => undefined as void;
  for (const event of askNowWhen)
    event.then(
      () => {
        happened++;
        wake();
      },
      () => undefined,
    );
  for (;;) {
    const before = happened;
    const answer = await client.get(poll, { signal });
    if (answer.status === 200) {
      const done = DoneAnswer.safeParse(answer.data);
      if (!done.success) throw new RegistryError(`the npm registry's answer to ${what} carried no token: try again, or use --via website`);
      return new Secret(done.data.token, what);
    }
    if (answer.status !== 202)
      throw new RegistryError(
        `the npm registry answered ${answer.status} while rotate waited for ${what}: try again, or use --via website`,
      );
    if (Date.now() > deadline)
      throw new NothingChangedError(
        `${what} did not arrive within ${HUMAN_DEADLINE_MS / 60_000} minutes: run again and finish in the browser window sooner`,
      );
    if (happened > before) continue; // something happened while asking: ask again at once
    const seconds = Number(answer.headers["retry-after"]);
    const wait = Math.min(MAX_POLL_MS, Math.max(MIN_POLL_MS, Number.isFinite(seconds) ? seconds * 1000 : 0));
    const early = new AbortController();
    wake = () => early.abort();
    await abortableSleep(wait, AbortSignal.any([signal, early.signal])).catch((error: unknown) => {
      if (signal.aborted) throw error;
    });
  }
}

/** A page the registry told us to open must be on npm's website, as configured. */
function checkOnWebsite(target: string, ctx: NpmCtx, what: string): void {
  const expected = new URL(ctx.settings.websiteUrl).origin;
  const origin = new URL(target).origin;
  if (origin !== expected) {
    throw new RegistryError(
      `the npm registry sent the ${what} to ${origin}, not to npm's website ${expected}, so rotate did not open it: check --npm-registry-url, or pass --npm-url if your registry's website really is there`,
    );
  }
}

/**
 * Where to poll a done URL, whose answer is a session token or a code: always the configured
 * registry. One on another origin is moved onto the registry's origin and path prefix, keeping
 * its path and query, as npm's client does when the registry is a proxy (docs/sites/npm.md,
 * "Polling the done URL", proxy rule); npm's client polls any other host as given, which would
 * let that host collect the session token.
 */
export function onRegistry(doneUrl: string, registryUrl: string): string {
  const done = new URL(doneUrl);
  const registry = new URL(registryUrl);
  if (done.origin === registry.origin) return done.toString();
  const prefix = registry.pathname.replace(/\/+$/, "");
  return new URL(`${prefix}${done.pathname}${done.search}`, registry.origin).toString();
}

/**
 * Web login (docs/sites/npm.md, "Web login"): the browser signs in, the registry hands over a
 * session token. A browser already signed in on the website (signing in again after the session
 * ended) shows no form at all: the token then simply arrives.
 */
async function webLogin(ctx: NpmCtx, earlier?: SecondFactor): Promise<{ token: Secret; secondFactor: SecondFactor }> {
  const client = http(ctx.settings.registryUrl);
  const start = await client.post(
    new URL("/-/v1/login", ctx.settings.registryUrl).toString(),
    {},
    {
      headers: { "npm-auth-type": "web", "npm-command": "login" },
      signal: ctx.signal,
    },
  );
  const urls = LoginStart.safeParse(start.data);
  if (start.status !== 200 || !urls.success) {
    throw new RegistryError(
      `the npm registry offers no web login (it answered ${start.status}): use --via website to rotate through npm's pages`,
    );
  }
  checkOnWebsite(urls.data.loginUrl, ctx, "login page");
  let recognised = earlier;
  const signingIn = signInOnWebsite(ctx.browser.page, ctx, urls.data.loginUrl, (factor) => (recognised = factor));
  signingIn.catch(() => undefined); // raced below; a form that never comes does not matter once the token is here
  let pressed = () => undefined as void;
  const pressedNow = new Promise<void>((resolve) => (pressed = resolve));
  const sessionToken = pollDone(ctx, urls.data.doneUrl, "npm session token", [signingIn, pressedNow]);
  sessionToken.catch(() => undefined); // awaited below, or abandoned when the sign-in fails
  // The CLI login's own page may ask for a press: watched from the start, since a browser still
  // signed in on the website (signing in again after the session ended) goes straight there.
  const token = finishCliLogin(ctx.browser.page, ctx.steps, cliLoginPath(urls.data.loginUrl), sessionToken, pressed);
  token.catch(() => undefined); // raced below
  const first = await Promise.race([token.then((value) => ({ token: value })), signingIn.then((secondFactor) => ({ secondFactor }))]);
  // Signed in before rotate saw which second factor npm asked for: the person at the browser gave
  // it (a key touched at once, or a session still open), so the codes for the calls come through the browser too.
  if ("token" in first) return { token: first.token, secondFactor: recognised ?? "securityKey" };
  return { token: await token, secondFactor: first.secondFactor };
}

/** The page the login URL leads to once signed in: its `next` (`/login/cli/<uuid>`), else npm's documented prefix. */
function cliLoginPath(loginUrl: string): string {
  const next = new URL(loginUrl).searchParams.get("next");
  return next?.startsWith("/") ? next : "/login/cli/";
}

type Method = "GET" | "POST" | "DELETE";
type Answer =
  | { kind: "ok"; response: AxiosResponse }
  | { kind: "code-needed"; response: AxiosResponse }
  | { kind: "signed-out"; response: AxiosResponse };

/** A session token this run signed in for: each one is ended with the run. */
interface Opened {
  token: Secret;
  at: Date;
  ended: boolean;
}

export class NpmSession {
  private constructor(
    readonly ctx: NpmCtx,
    private token: Secret,
    /** A security-key account gets its codes through the browser (web OTP); others type them. */
    private readonly secondFactor: SecondFactor,
    /** Every session this run opened (a session that ended is signed in again), shared with the clean-up copy. */
    private readonly opened: Opened[],
  ) {}

  static async open(ctx: NpmCtx): Promise<NpmSession> {
    const { token, secondFactor } = await webLogin(ctx);
    return new NpmSession(ctx, token, secondFactor, [{ token, at: new Date(), ended: false }]);
  }

  /** The same session for clean-up after Ctrl-C: its calls are not cancelled by that signal. */
  forCleanUp(): NpmSession {
    return new NpmSession({ ...this.ctx, signal: new AbortController().signal }, this.token, this.secondFactor, this.opened);
  }

  url(path: string): string {
    return new URL(path, this.ctx.settings.registryUrl).toString();
  }

  private async send(method: Method, url: string, command: string, options: { body?: unknown; otp?: Secret } = {}): Promise<Answer> {
    const client = http(this.ctx.settings.registryUrl);
    const response = await client.request({
      method,
      url,
      data: options.body,
      signal: this.ctx.signal,
      headers: {
        Authorization: this.token.derive((raw) => `Bearer ${raw}`),
        // Both only for a security-key account: they ask for the web OTP answer (authUrl, doneUrl),
        // which npm hands out instead of taking a typed code (docs/sites/npm.md, "One-time codes on API calls").
        ...(this.secondFactor === "securityKey" ? { "npm-auth-type": "web", "npm-command": command } : {}),
        ...(options.otp ? { "npm-otp": options.otp.reveal() } : {}),
      },
    });
    const kind = isOtpChallenge(response) ? "code-needed" : response.status === 401 ? "signed-out" : "ok";
    return { kind, response };
  }

  /**
   * npm's otplease: run the call, recognise the one-time-code challenge, get a code (web OTP
   * through the browser for a security key, else the responder's or the TOTP secret's), retry; a
   * refused code asks for a fresh one, three tries in all. A code that worked goes ahead with the
   * next calls, as npm's client sends one --otp with every call: npm's registry takes a code for
   * several calls while it is valid (docs/sites/npm.md, "One-time codes on API calls"), so a person
   * types as few as the registry allows. Once refused, it is dropped and the call asked again
   * without it, so the registry says how to get the next (it e-mails one, or names the key's page).
   * A session that ended is signed in again, once.
   */
  async request(method: Method, path: string, what: string, options: { body?: unknown; command?: string } = {}): Promise<AxiosResponse> {
    const url = this.url(path);
    const command = options.command ?? "token";
    const { credentials } = this.ctx;
    const call = (otp: Secret | undefined) => this.send(method, url, command, { ...options, ...(otp ? { otp } : {}) });
    let otp = credentials.otpInUse();
    let answer = await call(otp);
    if (answer.kind === "signed-out") {
      this.ctx.steps.note("The npm session ended; signing in again.");
      // A plain 401 may come from a session that still works elsewhere: the first one is ended with the run too.
      ({ token: this.token } = await webLogin(this.ctx, this.secondFactor));
      this.opened.push({ token: this.token, at: new Date(), ended: false });
      otp = credentials.otpInUse();
      answer = await call(otp);
    }
    for (let tries = 1; answer.kind === "code-needed";) {
      if (otp) {
        const refusal = credentials.otpRefused();
        if (refusal === "spent") {
          otp = undefined;
          answer = await call(undefined);
          continue;
        }
        if (!refusal || tries >= OTP_TRIES) {
          throw new RegistryError(
            `npm refused the one-time code while ${what}: check the authenticator entry or ROTATE_NPM_TOTP_SECRET, then rerun`,
          );
        }
        tries++;
        this.ctx.steps.note(`npm refused that one-time code while ${what}; try again`);
      }
      otp = await this.code(answer.response, what);
      answer = await call(otp);
    }
    if (answer.kind === "signed-out")
      throw new RegistryError(`the npm registry no longer accepts this run's session while ${what} (401): run rotate npm again`);
    return answer.response;
  }

  private async code(challenge: AxiosResponse, what: string): Promise<Secret> {
    const web = WebOtpChallenge.safeParse(challenge.data);
    if (!web.success) return this.ctx.credentials.otp();
    checkOnWebsite(web.data.authUrl, this.ctx, "security-key page");
    const code = pollDone(this.ctx, web.data.doneUrl, "npm one-time code");
    code.catch(() => undefined);
    await this.ctx.browser.page.goto(web.data.authUrl);
    await offerSkipWindow(this.ctx.browser.page, this.ctx);
    return this.ctx.steps.handOff(`npm wants the account's security key ${what}`, {
      instruction: 'press "Use security key" and touch your key',
      until: () => code,
    });
  }

  /**
   * npm logout for every session this run opened: the registry ends each, so no session token
   * outlives the run. One npm would not end is said, with when it expires: a human must know.
   */
  async signOut(): Promise<void> {
    const left: string[] = [];
    for (const session of this.opened.filter((s) => !s.ended)) {
      const refused = await this.end(session.token);
      session.ended = refused === undefined;
      if (refused)
        left.push(
          `the one signed in at ${clockTime(session.at)} UTC (${refused}) stays valid until ${clockTime(new Date(session.at.getTime() + SESSION_LIFETIME_MS))} UTC`,
        );
    }
    if (left.length > 0) {
      throw new NeedsHumanError(
        `npm did not end ${left.length === 1 ? "a session" : `${left.length} sessions`} of this run: ${left.join("; ")} (npm's session tokens live two hours); rotate kept it in memory only, so nobody else holds it, but if this machine may be compromised, change the npm password (rotate password npm)`,
      );
    }
  }

  /** Undefined when npm ended the session (or no longer takes its token), else why not. */
  private async end(token: Secret): Promise<string | undefined> {
    const client = http(this.ctx.settings.registryUrl, REVOKE_TIMEOUT_MS);
    try {
      const answer = await client.delete(this.url(`/-/user/token/${token.derive((raw) => encodeURIComponent(raw))}`), {
        headers: { Authorization: token.derive((raw) => `Bearer ${raw}`) },
      });
      // 401: the registry no longer takes the token, which is what ending it means.
      return answer.status < 300 || answer.status === 401 ? undefined : `npm answered ${answer.status}`;
    } catch (error) {
      return (error as { code?: string }).code === "ECONNABORTED" ? `no answer within ${REVOKE_TIMEOUT_MS / 1000}s` : describeError(error);
    }
  }
}

const clockTime = (date: Date) => date.toISOString().slice(11, 16);

/** A 401 that asks for a one-time code: `www-authenticate: OTP`, or npm's "one-time pass" text. */
function isOtpChallenge(response: AxiosResponse): boolean {
  if (response.status !== 401) return false;
  const header = String(response.headers["www-authenticate"] ?? "")
    .toLowerCase()
    .split(",")
    .map((s) => s.trim());
  if (header.includes("otp")) return true;
  const text = JSON.stringify(response.data ?? "").toLowerCase();
  return text.includes("one-time pass") || text.includes("one time password");
}

/** npm's escaped name: a scoped package's slash is encoded. */
export function encodePackage(name: string): string {
  return name.startsWith("@") ? `@${encodeURIComponent(name.slice(1))}` : encodeURIComponent(name);
}
