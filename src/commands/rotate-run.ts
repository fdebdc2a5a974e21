// The work of `rotate npm` / `rotate pypi` (their flags and help are in rotate.ts): the run set up
// (prepare.ts), then the runbook with its collaborators, then the report.
import type { AuditRun } from "../audit.js";
import type { Drill } from "../drill/open.js";
import type { Journal, JournalEntry } from "../rotation/journal.js";
import type { Registry } from "../registry.js";
import { renderSummary, summaryJson, teamNote } from "../rotation/report.js";
import { runRotation } from "../rotation/runbook.js";
import type { Runtime } from "../runtime.js";
import { withPreparedRun } from "./prepare.js";
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

/** Runs one rotation. With --sandbox (or a drill handed in by the demo) it runs against the replicas. */
export async function runRotate(registry: Registry, flags: RotateFlags, runtime: Runtime, sharedDrill?: Drill): Promise<number> {
  const { io } = runtime;
  return withPreparedRun(
    runtime,
    {
      registry,
      section: registry.section,
      flags,
      ...(sharedDrill ? { drill: sharedDrill } : {}),
      configure: (sources) => registry.configure(sources),
      request: (_configured, targets, sources) => rotationRequest(flags, registry, targets, sources.env),
    },
    async (run) => {
      const started = Date.now();
      const result = await runRotation(run.settings, run.request, {
        ask: run.ask,
        progress: run.progress,
        steps: run.steps,
        credentials: run.credentials,
        circleci: run.circleci,
        findBrowser: run.findBrowser,
        launchBrowser: run.launchBrowser,
        cautions: runtime.cautions,
        reachable: runtime.reachable,
        sleep: runtime.sleep,
        clock: runtime.clock,
        signal: runtime.signal,
        ...(run.audit ? { onEntry: auditListener(run.audit) } : {}),
      });
      const durationMs = Date.now() - started;
      const drill = Boolean(run.drill);
      if (result.kind === "dry-run") {
        if (flags.json) io.out(`${JSON.stringify({ ok: true, dryRun: true, plan: result.plan })}\n`);
        else io.out(`${drill ? "DRILL: " : ""}Dry run: nothing changed.\n`);
        return 0;
      }
      // The person's time: how many one-time codes the run asked for, and how long it waited for them.
      if (flags.json)
        io.out(`${JSON.stringify({ ...summaryJson(result, durationMs, drill), oneTimeCodes: run.credentials.otpTally() })}\n`);
      else io.out(`${renderSummary(result, durationMs, drill)}\n\n${teamNote(result, runtime.clock(), { drill })}\n`);
      return 0;
    },
  );
}
