// The work of `rotate trust npm` (its flags and help are in trust.ts): settings, credentials and
// the CircleCI client, then the trust runbook with the collaborators the runtime hands in, then
// the report.
import { npm } from "../../flows/npm/index.js";
import { Ask } from "../ask.js";
import { AuditLog, type AuditRun } from "../audit.js";
import { loadSources, overriddenUrls } from "../settings/config.js";
import { credentialsFrom } from "../settings/credentials.js";
import { openDrill, type Drill } from "../drill/open.js";
import type { JournalEntry } from "../rotation/journal.js";
import { Progress } from "../rotation/progress.js";
import { failureJson } from "../rotation/report.js";
import { browserSection, circleciSection } from "../settings/declarations.js";
import { browserSettings, circleciSettings } from "../settings/run-settings.js";
import type { Runtime } from "../runtime.js";
import { Secret } from "../secrets/secret.js";
import { circleciToken, passwordFromStdin, settingsOrAsk } from "./prepare.js";
import { createSteps } from "../rotation/steps.js";
import type { TrustJournal } from "../trust/journal.js";
import { npmSide } from "../trust/npm.js";
import { drillProver } from "../trust/proof.js";
import { renderTrustSummary, trustSummaryJson, trustTeamNote } from "../trust/report.js";
import { trustPublishing } from "../trust/runbook.js";
import { confirmUrls } from "../settings/official-urls.js";
import { trustRequest, type TrustFlags } from "./trust.js";

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
    append({
      at: entry.at.toISOString(),
      registry: "npm",
      envVar: journal.envVar,
      where: journal.where,
      step: `trust ${entry.step}`,
      outcome: entry.outcome,
      ...(entry.detail ? { detail: entry.detail } : {}),
    });
}

export async function runTrust(flags: TrustFlags, runtime: Runtime): Promise<number> {
  const { io } = runtime;
  const ownDrill: Drill | undefined = flags.sandbox ? await openDrill(runtime, flags) : undefined;
  try {
    // A drill in a terminal rehearses the real thing: password and codes are asked for.
    const rehearsal = Boolean(ownDrill && io.canPrompt && flags.input !== false);
    if (ownDrill && rehearsal) for (const line of ownDrill.instructions("npm")) io.err(`${line}\n`);
    const sources = loadSources({
      flags: ownDrill ? drillFlags(ownDrill, flags) : flags,
      env: ownDrill ? ownDrill.env("npm", rehearsal) : runtime.env,
      cwd: runtime.cwd,
      sections: [circleciSection, browserSection, npm.section],
    });
    const ask = new Ask(io, runtime.prompter);
    const progress = new Progress(io);
    const { settings, targets } = await settingsOrAsk(
      (from) => npm.settings(from),
      (s) => s.envVar,
      npm.defaultEnvVar,
      sources,
      ask,
    );
    const request = trustRequest(flags, settings, targets, sources.env);
    if (!ownDrill)
      await confirmUrls([...overriddenUrls([circleciSection, npm.section], sources), ...(settings.addresses ?? [])], {
        trustUrls: Boolean(flags.trustUrls),
        ask,
        note: (text) => progress.note(text),
      });
    const browser = browserSettings(sources);
    const steps = createSteps(progress, { headed: !browser.headless, stepTimeoutMs: browser.stepTimeout * 1000 });
    // A drill takes no real credential (openDrill said so).
    const password = flags.passwordStdin && !ownDrill ? await passwordFromStdin(io, npm.title) : undefined;
    const credentials = credentialsFrom({
      id: "npm",
      title: "npm",
      ...(settings.username ? { username: settings.username } : {}),
      env: password ? { ...sources.env, ROTATE_NPM_PASSWORD: password.reveal() } : sources.env,
      ask,
      ...(flags.otp && !ownDrill ? { firstOtp: new Secret(flags.otp, "npm one-time code") } : {}),
    });
    const token = await circleciToken(sources.env, ask);
    const circleci = runtime.circleci({
      baseUrl: circleciSettings(sources).url,
      token,
      onRetry: ({ reason, waitMs }) => progress.note(`CircleCI ${reason}; trying again in ${(waitMs / 1000).toFixed(1)}s`),
    });
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
