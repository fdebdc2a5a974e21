// `rotate trust npm`: the flags and help, and flags → a request (a pure function, tested on its
// own). What it does is in trust-run.ts, loaded only when it runs. Settings come from the
// same places as `rotate npm`'s: the npm and CircleCI sections of the config, the environment,
// the flags. PyPI does not accept CircleCI's trusted publishers yet, so only npm is offered.
import { Argument, Command, InvalidArgumentError, Option } from "../commander.js";
import type { TrustAction } from "../../flows/npm/trust.js";
import type { NpmSettings } from "../../flows/npm/flow.js";
import { npm, packagesOnly } from "../../flows/npm/index.js";
import type { TargetSpec } from "../circleci/targets.js";
import { addSettingOptions, browserSection, circleciSection, onlySettings, type SettingsSection } from "../settings/declarations.js";
import { UsageError } from "../errors.js";
import { Secret } from "../secrets/secret.js";
import type { TrustRequest } from "../trust/runbook.js";

export interface TrustFlags {
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

/** The npm settings trusted publishing reads; the token-making ones (permission, expiry, …) do not apply. */
export const NPM_TRUST_SETTINGS = ["envVar", "packages", "username", "websiteUrl", "registryUrl"];

export function trustSection(): SettingsSection {
  return onlySettings(npm.section, NPM_TRUST_SETTINGS);
}

const ALLOW: Record<string, TrustAction[]> = {
  publish: ["createPackage"],
  stage: ["createStagedPackage"],
  both: ["createPackage", "createStagedPackage"],
};

function registryArgument(value: string): string {
  if (value === "npm") return value;
  if (value === "pypi")
    throw new InvalidArgumentError("PyPI does not accept CircleCI's trusted publishers yet: keep rotating PYPI_TOKEN with rotate pypi.");
  throw new InvalidArgumentError("trusted publishing from CircleCI is for npm.");
}

export function trustCommand(run: (flags: TrustFlags) => Promise<number>): Command {
  const command = new Command("trust")
    .summary("move CircleCI's npm publishing to trusted publishing (OIDC) and retire NPM_TOKEN")
    .description(
      "Finds the CircleCI ids npm matches (organization, project, pipeline definition, VCS origin), signs in to npm in an isolated browser, adds the CircleCI trusted publisher to each package and reads it back, prints the change the publish job needs, and, once a trusted publish has worked, deletes NPM_TOKEN from CircleCI and its npm token and disallows tokens on the packages.",
    )
    .addArgument(new Argument("<registry>", "npm (PyPI does not accept CircleCI's trusted publishers yet)").argParser(registryArgument));
  addSettingOptions(command, trustSection());
  addSettingOptions(command, circleciSection);
  addSettingOptions(command, browserSection);
  command
    .option("--pipeline-definition <name-or-id>", "the pipeline definition that runs the publish job (asked when the project has several)")
    .option(
      "--context-id <id>",
      "require jobs to use this context (its id or name); repeat for several",
      (id: string, all: string[] = []) => [...all, id],
    )
    .addOption(
      new Option("--allow <what>", "what CircleCI may do: publish (npm publish), stage (npm stage publish) or both")
        .choices(Object.keys(ALLOW))
        .default("publish"),
    )
    .addOption(
      new Option(
        "--existing <choice>",
        "a package that already trusts another publisher: keep it, or replace it (asked in a terminal)",
      ).choices(["keep", "replace"]),
    )
    .option("--remove-token", "retire the token at the end without asking: only once a publish through trusted publishing has worked")
    .addOption(
      new Option("--old-token <name>", "retiring: the name of the npm token CircleCI holds, if rotate cannot tell").conflicts("keepOld"),
    )
    .option("--keep-old", "retiring: delete no npm token (only the CircleCI variable)")
    .option("--dry-run", "preflight, sign in, read each package and show the plan and the ids; change nothing")
    .option("--trust-urls", "accept addresses other than the sites' official ones without asking (they are still named)")
    .option("--otp <code>", "a one-time code for the first challenge")
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
  $ rotate trust npm --remove-token                    # a trusted publish worked: retire NPM_TOKEN
  $ rotate trust npm --sandbox                         # a drill on the built-in replicas
Exit codes: 0 done · 1 failed, nothing changed · 2 usage or config error · 3 partly done, a human must act
            4 cancelled at the confirmation · 130 interrupted before anything changed`,
    )
    .action(async (_registry: string, flags: TrustFlags) => {
      process.exitCode = await run(flags);
    });
  return command;
}

/** Flags → what the responder asked for. Pure: no prompts, no network. */
export function trustRequest(
  flags: TrustFlags,
  settings: Pick<NpmSettings, "packages" | "registryUrl">,
  targets: TargetSpec[],
  env: NodeJS.ProcessEnv,
): TrustRequest {
  const actions = ALLOW[flags.allow ?? "publish"];
  if (!actions) throw new UsageError(`--allow ${flags.allow}: give publish, stage or both`);
  if (flags.existing !== undefined && flags.existing !== "keep" && flags.existing !== "replace")
    throw new UsageError(`--existing ${flags.existing}: give keep or replace`);
  const oldValue = env.ROTATE_NPM_OLD_TOKEN;
  return {
    command: "rotate trust npm",
    targets,
    packages: packagesOnly(settings.packages),
    registryUrl: settings.registryUrl,
    ...(flags.pipelineDefinition ? { pipelineDefinition: flags.pipelineDefinition } : {}),
    contextIds: flags.contextId ?? [],
    actions,
    ...(flags.existing ? { existing: flags.existing } : {}),
    removeToken: Boolean(flags.removeToken),
    ...(flags.keepOld ? { oldToken: "none" as const } : flags.oldToken ? { oldToken: { name: flags.oldToken } } : {}),
    ...(oldValue ? { oldTokenValue: new Secret(oldValue, "old npm token", { showLast4: true }) } : {}),
    yes: Boolean(flags.yes),
    dryRun: Boolean(flags.dryRun),
  };
}

export const runTrust: typeof import("./trust-run.js").runTrust = async (...args) => (await import("./trust-run.js")).runTrust(...args);
