// What a registry offers `rotate <registry>`: a flow bound to its settings that signs in and hands
// the runbook an account whose tokens it can list, create and delete, and a check that says whether
// a token value is live. The registry's flow folder fills it in; src/rotation/ drives it.
import type { Page } from "playwright";
import type { BrowserSession } from "../browser/launch.js";
import type { Secret } from "../secrets/secret.js";
import type { Steps } from "./steps.js";

export interface TokenSummary {
  /** How the registry addresses the token (PyPI macaroon id, npm token key). */
  id: string;
  name: string;
  /** What the list shows of the value, when it shows any: npm's first eight and last four. */
  shownPrefix?: string;
  last4?: string;
  created?: Date;
  expires?: Date;
  /** What it may do, in the registry's terms ("read and write, bypasses 2FA", "read-only"), when the list says. */
  kind?: string;
  /**
   * Why it cannot be what CircleCI publishes these with (read-only, or not covering one of them),
   * when the list says so: such a token is never deleted as the old one. A function of what a
   * rotation publishes, as a fleet's rotations share one list and each publishes its own.
   */
  cannotPublish?: (publishes: string[]) => string | undefined;
  /** When the registry revoked or invalidated it, if its list says so (it then no longer works, whatever its expiry). */
  revoked?: Date;
}

export interface CreatedToken {
  summary: TokenSummary;
  value: Secret;
  expires?: Date;
}

/** live: the registry accepts it. dead: the registry says it does not exist. unknown: no verdict. */
export type TokenState = "live" | "dead" | "unknown";

/** What a flow may ask the responder, each answer coming from env, a prompt or stdin. */
export interface Credentials {
  username(): Promise<string>;
  /** Asked once per run and kept in memory: sign-in, re-auth and delete confirmations reuse it. */
  password(): Promise<Secret>;
  /**
   * A one-time code. With `reuse`, the code in use while the site keeps taking it (npm's registry
   * takes a code for several calls while it is valid); otherwise, or when none is in use, a fresh one.
   */
  otp(options?: { reuse?: boolean }): Promise<Secret>;
  /** The code in use, never asking for one: sent ahead with a call that may need it. */
  otpInUse(): Secret | undefined;
  /** The site refused the password: true when it can be asked again (a prompt, under three tries). */
  passwordRefused(): boolean;
  /**
   * The site refused the code just used. "spent": it had worked before, so it has expired or was
   * used up, and the next one is asked for with that reason (no try counted); "retry": another may
   * be asked for (a prompt, under three tries); false: give up.
   */
  otpRefused(): OtpRefusal;
  /** How many fresh codes this run asked for (typed or computed), and how long it waited for them. */
  otpTally(): { asked: number; waitedMs: number };
}

export type OtpRefusal = "spent" | "retry" | false;

export interface FlowContext {
  credentials: Credentials;
  steps: Steps;
  signal: AbortSignal;
  /** The isolated browser of this run, opened by the runbook. */
  browser: BrowserSession;
  /** A fresh headless browser, for clean-up when the first one is gone (its display died). */
  relaunch(): Promise<BrowserSession>;
  /** The run's clock, for what a flow dates itself (PyPI's expiry caveat); the real time when absent. */
  clock?: () => Date;
  /**
   * The registry's browser 2FA step may offer to skip 2FA for the next few minutes: whether to tick
   * it, asked of the person once per run where that spares them something (several packages or
   * rotations). Absent: never ticked.
   */
  skipTwoFactor?: (minutes: number) => Promise<boolean>;
}

/** The token checks need no browser: an HTTP request to the registry. */
export interface CheckContext {
  steps: Steps;
  signal: AbortSignal;
  credentials: Credentials;
}

/** A signed-in account: everything the runbook does to tokens goes through it. */
export interface RegistryAccount {
  /** Before any change: may this account make the token the settings ask for? */
  checkScope(): Promise<void>;
  listTokens(): Promise<TokenSummary[]>;
  createToken(name: string): Promise<CreatedToken>;
  /** `value`: the token's full value when the responder gave it, so it is deleted exactly. */
  deleteToken(token: TokenSummary, value?: Secret): Promise<void>;
  /** The same account for clean-up after a failure, independent of a step that may hang. */
  forCleanUp(): Promise<RegistryAccount>;
  /**
   * Ends every session the run signed in with (npm revokes its session tokens); safe to call more
   * than once. Rejects, saying until when, when the registry would not end one.
   */
  signOut(): Promise<void>;
}

/**
 * The same account for clean-up on a page flow: a second tab of the same session; when the
 * browser is gone, a fresh headless one signed in again.
 */
export async function pageAccountForCleanUp<A extends RegistryAccount>(
  ctx: FlowContext,
  sameSession: (page: Page) => A,
  signedInAgain: (fresh: BrowserSession) => Promise<A>,
): Promise<A> {
  if (!ctx.browser.lost.aborted) return sameSession(await ctx.browser.newPage());
  return signedInAgain(await ctx.relaunch());
}

/** A registry's flow, bound to this run's settings. */
export interface RegistryFlow {
  /** The origins the browser may reach; anything else is treated as phishing. */
  origins(): string[];
  /** Where the preflight checks the registry is reachable. */
  reachabilityUrls(): string[];
  /** What the new token must cover, for the plan and the team note. */
  describeScope(): string;
  /** What CircleCI publishes with the token, as names (npm's packages and scopes; the PyPI project). */
  publishes(): string[];
  /** Lines the plan, summary, team note and status add (a deadline the token kind runs into). */
  advisories(): string[];
  signIn(ctx: FlowContext): Promise<RegistryAccount>;
  /**
   * The account another rotation of this registry signed in to (the same account and sites; only
   * the token settings differ), making this flow's tokens: one sign-in serves a fleet (`--all`).
   */
  adopt(account: RegistryAccount): RegistryAccount;
  check(value: Secret, ctx: CheckContext): Promise<TokenState>;
}
