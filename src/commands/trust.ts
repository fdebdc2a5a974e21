// `rotate trust <registry>`: the flags and help, and flags → a request (a pure function, tested on
// its own). What it does is in trust-run.ts, loaded only when it runs. Settings come from the same
// places as `rotate <registry>`'s: the registry's and CircleCI's sections of the config, the
// environment, the flags. Only registries that accept CircleCI's trusted publishers are offered
// (npm; PyPI does not yet).
import { Argument, Command, InvalidArgumentError, Option } from "../commander.js";
import type { TargetSpec } from "../circleci/targets.js";
import type { Registry } from "../registry.js";
import type { TrustCapability, TrustSettings } from "../trust/capability.js";
import { addSettingOptions, browserSection, circleciSection, onlySettings, type SettingsSection } from "../settings/declarations.js";
import { UsageError } from "../errors.js";
import { Secret } from "../secrets/secret.js";
import type { TrustRequest } from "../trust/runbook.js";

export interface TrustFlags {
  /** The rotation of a fleet's config whose project moves (`rotations` in rotate.config.json). */
  only?: string;
  pipelineDefinition?: string;
  contextId?: string[];
  allow?: string;
  existing?: string;
  removeToken?: boolean;
  oldToken?: string;
  keepOld?: boolean;
  dryRun?: boolean;
  yes?: boolean;
  json?: boolean;
  input?: boolean;
  otp?: string;
  passwordStdin?: boolean;
  sandbox?: boolean;
  trustUrls?: boolean;
  config?: string;
  [setting: string]: unknown;
}

/** A registry that accepts CircleCI's trusted publishers. */
export type TrustingRegistry = Registry & { trust: TrustCapability };

const trusts = (registry: Registry): registry is TrustingRegistry => registry.trust !== undefined;

/** The registry's settings trusted publishing reads; the token-making ones (permission, expiry, …) do not apply. */
export function trustSection(registry: TrustingRegistry): SettingsSection {
  return onlySettings(registry.section, registry.trust.settingKeys);
}

function registryArgument(registries: Registry[]): (value: string) => TrustingRegistry {
  return (value) => {
    const registry = registries.find((r) => r.id === value);
    if (registry && trusts(registry)) return registry;
    if (registry)
      throw new InvalidArgumentError(
        `${registry.title} does not accept CircleCI's trusted publishers yet: keep rotating ${registry.defaultEnvVar} with rotate ${registry.id}.`,
      );
    throw new InvalidArgumentError(
      `trusted publishing from CircleCI is for ${registries
        .filter(trusts)
        .map((r) => r.id)
        .join(", ")}.`,
    );
  };
}

