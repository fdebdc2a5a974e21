// `rotate npm` / `rotate pypi`: parse the flags into settings, wire the collaborators, run the
// runbook, report. The same code serves every registry; the registry brings its flow and flags.
import { Command, Option } from "commander";
import { Ask, inquirerPrompter } from "../ask.js";
import { createHttp } from "../http.js";
import { AuditLog, type AuditRun } from "../audit.js";
import { findBrowser } from "../browser-finder.js";
import { browserEnv, launchIsolated } from "../browser.js";
import { CircleciClient } from "../circleci.js";
import { addSettingOptions, loadSources, type Sources } from "../config.js";
import { credentialsFrom } from "../credentials.js";
import { NothingChangedError, UsageError } from "../errors.js";
import type { Registry } from "../flow.js";
import type { IO } from "../io.js";
import type { Journal, JournalEvent } from "../journal.js";
import { Progress } from "../progress.js";
import { renderSummary, summaryJson, teamNote } from "../report.js";
import { abortableSleep } from "../retry.js";
import { runRotation, type Order, type RunOptions } from "../runbook.js";
import { browserSection, browserSettings, circleciSection, circleciSettings } from "../run-settings.js";
import { Secret } from "../secret.js";
import { createSteps } from "../steps.js";
import { loadReplicas } from "../replicas.js";
import type { SandboxWorld } from "rotate-replicas";

export interface RotateFlags {
  leaked?: boolean;
  routine?: boolean;
  grace?: string;
  yes?: boolean;
  deleteOrphans?: boolean;
  oldToken?: string;
  keepOld?: boolean;
  createEnvVar?: boolean;
  json?: boolean;
  input?: boolean;
  sandbox?: boolean;
  config?: string;
  [setting: string]: unknown;
}

export interface Runtime {
  io: IO;
  env: NodeJS.ProcessEnv;
  cwd: string;
  clock: () => Date;
  /** Aborted on Ctrl-C / SIGTERM. */
  signal: AbortSignal;
}

export function rotateCommand<S>(registry: Registry<S>, run: (flags: RotateFlags) => Promise<number>): Command {
  const { flow } = registry;
  const command = new Command(flow.id)
    .summary(`replace the ${flow.title} token CircleCI holds (${flow.defaultEnvVar}) with a new one`)
    .description(
      `Signs in to ${flow.title} in an isolated browser, creates a new token, puts it in CircleCI, verifies it, and deletes the old one.`,
    );
  registry.addOptions(command);
  addSettingOptions(command, circleciSection);
  addSettingOptions(command, browserSection);
  command
    .addOption(new Option("--leaked", "the old token was exposed: delete it first (incident order)").conflicts("routine"))
    .option("--routine", "the old token was not exposed: new token first, old one last (the default without a terminal)")
    .option("--grace <seconds>", "routine order: wait this long before deleting the old token, so running publishes finish")
    .option("--old-token <name>", "the name of the token CircleCI holds now, if rotate cannot tell")
    .option("--keep-old", "delete no old token")
    .option("--delete-orphans", "also delete tokens earlier runs left behind")
    .option("--create-env-var", "the CircleCI variable does not exist yet: create it")
    .option("-y, --yes", "do not ask for confirmation (required without a terminal)")
    .option("--json", "print one machine-readable summary instead of the report")
    .option("--no-input", "never prompt; fail if an answer is missing")
    .option("--sandbox", "run against the built-in local replicas (drill; no real accounts)")
    .option("--config <path>", "config file (default ./rotate.config.json)")
    .addHelpText(
      "after",
      `
Examples:
  $ rotate ${flow.id}                      # settings from rotate.config.json; asks for the rest
  $ rotate ${flow.id} --leaked             # the old token was exposed: delete it first
  $ rotate ${flow.id} --sandbox --headless # a drill on the built-in replicas
  $ rotate ${flow.id} --yes --routine      # non-interactive: CIRCLECI_TOKEN, ROTATE_${flow.id.toUpperCase()}_PASSWORD and
                                      # ROTATE_${flow.id.toUpperCase()}_TOTP_SECRET exported from your secret store
Exit codes: 0 done · 1 failed, nothing changed · 2 usage or config error · 3 partly done, a human must act`,
    )
    .action(async (flags: RotateFlags) => {
      process.exitCode = await run(flags);
    });
  return command;
}

function runOptions(flags: RotateFlags, registry: Registry<unknown>, envVar: string, slug: string, headless: boolean, env: NodeJS.ProcessEnv): Omit<RunOptions, "context"> {
  const grace = flags.grace === undefined ? 0 : Number(flags.grace);
  if (!Number.isFinite(grace) || grace < 0) throw new UsageError(`--grace ${flags.grace}: give a number of seconds`);
  if (flags.leaked && grace > 0) throw new UsageError("--grace applies to the routine order only: an exposed token is deleted at once");
  if (flags.oldToken && flags.keepOld) throw new UsageError("--old-token and --keep-old contradict each other: give one");
  const order: Order | undefined = flags.leaked ? "incident" : flags.routine ? "routine" : undefined;
  const oldValue = env[`ROTATE_${registry.flow.id.toUpperCase()}_OLD_TOKEN`];
  return {
    command: `rotate ${registry.flow.id}`,
    projectSlug: slug,
    envVar,
    ...(order ? { order } : {}),
    graceSeconds: grace,
    yes: Boolean(flags.yes),
    deleteOrphans: Boolean(flags.deleteOrphans),
    ...(flags.keepOld ? { oldToken: "none" as const } : flags.oldToken ? { oldToken: { name: flags.oldToken } } : {}),
    ...(oldValue ? { oldTokenValue: new Secret(oldValue, `old ${registry.flow.title} token`, { showLast4: true }) } : {}),
    createEnvVar: Boolean(flags.createEnvVar),
    headless,
  };
}

