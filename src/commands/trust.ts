// `rotate trust npm`: flags → a request (a pure function, tested on its own), then the trust
// runbook with the collaborators the runtime hands in, then the report. Settings come from the
// same places as `rotate npm`'s: the npm and CircleCI sections of the config, the environment,
// the flags. PyPI does not accept CircleCI's trusted publishers yet, so only npm is offered.
import { Argument, Command, InvalidArgumentError, Option } from "commander";
import type { TrustAction } from "../../flows/npm-trust.js";
import { npm, type NpmSettings } from "../../flows/npm.js";
import { Ask } from "../ask.js";
import { AuditLog, type AuditRun } from "../audit.js";
import type { TargetSpec } from "../circleci-target.js";
import { addSettingOptions, loadSources, overriddenUrls, type SettingsSection } from "../config.js";
import { credentialsFrom } from "../credentials.js";
import { openDrill, type Drill } from "../drill.js";
import { UsageError } from "../errors.js";
import type { JournalEntry } from "../journal.js";
import { Progress } from "../progress.js";
import { failureJson } from "../report.js";
import { browserSection, browserSettings, circleciSection, circleciSettings } from "../run-settings.js";
import type { Runtime } from "../runtime.js";
import { Secret } from "../secret.js";
import { circleciToken, passwordFromStdin, settingsOrAsk } from "../command-settings.js";
import { createSteps } from "../steps.js";
import type { TrustJournal } from "../trust-journal.js";
import { npmSide, packagesOnly } from "../trust-npm.js";
import { drillProver } from "../trust-proof.js";
import { renderTrustSummary, trustSummaryJson, trustTeamNote } from "../trust-report.js";
import { trustPublishing, type Existing, type TrustRequest } from "../trust-runbook.js";
import { confirmUrls } from "../trusted-urls.js";

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
  return { ...npm.section, settings: Object.fromEntries(Object.entries(npm.section.settings).filter(([key]) => NPM_TRUST_SETTINGS.includes(key))) };
}

const ALLOW: Record<string, TrustAction[]> = { publish: ["createPackage"], stage: ["createStagedPackage"], both: ["createPackage", "createStagedPackage"] };

