// `rotate npm` / `rotate pypi`: flags → a rotation request (a pure function, tested on its own),
// then the runbook with the collaborators the runtime hands in, then the report. The same code
// serves every registry; the registry brings its flow and its flags.
import { Command, Option } from "commander";
import { Ask } from "../ask.js";
import { AuditLog, type AuditRun } from "../audit.js";
import { addSettingOptions, loadSources, overriddenUrls } from "../config.js";
import type { TargetSpec } from "../circleci-target.js";
import { credentialsFrom } from "../credentials.js";
import { openDrill, type Drill } from "../drill.js";
import { requireDisplay } from "../display.js";
import { UsageError } from "../errors.js";
import type { Journal, JournalEntry } from "../journal.js";
import { Progress } from "../progress.js";
import type { Registry } from "../registry.js";
import { failureJson, renderSummary, summaryJson, teamNote } from "../report.js";
import { runRotation, type Order, type RotationRequest } from "../runbook.js";
import { browserSection, browserSettings, circleciSection, circleciSettings } from "../run-settings.js";
import type { Runtime } from "../runtime.js";
import { Secret } from "../secret.js";
import { circleciToken, passwordFromStdin, settingsOrAsk } from "../command-settings.js";
import { createSteps } from "../steps.js";
import { confirmUrls } from "../trusted-urls.js";

export interface RotateFlags {
  leaked?: boolean;
  routine?: boolean;
  grace?: string;
  yes?: boolean;
  dryRun?: boolean;
  trustUrls?: boolean;
  deleteOrphans?: boolean;
  oldToken?: string;
  keepOld?: boolean;
  createEnvVar?: boolean;
  json?: boolean;
  input?: boolean;
  otp?: string;
  passwordStdin?: boolean;
  sandbox?: boolean;
  config?: string;
  [setting: string]: unknown;
}

export function rotateCommand(registry: Registry, run: (flags: RotateFlags) => Promise<number>): Command {
  const command = new Command(registry.id)
    .summary(`replace the ${registry.title} token CircleCI holds (${registry.defaultEnvVar}) with a new one`)
    .description(`Signs in to ${registry.title} in an isolated browser, creates a new token, puts it in CircleCI, verifies it, and deletes the old one.`);
  registry.addOptions(command);
  addSettingOptions(command, circleciSection);
  addSettingOptions(command, browserSection);
  const env = `ROTATE_${registry.id.toUpperCase()}`;
  command
    .addOption(new Option("--leaked", "the old token was exposed: delete it first (incident order)").conflicts("routine"))
    .option("--routine", "the old token was not exposed: new token first, old one last (the default without a terminal)")
    .option("--grace <seconds>", "routine order: wait this long before deleting the old token, so running publishes finish")
    .option("--old-token <name>", "the name of the token CircleCI holds now, if rotate cannot tell")
    .option("--keep-old", "delete no old token")
    .option("--delete-orphans", "also delete tokens earlier runs left behind")
    .option("--create-env-var", "the CircleCI variable does not exist yet: create it")
    .option("--dry-run", "preflight, sign in and show the plan; change nothing")
    .option("--trust-urls", "accept addresses other than the sites' official ones without asking (they are still named)")
    .option("--otp <code>", "a one-time code for the first challenge (it expires in seconds, so it may sit on the command line)")
    .option("--password-stdin", `read the ${registry.title} password from stdin (instead of ${env}_PASSWORD or a prompt)`)
    .option("-y, --yes", "do not ask for confirmation (required without a terminal)")
    .option("--json", "print one machine-readable object, on success and on failure")
    .option("--no-input", "never prompt; fail if an answer is missing")
    .option("--sandbox", "run against the built-in local replicas (drill; no real accounts)")
    .option("--config <path>", "config file (default ./rotate.config.json)")
    .addHelpText(
      "after",
      `
Examples:
  $ rotate ${registry.id}                      # settings from rotate.config.json; asks for the rest
  $ rotate ${registry.id} --leaked             # the old token was exposed: delete it first
  $ rotate ${registry.id} --dry-run            # preflight, sign in, show the plan; change nothing
  $ rotate ${registry.id} --sandbox            # a drill on the built-in replicas
  $ rotate ${registry.id} --yes --routine      # non-interactive: CIRCLECI_TOKEN, ${env}_PASSWORD and
                                      # ${env}_TOTP_SECRET exported from your secret store
Exit codes: 0 done · 1 failed, nothing changed · 2 usage or config error · 3 partly done, a human must act
            4 cancelled at the confirmation · 130 interrupted before anything changed`,
    )
    .action(async (flags: RotateFlags) => {
      process.exitCode = await run(flags);
    });
  return command;
}

/** Flags → what the responder asked for. Pure: no prompts, no network. */
export function rotationRequest(flags: RotateFlags, registry: Registry, targets: TargetSpec[], env: NodeJS.ProcessEnv): RotationRequest {
  const grace = flags.grace === undefined ? 0 : Number(flags.grace);
  if (!Number.isFinite(grace) || grace < 0) throw new UsageError(`--grace ${flags.grace}: give a number of seconds`);
  if (flags.leaked && grace > 0) throw new UsageError("--grace applies to the routine order only: an exposed token is deleted at once");
  if (flags.oldToken && flags.keepOld) throw new UsageError("--old-token and --keep-old contradict each other: give one");
  const order: Order | undefined = flags.leaked ? "incident" : flags.routine ? "routine" : undefined;
  const oldValue = env[`ROTATE_${registry.id.toUpperCase()}_OLD_TOKEN`];
  return {
    command: `rotate ${registry.id}`,
    targets,
    ...(order ? { order } : {}),
    graceSeconds: grace,
    yes: Boolean(flags.yes),
    dryRun: Boolean(flags.dryRun),
    deleteOrphans: Boolean(flags.deleteOrphans),
    ...(flags.keepOld ? { oldToken: "none" as const } : flags.oldToken ? { oldToken: { name: flags.oldToken } } : {}),
    ...(oldValue ? { oldTokenValue: new Secret(oldValue, `old ${registry.title} token`, { showLast4: true }) } : {}),
    createEnvVar: Boolean(flags.createEnvVar),
  };
}

