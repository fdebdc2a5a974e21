// The contract every registry plug-in fits, and the one place its settings are bound to it.
// A registry is a flow file (this contract, filled in: what it is, its settings' declarations,
// and its implementation — settings schema and flow — loaded only when a command runs), a replica
// folder, and one line in registries.ts; the runbook, the commands, the demo, drills, tests and
// the bench only ever see the `Registry` list.
import type { Command } from "commander";
import type { Page } from "playwright";
import type { z } from "zod";
import type { AssetOrigin } from "./browser/guard.js";
import type { BrowserSession } from "./browser/launch.js";
import type { Address, Sources } from "./settings/config.js";
import type { InitQuestion } from "./settings/init-questions.js";
import type { PasswordResetFlow } from "./password/reset.js";
import type { Secret } from "./secrets/secret.js";
import { addSettingOptions, type SettingsSection } from "./settings/declarations.js";
import type { Steps } from "./rotation/steps.js";

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
   * Why it cannot be what CircleCI publishes with (read-only, or not covering the configured
   * packages), when the list says so: such a token is never deleted as the old one.
   */
  cannotPublish?: string;
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
  /** A fresh one-time code for every challenge. */
  otp(): Promise<Secret>;
  /** The site refused the password: true when it can be asked again (a prompt, under three tries). */
  passwordRefused(): boolean;
  /** The site refused a code: true when another may be asked for (a prompt, under three tries). */
  otpRefused(): boolean;
}

export interface FlowContext {
  credentials: Credentials;
  steps: Steps;
  signal: AbortSignal;
  /** The isolated browser of this run, opened by the runbook. */
  browser: BrowserSession;
  /** A fresh headless browser, for clean-up when the first one is gone (its display died). */
  relaunch(): Promise<BrowserSession>;
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
  /** Lines the plan, summary, team note and status add (a deadline the token kind runs into). */
  advisories(): string[];
  signIn(ctx: FlowContext): Promise<RegistryAccount>;
  check(value: Secret, ctx: CheckContext): Promise<TokenState>;
}

/** What every registry's settings have; the rest is the registry's own. */
export interface RegistrySettings {
  envVar: string;
  username?: string;
  /**
   * Addresses the plug-in found itself rather than in a setting (npm: the registry from npm's own
   * configuration), with where each came from: named and confirmed like every other address.
   */
  addresses?: Address[];
}

export interface ConfiguredRegistry {
  registry: Registry;
  settings: RegistrySettings;
  flow: RegistryFlow;
}

export interface Registry {
  id: string;
  /** As people write it: "PyPI", "npm". */
  title: string;
  defaultEnvVar: string;
  /** Its section of rotate.config.json, its flags and environment variables. */
  section: SettingsSection;
  /** The shape of its token values: the redactor, the config-file check and the secrecy scans use it. */
  tokenPattern: RegExp;
  /** Origins the real site's pages load assets from (subresources only, never a secret), with why. */
  assetOrigins: AssetOrigin[];
  /** What `rotate init` asks for this registry, with what it can detect in the project. */
  initQuestions: InitQuestion[];
  /** `rotate password`'s pages, loaded when it runs. */
  passwordReset(): Promise<PasswordResetFlow>;
  /** What `rotate status` adds about a variable CircleCI holds, from the (unvalidated) settings. */
  statusNotes(settings: Record<string, unknown>): string[];
  /** Adds the registry's own flags to a command. */
  addOptions(command: Command): Command;
  /** Validated settings from flags > env > config > defaults, with the flow bound to them. */
  configure(sources: Sources): Promise<ConfiguredRegistry>;
}

/** What a registry loads only when a command runs: validation and the flow's page and API code. */
export interface RegistryImplementation<Schema extends z.ZodType<RegistrySettings>> {
  schema: Schema;
  /** Fills in settings that have a dynamic default (npm's registry URL), before validation. */
  defaults?(resolved: Record<string, unknown>): Promise<void>;
  /** Checks that need no network (npm's 90-day limit); throws a UsageError. */
  validate?(settings: z.infer<Schema>): void;
  flow(settings: z.infer<Schema>): RegistryFlow;
}

export interface RegistrySpec<Schema extends z.ZodType<RegistrySettings>> extends Omit<
  Registry,
  "addOptions" | "configure" | "statusNotes"
> {
  statusNotes?: (settings: Record<string, unknown>) => string[];
  /** `rotate --help` and `--version` never load it. */
  load: () => Promise<RegistryImplementation<Schema>>;
}

/** A registry as its own file knows it: its settings with their full type (for its own commands). */
export interface TypedRegistry<Settings extends RegistrySettings> extends Registry {
  settings(sources: Sources): Promise<Settings>;
}

/** Binds a registry's typed settings to its flow, so the list of registries needs no casts. */
export function defineRegistry<Schema extends z.ZodType<RegistrySettings>>(spec: RegistrySpec<Schema>): TypedRegistry<z.infer<Schema>> {
  const { load, statusNotes, ...registry } = spec;
  const bound = async (sources: Sources) => {
    const [{ parseSettings, resolveSection }, implementation] = await Promise.all([import("./settings/config.js"), load()]);
    const resolved = resolveSection(spec.section, sources);
    await implementation.defaults?.(resolved);
    const parsed = parseSettings(implementation.schema, resolved, spec.section);
    implementation.validate?.(parsed);
    return { parsed, implementation };
  };
  const self: TypedRegistry<z.infer<Schema>> = {
    ...registry,
    statusNotes: (resolved) => statusNotes?.(resolved) ?? [],
    // The config-file check refuses values of this registry's token shape.
    section: { ...spec.section, tokenPattern: spec.tokenPattern },
    addOptions: (command) => addSettingOptions(command, spec.section),
    settings: async (sources) => (await bound(sources)).parsed,
    async configure(sources) {
      const { parsed, implementation } = await bound(sources);
      return { registry: self, settings: parsed, flow: implementation.flow(parsed) };
    },
  };
  return self;
}