export function trustCommand(registries: Registry[], run: (registry: TrustingRegistry, flags: TrustFlags) => Promise<number>): Command {
  const trusting = registries.filter(trusts);
  const others = registries.filter((r) => !trusts(r));
  const titles = trusting.map((r) => r.title).join(" or ");
  const variables = trusting.map((r) => r.defaultEnvVar).join(" or ");
  const command = new Command("trust")
    .summary(`move CircleCI's ${titles} publishing to trusted publishing (OIDC) and retire ${variables}`)
    .description(
      `Finds the CircleCI ids ${titles} matches (organization, project, pipeline definition, VCS origin), signs in to ${titles} in an isolated browser, adds the CircleCI trusted publisher to each package and reads it back, prints the change the publish job needs, and, once a trusted publish has worked, deletes ${variables} from CircleCI and its token and disallows tokens on the packages.`,
    )
    .addArgument(
      new Argument(
        "<registry>",
        `${trusting.map((r) => r.id).join(" or ")}${others.length > 0 ? ` (${others.map((r) => r.title).join(", ")} ${others.length === 1 ? "does" : "do"} not accept CircleCI's trusted publishers yet)` : ""}`,
      ).argParser(registryArgument(registries)),
    );
  for (const registry of trusting) addSettingOptions(command, trustSection(registry));
  addSettingOptions(command, circleciSection);
  addSettingOptions(command, browserSection);
  command
    .option("--only <name>", "with a config that names rotations: the one whose project and packages move")
    .option("--pipeline-definition <name-or-id>", "the pipeline definition that runs the publish job (asked when the project has several)")
    .option(
      "--context-id <id>",
      "require jobs to use this context (its id or name); repeat for several",
      (id: string, all: string[] = []) => [...all, id],
    )
    .addOption(
      new Option(
        "--allow <what>",
        `what the CircleCI job may do (asked in a terminal; otherwise ${trusting.map((r) => `${r.title}'s default, ${r.trust.defaultAllow}`).join("; ")}): ${trusting
          .flatMap((r) => Object.entries(r.trust.allow).map(([choice, { says }]) => (choice === says ? choice : `${choice} (${says})`)))
          .join(", ")}`,
      ).choices([...new Set(trusting.flatMap((r) => Object.keys(r.trust.allow)))]),
    )
    .addOption(
      new Option(
        "--existing <choice>",
        "what a package already trusts: keep it alongside (the default where configurations add up), or replace it (delete them all, then add)",
      ).choices(["keep", "replace"]),
    )
    .option("--remove-token", "retire the token at the end without asking: only once a publish through trusted publishing has worked")
    .addOption(
      new Option("--old-token <name>", "retiring: the name of the npm token CircleCI holds, if rotate cannot tell").conflicts("keepOld"),
    )
    .option("--keep-old", "retiring: delete no npm token (only the CircleCI variable)")
    .option("--dry-run", "preflight, sign in, read each package and show the plan and the ids; change nothing")
    .option("--trust-urls", "accept addresses other than the sites' official ones without asking (they are still named)")
    .option("--otp <code>", "a one-time code for the first challenge, used again while npm takes it")
    .option("--password-stdin", "read the npm password from stdin (instead of ROTATE_NPM_PASSWORD or a prompt)")
    .option("-y, --yes", "do not ask for confirmation (required without a terminal)")
    .option("--json", "print one machine-readable object, on success and on failure")
    .option("--no-input", "never prompt; fail if an answer is missing")
    .option("--sandbox", "run against the built-in local replicas (a drill that ends by proving the configuration)")
    .option("--config <path>", "config file (default ./rotate.config.json)")
    .addHelpText(
      "after",
      `
Examples:
  $ rotate trust npm                                   # settings from rotate.config.json; asks what it must
  $ rotate trust npm --dry-run                         # the ids and the plan; nothing changes
  $ rotate trust npm --pipeline-definition release     # the project has several pipeline definitions
  $ rotate trust npm --allow publish                   # the job publishes directly (npm's default: it stages for approval)
  $ rotate trust npm --remove-token                    # a trusted publish worked: retire NPM_TOKEN
  $ rotate trust npm --only widget                     # a fleet's config: the rotation named widget
  $ rotate trust npm --sandbox                         # a drill on the built-in replicas
Exit codes: 0 done · 1 failed, nothing changed · 2 usage or config error · 3 partly done, a human must act
            4 cancelled at the confirmation · 130 interrupted before anything changed`,
    )
    .action(async (registry: TrustingRegistry, flags: TrustFlags) => {
      process.exitCode = await run(registry, flags);
    });
  return command;
}

/** Flags → what the responder asked for. Pure: no prompts, no network. */
export function trustRequest(
  flags: TrustFlags,
  registry: TrustingRegistry,
  settings: Pick<TrustSettings, "packages" | "registryUrl">,
  targets: TargetSpec[],
  env: NodeJS.ProcessEnv,
): TrustRequest {
  const allowed = registry.trust.allow;
  const actions = flags.allow === undefined ? undefined : allowed[flags.allow]?.actions;
  if (flags.allow !== undefined && !actions) throw new UsageError(`--allow ${flags.allow}: give ${Object.keys(allowed).join(", ")}`);
  if (flags.existing !== undefined && flags.existing !== "keep" && flags.existing !== "replace")
    throw new UsageError(`--existing ${flags.existing}: give keep or replace`);
  const oldValue = env[`ROTATE_${registry.id.toUpperCase()}_OLD_TOKEN`];
  return {
    command: `rotate trust ${registry.id}${flags.sandbox ? " --sandbox" : ""}`,
    targets,
    packages: registry.trust.packagesOnly(settings.packages),
    registryUrl: settings.registryUrl,
    ...(flags.pipelineDefinition ? { pipelineDefinition: flags.pipelineDefinition } : {}),
    contextIds: flags.contextId ?? [],
    ...(actions ? { actions } : {}),
    ...(flags.existing ? { existing: flags.existing } : {}),
    removeToken: Boolean(flags.removeToken),
    ...(flags.keepOld ? { oldToken: "none" as const } : flags.oldToken ? { oldToken: { name: flags.oldToken } } : {}),
    ...(oldValue ? { oldTokenValue: new Secret(oldValue, `old ${registry.title} token`, { showLast4: true }) } : {}),
    yes: Boolean(flags.yes),
    dryRun: Boolean(flags.dryRun),
  };
}