/** Appends each journal entry to the audit record; the final one carries the new token's name, last four and expiry. */
function auditListener(append: AuditRun): (entry: JournalEntry, journal: Journal) => void {
  return (entry, journal) =>
    append({
      at: entry.at.toISOString(),
      registry: journal.registry,
      envVar: journal.envVar,
      where: journal.where,
      step: entry.step,
      outcome: entry.outcome,
      ...(entry.detail ? { detail: entry.detail } : {}),
      ...(entry.step === "done" && journal.new.token && journal.new.last4
        ? { newToken: { name: journal.new.token.name, last4: journal.new.last4, expires: journal.new.expires?.toISOString() ?? null } }
        : {}),
    });
}

/** Runs one rotation. With --sandbox (or a drill handed in by the demo) it runs against the replicas. */
export async function runRotate(registry: Registry, flags: RotateFlags, runtime: Runtime, sharedDrill?: Drill): Promise<number> {
  const { io } = runtime;
  // The replicas load only for drills: a real run never pays for them.
  const ownDrill = flags.sandbox && !sharedDrill ? await openDrill(runtime) : undefined;
  const world = sharedDrill ?? ownDrill;
  try {
    // A drill in a terminal rehearses the real thing: password and code are asked for.
    const rehearsal = Boolean(world && io.canPrompt && flags.input !== false);
    if (world && rehearsal) for (const line of world.instructions(registry.id)) io.err(`${line}\n`);
    const sources = loadSources({
      flags: { ...flags, ...world?.flags(registry.id) },
      env: { ...runtime.env, ...world?.env(registry.id, rehearsal) },
      cwd: runtime.cwd,
      sections: [circleciSection, browserSection, registry.section],
    });
    const ask = new Ask(io, runtime.prompter);
    const progress = new Progress(io);
    const { settings: configured, targets } = await settingsOrAsk((from) => registry.configure(from), (c) => c.settings.envVar, registry.defaultEnvVar, sources, ask);
    const browser = browserSettings(sources);
    const request = rotationRequest(flags, registry, targets, sources.env);
    // The drill world's addresses are rotate's own replicas; any other override is confirmed.
    if (!world) {
      const urls = overriddenUrls([circleciSection, registry.section], sources);
      await confirmUrls(urls, { trustUrls: Boolean(flags.trustUrls), ask, note: (text) => progress.note(text) });
    }
    const password = flags.passwordStdin ? await passwordFromStdin(runtime.io, registry.title) : undefined;
    const credentials = credentialsFrom({
      id: registry.id,
      title: registry.title,
      ...(configured.settings.username ? { username: configured.settings.username } : {}),
      env: password ? { ...sources.env, [`ROTATE_${registry.id.toUpperCase()}_PASSWORD`]: password.reveal() } : sources.env,
      ask,
      ...(flags.otp ? { firstOtp: new Secret(flags.otp, `${registry.title} one-time code`) } : {}),
    });
    const circleci = runtime.circleci({
      baseUrl: circleciSettings(sources).url,
      token: await circleciToken(sources.env, ask),
      onRetry: ({ reason, waitMs }) => progress.note(`CircleCI ${reason}; trying again in ${(waitMs / 1000).toFixed(1)}s`),
    });
    const started = Date.now();
    const result = await runRotation(configured, request, {
      ask,
      progress,
      steps: createSteps(progress, { headed: !browser.headless, stepTimeoutMs: browser.stepTimeout * 1000 }),
      credentials,
      circleci,
      findBrowser: () => {
        if (!browser.headless) requireDisplay(runtime.env);
        return runtime.findBrowser(browser.path);
      },
      launchBrowser: (found, site, headless = browser.headless) =>
        runtime.launchBrowser({ browser: found, headless, allowedOrigins: site.origins, assetOrigins: site.assets, env: runtime.env, timeoutMs: browser.stepTimeout * 1000 }),
      cautions: runtime.cautions,
      reachable: runtime.reachable,
      sleep: runtime.sleep,
      clock: runtime.clock,
      signal: runtime.signal,
      // Drills on the replicas stay out of the audit record of real rotations.
      ...(world ? {} : { onEntry: auditListener(AuditLog.startRun(runtime.env)) }),
    });
    const durationMs = Date.now() - started;
    const drill = Boolean(world);
    if (result.kind === "dry-run") {
      if (flags.json) io.out(`${JSON.stringify({ ok: true, dryRun: true, plan: result.plan })}\n`);
      else io.out(`${drill ? "DRILL: " : ""}Dry run: nothing changed.\n`);
      return 0;
    }
    if (flags.json) io.out(`${JSON.stringify(summaryJson(result, durationMs, drill))}\n`);
    else io.out(`${renderSummary(result, durationMs, drill)}\n\n${teamNote(result, runtime.clock(), { drill })}\n`);
    return 0;
  } catch (error) {
    if (flags.json) io.out(`${JSON.stringify(failureJson(error))}\n`);
    throw error;
  } finally {
    await ownDrill?.close();
  }
}
