// The contract every registry plug-in fits, and the one place its settings are bound to it.
// A registry is a flow file (this contract, filled in: what it is, its settings' declarations,
// and its implementation — settings schema and flow — loaded only when a command runs), a replica
// folder, and one line in registries.ts; the runbook, the commands, the demo, drills, tests and
// the bench only ever see the `Registry` list.
import type { Command } from "commander";
import type { z } from "zod";
import type { AssetOrigin } from "./browser/guard.js";
import type { Address, Sources } from "./settings/config.js";
import type { InitQuestion } from "./settings/init-questions.js";
import type { PasswordResetFlow } from "./password/reset.js";
import { addSettingOptions, type SettingsSection } from "./settings/declarations.js";
import type { RegistryFlow } from "./rotation/capability.js";
import type { TrustCapability, TrustSpec } from "./trust/capability.js";

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
  /**
   * For `rotate discover`: the CircleCI variable names that look like this registry's publishing
   * tokens (and how --help says them), and the setting through which a rotation names what its
   * token may publish, which only the team knows.
   */
  discovery: { variableNames: RegExp; says: string; scopeSetting: string };
  /** What `rotate status` adds about a variable CircleCI holds, from the (unvalidated) settings. */
  statusNotes(settings: Record<string, unknown>): string[];
  /** Adds the registry's own flags to a command. */
  addOptions(command: Command): Command;
  /** Validated settings from flags > env > config > defaults, with the flow bound to them. */
  configure(sources: Sources): Promise<ConfiguredRegistry>;
  /** Offered when the registry accepts CircleCI's OIDC id tokens as trusted publishers (`rotate trust`). */
  trust?: TrustCapability;
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
  "addOptions" | "configure" | "statusNotes" | "trust"
> {
  statusNotes?: (settings: Record<string, unknown>) => string[];
  trust?: TrustSpec<z.infer<Schema>>;
  /** `rotate --help` and `--version` never load it. */
  load: () => Promise<RegistryImplementation<Schema>>;
}

/** A registry as its own file knows it: its settings with their full type (for its own commands). */
export interface TypedRegistry<Settings extends RegistrySettings> extends Registry {
  settings(sources: Sources): Promise<Settings>;
}

/** Binds a registry's typed settings to its flow, so the list of registries needs no casts. */
export function defineRegistry<Schema extends z.ZodType<RegistrySettings>>(spec: RegistrySpec<Schema>): TypedRegistry<z.infer<Schema>> {
  const { load, statusNotes, trust, ...registry } = spec;
  const bound = async (sources: Sources) => {
    const [{ parseSettings, resolveSection }, implementation] = await Promise.all([import("./settings/config.js"), load()]);
    const resolved = resolveSection(spec.section, sources);
    await implementation.defaults?.(resolved);
    const parsed = parseSettings(implementation.schema, resolved, spec.section, sources);
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
    ...(trust ? { trust: bindTrust(trust, async (sources) => (await bound(sources)).parsed) } : {}),
  };
  return self;
}

/** The trust capability bound to the registry's validated settings, the same way its flow is. */
function bindTrust<Settings>(spec: TrustSpec<Settings>, settingsOf: (sources: Sources) => Promise<Settings>): TrustCapability {
  const { load, ...choices } = spec;
  return {
    ...choices,
    async configure(sources) {
      const [parsed, { settings, side, ...terms }] = await Promise.all([settingsOf(sources), load()]);
      return { ...terms, settings: settings(parsed), side: (options) => side(parsed, options) };
    },
  };
}
