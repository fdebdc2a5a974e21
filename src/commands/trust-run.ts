// The work of `rotate trust <registry>` (its flags and help are in trust.ts): the run set up
// (prepare.ts), then the trust runbook with the registry's end of it, then the report.
import type { AuditRun } from "../audit.js";
import type { JournalEntry } from "../rotation/journal.js";
import type { Registry } from "../registry.js";
import type { Runtime } from "../runtime.js";
import { rotationAsSingle } from "../settings/rotations.js";
import type { TrustCapability } from "../trust/capability.js";
import type { TrustJournal } from "../trust/journal.js";
import { drillProver } from "../trust/proof.js";
import { renderTrustSummary, trustSummaryJson, trustTeamNote } from "../trust/report.js";
import { trustPublishing } from "../trust/runbook.js";
import { otherOnes, skipWindowChoice } from "../rotation/skip-window.js";
import { withPreparedRun } from "./prepare.js";
import { trustRequest, trustSection, type TrustFlags } from "./trust.js";

/** Every journal entry, appended to the audit record as it happens. */
function auditListener(append: AuditRun, registry: string): (entry: JournalEntry, journal: TrustJournal) => void {
  return (entry, journal) =>
    append({
      at: entry.at.toISOString(),
      registry,
      envVar: journal.envVar,
      where: journal.where,
      step: `trust ${entry.step}`,
      outcome: entry.outcome,
      ...(entry.detail ? { detail: entry.detail } : {}),
    });
}

export async function runTrust(registry: Registry & { trust: TrustCapability }, flags: TrustFlags, runtime: Runtime): Promise<number> {
  const { io } = runtime;
  const { trust } = registry;
  return withPreparedRun(
    runtime,
    {
      registry,
      section: trustSection(registry),
      flags,
      // A fleet's config: the project of one rotation, named with --only.
      narrow: (sources) => rotationAsSingle(registry, sources, flags.only),
      configure: (sources) => trust.configure(sources),
      request: (configured, targets, sources) => trustRequest(flags, registry, configured.settings, targets, sources.env),
    },
    async (run) => {
      const started = Date.now();
      const terms = run.settings;
      const result = await trustPublishing(run.request, {
        ask: run.ask,
        progress: run.progress,
        circleci: run.circleci,
        registry: {
          title: registry.title,
          terms,
          allow: trust.allow,
          defaultAllow: trust.defaultAllow,
          side: run.settings.side({
            credentials: run.credentials,
            steps: run.steps,
            signal: runtime.signal,
            findBrowser: run.findBrowser,
            launchBrowser: (browser, origins, headless) => run.launchBrowser(browser, { origins, assets: registry.assetOrigins }, headless),
            reachable: runtime.reachable,
            skipTwoFactor: skipWindowChoice(run.ask, registry.title, otherOnes(run.request.packages.length, "set up", "package")),
          }),
        },
        cwd: runtime.cwd,
        ...(run.drill ? { prove: drillProver(run.drill.controlUrl, terms) } : {}),
        clock: runtime.clock,
        signal: runtime.signal,
        ...(run.audit ? { onEntry: auditListener(run.audit, registry.title) } : {}),
      });
      const drill = Boolean(run.drill);
      if (result.kind === "dry-run") {
        if (flags.json) io.out(`${JSON.stringify({ ok: true, drill, dryRun: true, circleci: result.ids, plan: result.plan })}\n`);
        else io.out(`${drill ? "DRILL: " : ""}Dry run: nothing changed.\n`);
        return 0;
      }
      const durationMs = Date.now() - started;
      // The person's time: how many one-time codes the run asked for, and how long it waited for them.
      if (flags.json)
        io.out(`${JSON.stringify({ ...trustSummaryJson(result, durationMs, drill), oneTimeCodes: run.credentials.otpTally() })}\n`);
      else io.out(`${renderTrustSummary(result, durationMs, drill)}\n\n${trustTeamNote(result, runtime.clock(), { drill })}\n`);
      return 0;
    },
  );
}
