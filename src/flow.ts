// The shape every registry fits: how a person signs in, lists, creates and deletes tokens on
// that registry's website, and how the registry tells a live token from a dead one.
// The runbook is written against this and nothing else.
import type { Page } from "playwright";
import type { Command } from "commander";
import type { SettingsSection, Sources } from "./config.js";
import type { Secret } from "./secret.js";
import type { Steps } from "./steps.js";

export interface TokenSummary {
  /** How the site addresses the token (PyPI macaroon id, npm token key). */
  id: string;
  name: string;
  /** Last four characters, when the site's list shows them (npm does, PyPI does not). */
  last4?: string;
  created?: Date;
}

export interface CreatedToken {
  summary: TokenSummary;
  value: Secret;
  expires?: Date;
}

/** live: the registry accepts it. dead: the registry says it does not exist. unknown: no verdict. */
export type TokenState = "live" | "dead" | "unknown";

/** What the flow may ask the responder, each answer coming from env, a prompt or stdin. */
export interface Credentials {
  username(): Promise<string>;
  /** Asked once per run and kept in memory: sign-in, re-auth and delete confirmations reuse it. */
  password(): Promise<Secret>;
  /** A fresh one-time code for every challenge. */
  otp(): Promise<Secret>;
}

export interface FlowContext<Settings> {
  settings: Settings;
  credentials: Credentials;
  steps: Steps;
  signal: AbortSignal;
}

export interface RegistryFlow<Settings> {
  id: string;
  /** As people write it: "PyPI", "npm". */
  title: string;
  defaultEnvVar: string;
  /** The origins the browser's main frame may visit; anything else is treated as phishing. */
  origins(settings: Settings): string[];
  /** Where the runbook's preflight checks the registry is reachable. */
  reachabilityUrls(settings: Settings): string[];
  /** Checks that need no network, run before anything else (e.g. npm's 90-day limit). */
  validate(settings: Settings): void;
  /** What the new token must cover, for the checklist and the team note. */
  describeScope(settings: Settings): string;

  signIn(page: Page, ctx: FlowContext<Settings>): Promise<void>;
  /** Signed in, before any change: can this account make the token the settings ask for? */
  checkScope(page: Page, ctx: FlowContext<Settings>): Promise<void>;
  listTokens(page: Page, ctx: FlowContext<Settings>): Promise<TokenSummary[]>;
  createToken(page: Page, ctx: FlowContext<Settings>, name: string): Promise<CreatedToken>;
  deleteToken(page: Page, ctx: FlowContext<Settings>, token: TokenSummary): Promise<void>;
  check(value: Secret, ctx: FlowContext<Settings>): Promise<TokenState>;
}

/** The registry's website refused something (password, code, scope): one line, nothing changed by it. */
export class RegistryError extends Error {
  override name = "RegistryError";
}

/** A registry as the CLI registers it: its flow, its settings, and its flags. */
export interface Registry<Settings> {
  flow: RegistryFlow<Settings>;
  /** Its section of rotate.config.json, its flags and environment variables. */
  section: SettingsSection;
  /** Adds the registry's own flags to its `rotate <id>` command. */
  addOptions(command: Command): Command;
  /** Builds validated settings from flags > env > config > defaults. */
  settings(sources: Sources): Promise<Settings>;
}