async function circleciToken(env: NodeJS.ProcessEnv, ask: Ask): Promise<Secret> {
  if (env.CIRCLECI_TOKEN) return new Secret(env.CIRCLECI_TOKEN, "CircleCI token");
  return ask.secret("CircleCI personal API token:", "CircleCI token", "set CIRCLECI_TOKEN in the environment");
}

async function reachable(url: string): Promise<void> {
  try {
    const http = await createHttp({ timeout: 15_000, maxRedirects: 0, validateStatus: () => true });
    await http.get(url);
  } catch (error) {
    const code = (error as { code?: string }).code ?? "no answer";
    throw new NothingChangedError(`cannot reach ${url} (${code}): check the network or the URL settings, then rerun`);
  }
}

/** Appends each journal event to the audit record; the final one carries the new token's name, last four and expiry. */
function auditListener(append: AuditRun): (event: JournalEvent, journal: Journal) => void {
  return (event, journal) =>
    append({
      at: event.at.toISOString(),
      registry: journal.registry,
      envVar: journal.envVar,
      where: journal.where,
      step: event.step,
      outcome: event.outcome,
      ...(event.detail ? { detail: event.detail } : {}),
      ...(event.step === "done" && journal.new.token && journal.new.last4
        ? { newToken: { name: journal.new.token.name, last4: journal.new.last4, expires: journal.new.expires?.toISOString() ?? null } }
        : {}),
    });
}

/** Runs one rotation. With --sandbox (or a world handed in by the demo) it runs against the replicas. */
export async function runRotate<S>(registry: Registry<S>, flags: RotateFlags, runtime: Runtime, sharedWorld?: SandboxWorld): Promise<number> {
  const { io } = runtime;
  // The replicas load only for drills: a real run never pays for them.
  const ownWorld = flags.sandbox && !sharedWorld ? await (await loadReplicas()).startSandboxWorld({ now: runtime.clock }) : undefined;
  const world = sharedWorld ?? ownWorld;
  try {
    const sources: Sources = loadSources({
      flags: { ...flags, ...world?.flags(registry.flow.id) },
      env: { ...runtime.env, ...world?.env(registry.flow.id) },
      cwd: runtime.cwd,
      sections: [circleciSection, browserSection, registry.section],
    });
    const settings = await registry.settings(sources);
    const circle = circleciSettings(sources);
    const browser = browserSettings(sources);
    const envVar = (settings as { envVar?: string }).envVar ?? registry.flow.defaultEnvVar;
    const options: RunOptions = {
      ...runOptions(flags, registry as Registry<unknown>, envVar, circle.projectSlug, browser.headless, sources.env),
      ...(circle.context ? { context: circle.context } : {}),
    };
    const ask = new Ask(io, inquirerPrompter(io));
    const progress = new Progress(io);
    const steps = createSteps(progress, { headed: !browser.headless });
    const circleci = new CircleciClient({
      baseUrl: circle.url,
      token: await circleciToken(sources.env, ask),
      signal: runtime.signal,
      retry: {
        sleep: abortableSleep,
        onRetry: ({ reason, waitMs }) => progress.note(`CircleCI ${reason}; trying again in ${(waitMs / 1000).toFixed(1)}s`),
      },
    });
    const started = Date.now();
    const result = await runRotation(registry.flow, settings, options, {
      ask,
      progress,
      steps,
      credentials: credentialsFrom({ id: registry.flow.id, title: registry.flow.title, username: (settings as { username?: string }).username, env: sources.env, ask }),
      circleci,
      findBrowser: () => findBrowser(browser.path),
      launchBrowser: (found, origins) =>
        launchIsolated({ browser: found, headless: browser.headless, allowedOrigins: origins, env: browserEnv(runtime.env), timeoutMs: browser.stepTimeout * 1000 }),
      reachable,
      sleep: abortableSleep,
      clock: runtime.clock,
      signal: runtime.signal,
      // Drills on the replicas stay out of the audit record of real rotations.
      ...(world ? {} : { onEvent: auditListener(AuditLog.startRun(runtime.env)) }),
    });
    const durationMs = Date.now() - started;
    if (flags.json) io.out(`${JSON.stringify(summaryJson(result, registry.flow.title, durationMs))}\n`);
    else io.out(`${renderSummary(result, registry.flow.title, durationMs)}\n\n${teamNote(result, registry.flow.title, runtime.clock())}\n`);
    return 0;
  } finally {
    await ownWorld?.close();
  }
}
