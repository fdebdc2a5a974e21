// What a registry offers `rotate trust` when it accepts CircleCI's OIDC id tokens as trusted
// publishers (npm does; PyPI does not yet). src/trust/ talks to this contract only, never to a
// flow folder: the plug-in fills it in (flows/npm/trust-capability.ts), and its light part (the
// choices a command's --help shows) is separate from what loads when a command runs.
import type { CircleciContext } from "../circleci/client.js";
import type { Credentials, TokenSummary } from "../rotation/capability.js";
import type { FoundBrowser } from "../browser/finder.js";
import type { BrowserSession } from "../browser/launch.js";
import type { Secret } from "../secrets/secret.js";
import type { Address, Sources } from "../settings/config.js";
import type { Steps } from "../rotation/steps.js";

/** The ids a registry matches a CircleCI job's id token against, and what the job may do (in the registry's words). */
export interface CircleciPublisher {
  orgId: string;
  projectId: string;
  pipelineDefinitionId: string;
  vcsOrigin: string;
  /** Empty: any context, or none. */
  contextIds: string[];
  actions: string[];
}

/** A trusted-publisher configuration as the registry stores it, any provider's, its text already inert. */
export interface StoredTrust {
  id: string;
  type: string;
  claims: Record<string, unknown>;
  permissions: string[];
}

/** A token of the account with what it may do, as the registry's list says. */
export interface KindedToken extends TokenSummary {
  /** In the registry's words, e.g. "read and write, bypasses 2FA". */
  kind: string;
  /** Why a token of this kind stops working soon, when it does (npm: January 2027). */
  warning?: string;
}

/** The registry's settings a move to trusted publishing reads. */
export interface TrustSettings {
  envVar: string;
  /** What gets a trusted publisher: npm's packages. */
  packages: string[];
  username?: string;
  /** Where the job's id token is exchanged; the job change names its host. */
  registryUrl: string;
  /** Addresses the plug-in found itself (npm: the registry from npm's own configuration), named and confirmed like the others. */
  addresses?: Address[];
}

/** The calls the trust runbook makes with a signed-in session. */
export interface TrustAccount {
  list(pkg: string): Promise<StoredTrust[]>;
  add(pkg: string, publisher: CircleciPublisher): Promise<StoredTrust[]>;
  remove(pkg: string, id: string): Promise<void>;
  disallowTokens(pkg: string): Promise<void>;
  tokens(): Promise<KindedToken[]>;
  deleteToken(token: TokenSummary, value?: Secret): Promise<void>;
}

/** A signed-in session in its isolated browser. */
export interface TrustSession {
  account: TrustAccount;
  /** Aborted when the browser window is closed or dies. */
  lost: AbortSignal;
  /** What a failure really was, when the browser knows better. */
  explain(error: unknown): unknown;
  /** Ends the session (and its tokens) and closes the browser; safe to call more than once. */
  close(): Promise<void>;
}

/** The registry's end of a run: a preflight that needs no sign-in, then the session. */
export interface TrustSide {
  /** Before anything changes: every package exists and the account maintains it; the registry and a browser are there. */
  preflight(packages: string[]): Promise<string>;
  signIn(): Promise<TrustSession>;
}

export interface TrustSideOptions {
  credentials: Credentials;
  steps: Steps;
  signal: AbortSignal;
  /** The browser of this run (a display checked when it is to be visible); throws a one-line reason. */
  findBrowser: () => FoundBrowser;
  /** The isolated browser, limited to these origins and the registry's asset origins; `headless` overrides the run's setting. */
  launchBrowser: (browser: FoundBrowser, origins: string[], headless?: boolean) => Promise<BrowserSession>;
  /** Rejects with a one-line reason when a URL cannot be reached. */
  reachable: (url: string) => Promise<void>;
  /**
   * The registry's browser two-factor step offers to skip the second factor for `minutes`: whether
   * to tick it (the person says, once per run; false without a terminal).
   */
  skipTwoFactor: (minutes: number) => Promise<boolean>;
}

/** What the registry needs changed in the CircleCI job that publishes. */
export interface JobChangeOptions {
  registryUrl: string;
  actions: string[];
  /** Contexts the configuration requires: the publish job must use them. */
  contexts: CircleciContext[];
  /** The config file the pipeline definition runs. */
  configFile: string;
  envVar: string;
}

/** A line of the project's checkout that uses the token variable. */
export interface TokenUse {
  file: string;
  line: number;
  text: string;
}

export type Exchange = { accepted: true; token: Secret } | { accepted: false; status: number; message: string };

/** How the registry's trusted publishers read, in words and field by field, and the job's side of them. Pure: no network. */
export interface TrustTerms {
  /**
   * How many configurations a package may hold. More than one: they add up (a publish is allowed
   * when any one matches), so rotate adds its own alongside what a package trusts, up to this
   * limit. One: a package trusts one publisher, replaced only when the responder says so.
   */
  configurationsPerPackage: number;
  actionsText: (actions: readonly string[]) => string;
  /** One line for a configuration of any provider, for the plan and "where things stand". */
  describe: (stored: StoredTrust) => string;
  /** The CircleCI publisher a stored configuration describes, if it is a CircleCI one. */
  publisherOf: (stored: StoredTrust) => CircleciPublisher | undefined;
  /** What the registry holds that differs from the publisher rotate sent; empty when it is the same. */
  differences: (stored: StoredTrust, sent: CircleciPublisher) => string[];
  /** The lines to paste into the CircleCI config, and what to remove. */
  jobChange: (options: JobChangeOptions) => string[];
  /** The lines of the checkout that use the variable (the config file and the registry's own files). */
  tokenUses: (cwd: string, configFile: string, envVar: string) => TokenUse[];
  /** The audience a job's id token must carry for this registry. */
  audience: (registryUrl: string) => string;
  /** A job's half of the exchange, exactly as the registry's own client does it before a publish. */
  exchange: (registryUrl: string, pkg: string, idToken: Secret, signal: AbortSignal) => Promise<Exchange>;
}

/** What loads when a command runs, for the registry's own settings type. */
export interface TrustImplementation<Settings> extends TrustTerms {
  settings: (settings: Settings) => TrustSettings;
  side: (settings: Settings, options: TrustSideOptions) => TrustSide;
}

/** The registry's settings, validated, with its end of a run bound to them. */
export interface ConfiguredTrust extends TrustTerms {
  settings: TrustSettings;
  side: (options: TrustSideOptions) => TrustSide;
}

/** What `--help` shows of the capability; nothing here loads validation or network code. */
export interface TrustChoices {
  /** The registry's settings `rotate trust` offers as flags (the token-making ones do not apply). */
  settingKeys: string[];
  /**
   * What `--allow` offers, each choice in the registry's own action names, the command it lets the
   * job run (`says`) and what that means for the CircleCI job (`means`).
   */
  allow: Record<string, { actions: string[]; says: string; means: string }>;
  /** The choice a new configuration gets when nobody says (a run without a terminal and without --allow): the registry's own default. */
  defaultAllow: string;
  /** The items the settings name, each able to carry a trusted publisher; a UsageError otherwise. */
  packagesOnly: (items: string[]) => string[];
}

/** As a registry's plug-in declares it. */
export interface TrustSpec<Settings> extends TrustChoices {
  load: () => Promise<TrustImplementation<Settings>>;
}

/** As commands see it: the choices, and the implementation bound to validated settings. */
export interface TrustCapability extends TrustChoices {
  /** Settings from flags > env > config > defaults (a MissingSettingsError names what is missing). */
  configure: (sources: Sources) => Promise<ConfiguredTrust>;
}