function registryArgument(value: string): string {
  if (value === "npm") return value;
  if (value === "pypi") throw new InvalidArgumentError("PyPI does not accept CircleCI's trusted publishers yet: keep rotating PYPI_TOKEN with rotate pypi.");
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
    .option("--context-id <id>", "require jobs to use this context (its id or name); repeat for several", (id: string, all: string[] = []) => [...all, id])
    .addOption(new Option("--allow <what>", "what CircleCI may do: publish (npm publish), stage (npm stage publish) or both").choices(Object.keys(ALLOW)).default("publish"))
    .addOption(new Option("--existing <choice>", "a package that already trusts another publisher: keep it, or replace it (asked in a terminal)").choices(["keep", "replace"]))
    .option("--remove-token", "retire the token at the end without asking: only once a publish through trusted publishing has worked")
    .addOption(new Option("--old-token <name>", "retiring: the name of the npm token CircleCI holds, if rotate cannot tell").conflicts("keepOld"))
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
export function trustRequest(flags: TrustFlags, settings: Pick<NpmSettings, "packages" | "registryUrl">, targets: TargetSpec[], env: NodeJS.ProcessEnv): TrustRequest {
  const actions = ALLOW[flags.allow ?? "publish"];
  if (!actions) throw new UsageError(`--allow ${flags.allow}: give publish, stage or both`);
  if (flags.existing !== undefined && flags.existing !== "keep" && flags.existing !== "replace") throw new UsageError(`--existing ${flags.existing}: give keep or replace`);
  const oldValue = env.ROTATE_NPM_OLD_TOKEN;
  return {
    command: "rotate trust npm",
    targets,
    packages: packagesOnly(settings.packages),
    registryUrl: settings.registryUrl,
    ...(flags.pipelineDefinition ? { pipelineDefinition: flags.pipelineDefinition } : {}),
    contextIds: flags.contextId ?? [],
    actions,
    ...(flags.existing ? { existing: flags.existing as Existing } : {}),
    removeToken: Boolean(flags.removeToken),
    ...(flags.keepOld ? { oldToken: "none" as const } : flags.oldToken ? { oldToken: { name: flags.oldToken } } : {}),
    ...(oldValue ? { oldTokenValue: new Secret(oldValue, "old npm token", { showLast4: true }) } : {}),
    yes: Boolean(flags.yes),
    dryRun: Boolean(flags.dryRun),
  };
}

/**
 * A drill's addresses always win, so nothing a drill sends leaves this machine; what to trust
 * (the packages, the project) a flag may narrow, as on a real run.
 */
function drillFlags(drill: Drill, flags: TrustFlags): Record<string, unknown> {
  const world = drill.flags("npm");
  const addresses = Object.fromEntries(Object.entries(world).filter(([key]) => key.endsWith("Url")));
  return { ...world, ...flags, ...addresses };
}

/** Every journal entry, appended to the audit record as it happens. */
function auditListener(append: AuditRun): (entry: JournalEntry, journal: TrustJournal) => void {
  return (entry, journal) =>
    append({ at: entry.at.toISOString(), registry: "npm", envVar: journal.envVar, where: journal.where, step: `trust ${entry.step}`, outcome: entry.outcome, ...(entry.detail ? { detail: entry.detail } : {}) });
}

export async function runTrust(flags: TrustFlags, runtime: Runtime): Promise<number> {
  const { io } = runtime;
  const ownDrill: Drill | undefined = flags.sandbox ? await openDrill(runtime) : undefined;
  try {
    // A drill in a terminal rehearses the real thing: password and codes are asked for.
    const rehearsal = Boolean(ownDrill && io.canPrompt && flags.input !== false);
    if (ownDrill && rehearsal) for (const line of ownDrill.instructions("npm")) io.err(`${line}\n`);
    const sources = loadSources({
      flags: ownDrill ? drillFlags(ownDrill, flags) : flags,
      env: { ...runtime.env, ...ownDrill?.env("npm", rehearsal) },
      cwd: runtime.cwd,
      sections: [circleciSection, browserSection, npm.section],
    });
    const ask = new Ask(io, runtime.prompter);
    const progress = new Progress(io);
    const { settings, targets } = await settingsOrAsk((from) => npm.settings(from), (s) => s.envVar, npm.defaultEnvVar, sources, ask);
    const request = trustRequest(flags, settings, targets, sources.env);
    if (!ownDrill) await confirmUrls(overriddenUrls([circleciSection, npm.section], sources), { trustUrls: Boolean(flags.trustUrls), ask, note: (text) => progress.note(text) });
    const browser = browserSettings(sources);
    const steps = createSteps(progress, { headed: !browser.headless, stepTimeoutMs: browser.stepTimeout * 1000 });
    const password = flags.passwordStdin ? await passwordFromStdin(io, npm.title) : undefined;
    const credentials = credentialsFrom({
      id: "npm",
      title: "npm",
      ...(settings.username ? { username: settings.username } : {}),
      env: password ? { ...sources.env, ROTATE_NPM_PASSWORD: password.reveal() } : sources.env,
      ask,
      ...(flags.otp ? { firstOtp: new Secret(flags.otp, "npm one-time code") } : {}),
    });
    const token = await circleciToken(sources.env, ask);
    const circleci = runtime.circleci({ baseUrl: circleciSettings(sources).url, token, onRetry: ({ reason, waitMs }) => progress.note(`CircleCI ${reason}; trying again in ${(waitMs / 1000).toFixed(1)}s`) });
    const started = Date.now();
    const result = await trustPublishing(request, {
      ask,
      progress,
      circleci,
      npm: npmSide({ settings, browser, credentials, steps, signal: runtime.signal, runtime }),
      cwd: runtime.cwd,
      ...(ownDrill ? { prove: drillProver(ownDrill.controlUrl) } : {}),
      clock: runtime.clock,
      signal: runtime.signal,
      // Drills on the replicas stay out of the audit record of real changes.
      ...(ownDrill ? {} : { onEntry: auditListener(AuditLog.startRun(runtime.env)) }),
    });
    const drill = Boolean(ownDrill);
    if (result.kind === "dry-run") {
      if (flags.json) io.out(`${JSON.stringify({ ok: true, drill, dryRun: true, circleci: result.ids, plan: result.plan })}\n`);
      else io.out(`${drill ? "DRILL: " : ""}Dry run: nothing changed.\n`);
      return 0;
    }
    const durationMs = Date.now() - started;
    if (flags.json) io.out(`${JSON.stringify(trustSummaryJson(result, durationMs, drill))}\n`);
    else io.out(`${renderTrustSummary(result, durationMs, drill)}\n\n${trustTeamNote(result, runtime.clock(), { drill })}\n`);
    return 0;
  } catch (error) {
    if (flags.json) io.out(`${JSON.stringify(failureJson(error))}\n`);
    throw error;
  } finally {
    await ownDrill?.close();
  }
}
