// The work of `rotate npm` / `rotate pypi` (their flags and help are in rotate.ts): settings,
// credentials and the CircleCI client, then the runbook with the collaborators the runtime hands
// in, then the report.
import { Ask } from "../ask.js";
import { AuditLog, auditPath, type AuditRun } from "../audit.js";
import { addressesOf, loadSources } from "../settings/config.js";
import { credentialsFrom } from "../settings/credentials.js";
import { openDrill, type Drill } from "../drill/open.js";
import { requireDisplay } from "../browser/display.js";
import type { Journal, JournalEntry } from "../rotation/journal.js";
import { Progress } from "../rotation/progress.js";
import type { Registry } from "../registry.js";
import { failureJson, renderSummary, summaryJson, teamNote } from "../rotation/report.js";
import { runRotation } from "../rotation/runbook.js";
import { browserSection, circleciSection } from "../settings/declarations.js";
import { browserSettings, circleciSettings } from "../settings/run-settings.js";
import type { Runtime } from "../runtime.js";
import { Secret } from "../secrets/secret.js";
import { ExitCode } from "../errors.js";
import { circleciToken, passwordFromStdin, settingsOrAsk } from "./prepare.js";
import { createSteps } from "../rotation/steps.js";
import { confirmUrls } from "../settings/official-urls.js";
import { rotationRequest, type RotateFlags } from "./rotate.js";

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

/** What the audit record says the last rotation of a variable put there: evidence of which token CircleCI holds. */
function lastRotatedIn(log: AuditLog): (envVar: string, where: string) => { name: string; last4: string; at: string } | undefined {
  return (envVar, where) => {
    const last = log.lastRotation(envVar, where);
    return last?.newToken ? { name: last.newToken.name, last4: last.newToken.last4, at: last.at } : undefined;
  };
}

/** Runs one rotation. With --sandbox (or a drill handed in by the demo) it runs against the replicas. */
export async function runRotate(registry: Registry, flags: RotateFlags, runtime: Runtime, sharedDrill?: Drill): Promise<number> {
  const { io } = runtime;
  // The replicas load only for drills: a real run never pays for them.
  const ownDrill = flags.sandbox && !sharedDrill ? await openDrill(runtime, flags) : undefined;
  const world = sharedDrill ?? ownDrill;
  try {
    // A drill in a terminal rehearses the real thing: password and code are asked for.
    const rehearsal = Boolean(world && io.canPrompt && flags.input !== false);
    if (world && rehearsal) for (const line of world.instructions(registry.id)) io.err(`${line}\n`);
    const sources = loadSources({
      flags: { ...flags, ...world?.flags(registry.id) },
      env: world ? world.env(registry.id, rehearsal) : runtime.env,
      cwd: runtime.cwd,
      sections: [circleciSection, browserSection, registry.section],
    });
    const ask = new Ask(io, runtime.prompter);
    const progress = new Progress(io);
    const { settings: configured, targets } = await settingsOrAsk(
      (from) => registry.configure(from),
      (c) => c.settings.envVar,
      registry.defaultEnvVar,
      sources,
      ask,
    );
    const browser = browserSettings(sources);
    // Every address credentials go to, with where it came from: named in the plan and in --json.
    const addresses = [...addressesOf([circleciSection, registry.section], sources), ...(configured.settings.addresses ?? [])];
    const request = { ...rotationRequest(flags, registry, targets, sources.env), addresses };
    // The drill world's addresses are rotate's own replicas; any other override is confirmed.
    if (!world) await confirmUrls(addresses, { trustUrls: Boolean(flags.trustUrls), ask, note: (text) => progress.note(text) });
    // A drill takes no real credential (openDrill said so).
    const password = flags.passwordStdin && !world ? await passwordFromStdin(runtime.io, registry.title) : undefined;
    const credentials = credentialsFrom({
      id: registry.id,
      title: registry.title,
      ...(configured.settings.username ? { username: configured.settings.username } : {}),
      env: password ? { ...sources.env, [`ROTATE_${registry.id.toUpperCase()}_PASSWORD`]: password.reveal() } : sources.env,
      ask,
      ...(flags.otp && !world ? { firstOtp: new Secret(flags.otp, `${registry.title} one-time code`) } : {}),
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
        return runtime.findBrowser(browser.path, { headless: browser.headless });
      },
      launchBrowser: (found, site, headless = browser.headless) =>
        runtime.launchBrowser({
          browser: found,
          headless,
          allowedOrigins: site.origins,
          assetOrigins: site.assets,
          env: runtime.env,
          timeoutMs: browser.stepTimeout * 1000,
        }),
      cautions: runtime.cautions,
      reachable: runtime.reachable,
      sleep: runtime.sleep,
      clock: runtime.clock,
      signal: runtime.signal,
      // Drills on the replicas stay out of the audit record of real rotations, and do not read it.
      ...(world
        ? {}
        : { onEntry: auditListener(AuditLog.startRun(runtime.env)), lastRotated: lastRotatedIn(new AuditLog(auditPath(runtime.env))) }),
    });
    const durationMs = Date.now() - started;
    const drill = Boolean(world);
    if (result.kind === "dry-run") {
      if (flags.json) io.out(`${JSON.stringify({ ok: true, dryRun: true, plan: result.plan, addresses })}\n`);
      else io.out(`${drill ? "DRILL: " : ""}Dry run: nothing changed.\n`);
      return 0;
    }
    if (flags.json) io.out(`${JSON.stringify({ ...summaryJson(result, durationMs, drill), addresses })}\n`);
    else io.out(`${renderSummary(result, durationMs, drill)}\n\n${teamNote(result, runtime.clock(), { drill })}\n`);
    // Rotated, but something is left that a human must act on (said in the summary).
    return result.needsHuman.length > 0 ? ExitCode.needsHuman : ExitCode.done;
  } catch (error) {
    if (flags.json) io.out(`${JSON.stringify(failureJson(error))}\n`);
    throw error;
  } finally {
    await ownDrill?.close();
  }
}
