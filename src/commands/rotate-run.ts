// The work of `rotate npm` / `rotate pypi` (their flags and help are in rotate.ts): settings,
// credentials and the CircleCI client, then the runbook with the collaborators the runtime hands
// in, then the report.
import { Ask } from "../ask.js";
import { AuditLog, type AuditRun } from "../audit.js";
import { flagAttribute, loadSources, MissingSettingsError, overriddenUrls, parseAnswer, type Sources } from "../config.js";
import type { TargetSpec } from "../circleci-target.js";
import { credentialsFrom } from "../credentials.js";
import { openDrill, type Drill } from "../drill.js";
import { requireDisplay } from "../display.js";
import { UsageError } from "../errors.js";
import type { Journal, JournalEntry } from "../journal.js";
import { Progress } from "../progress.js";
import type { ConfiguredRegistry, Registry } from "../registry.js";
import { failureJson, renderSummary, summaryJson, teamNote } from "../report.js";
import { runRotation } from "../runbook.js";
import { browserSection, browserSettings, circleciSection, circleciSettings, destinationsFor } from "../run-settings.js";
import type { Runtime } from "../runtime.js";
import { Secret } from "../secret.js";
import { createSteps } from "../steps.js";
import { confirmUrls } from "../trusted-urls.js";
import { rotationRequest, type RotateFlags } from "./rotate.js";

async function circleciToken(env: NodeJS.ProcessEnv, ask: Ask): Promise<Secret> {
  if (env.CIRCLECI_TOKEN) return new Secret(env.CIRCLECI_TOKEN, "CircleCI token");
  return ask.secret("CircleCI personal API token:", "CircleCI token", "set CIRCLECI_TOKEN in the environment");
}

/** The password from stdin, trailing newline trimmed (as `docker login --password-stdin`). */
async function passwordFromStdin(runtime: Runtime, registry: Registry): Promise<Secret> {
  if (runtime.io.stdin.isTTY) throw new UsageError("--password-stdin reads a pipe, not a terminal: pipe the password in, or leave the flag out to be asked");
  const chunks: Buffer[] = [];
  for await (const chunk of runtime.io.stdin) chunks.push(Buffer.from(chunk as Buffer));
  const text = Buffer.concat(chunks).toString("utf8").replace(/\r?\n$/, "");
  if (!text) throw new UsageError("--password-stdin: stdin was empty");
  return new Secret(text, `${registry.title} password`);
}

/**
 * The registry's settings and the CircleCI destinations. Whatever is missing is named all at once
 * before anything starts; in a terminal each missing setting is asked for (and checked) instead.
 */
async function settingsOrAsk(registry: Registry, sources: Sources, ask: Ask): Promise<{ configured: ConfiguredRegistry; targets: TargetSpec[] }> {
  for (;;) {
    const configured = await registry.configure(sources).catch((error: unknown) => missingOnly(error));
    const envVar = configured instanceof MissingSettingsError ? registry.defaultEnvVar : configured.settings.envVar;
    const targets = await Promise.resolve().then(() => destinationsFor(circleciSettings(sources), envVar)).catch((error: unknown) => missingOnly(error));
    const problems = [configured, targets].filter((x): x is MissingSettingsError => x instanceof MissingSettingsError);
    if (problems.length === 0) return { configured: configured as ConfiguredRegistry, targets: targets as TargetSpec[] };
    const missing = problems.reduce((all, next) => all.and(next));
    if (!ask.canPrompt) throw missing;
    for (const { section, key } of missing.missing) {
      const spec = section.settings[key];
      if (!spec) throw missing;
      const answer = await ask.text(`${spec.describe}:`, "", { validate: (text) => { const parsed = parseAnswer(spec, text); return parsed.ok || parsed.why; } });
      const parsed = parseAnswer(spec, answer);
      if (parsed.ok) sources.flags[flagAttribute(spec.flag)] = parsed.value;
    }
  }
}

function missingOnly(error: unknown): MissingSettingsError {
  if (error instanceof MissingSettingsError) return error;
  throw error;
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
    const { configured, targets } = await settingsOrAsk(registry, sources, ask);
    const browser = browserSettings(sources);
    const request = rotationRequest(flags, registry, targets, sources.env);
    // The drill world's addresses are rotate's own replicas; any other override is confirmed.
    if (!world) {
      const urls = overriddenUrls([circleciSection, registry.section], sources);
      await confirmUrls(urls, { trustUrls: Boolean(flags.trustUrls), ask, note: (text) => progress.note(text) });
    }
    const password = flags.passwordStdin ? await passwordFromStdin(runtime, registry) : undefined;
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
      launchBrowser: (found, origins, headless = browser.headless) =>
        runtime.launchBrowser({ browser: found, headless, allowedOrigins: origins, env: runtime.env, timeoutMs: browser.stepTimeout * 1000 }),
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
