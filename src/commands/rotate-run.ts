// The work of `rotate npm` / `rotate pypi` (their flags and help are in rotate.ts): the run set up
// (prepare.ts), then the runbook with its collaborators, then the report.
import { AuditLog, auditPath, whoRan, type AuditRun } from "../audit.js";
import { ExitCode } from "../errors.js";
import type { Drill } from "../drill/open.js";
import type { Journal, JournalEntry } from "../rotation/journal.js";
import type { Registry } from "../registry.js";
import { History, historyRecorder } from "../rotation/history.js";
import { rotationsOf } from "../rotation/records.js";
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

/** What rotate recorded (the project's history, this machine's audit record) of the last rotation of a variable. */
function lastRotatedIn(
  env: NodeJS.ProcessEnv,
  registry: string,
  configFile: string | undefined,
): (envVar: string, where: string) => { name: string; last4: string; at: string } | undefined {
  const records = { audit: new AuditLog(auditPath(env)), history: configFile ? History.beside(configFile) : undefined };
  return (envVar, where) => {
    const last = rotationsOf(records, { registry, envVar, where }).at(-1);
    return last ? { name: last.tokenName, last4: last.last4, at: last.at } : undefined;
  };
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
      const drill = Boolean(run.drill);
      const audit = run.audit && auditListener(run.audit);
      // Beside a project's config file, the team's record of what CircleCI holds (rotation/history.ts).
      const history = run.configFile ? historyRecorder(History.beside(run.configFile), { by: whoRan(runtime.env), drill }) : undefined;
      try {
        const started = Date.now();
        const result = await runRotation(
          run.settings,
          { ...run.request, addresses: run.addresses },
          {
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
            onEntry: (entry, journal) => {
              audit?.(entry, journal);
              history?.listener(entry, journal);
            },
            // What rotate recorded of this variable is evidence of which token CircleCI holds; drills do not read it.
            ...(drill ? {} : { lastRotated: lastRotatedIn(runtime.env, registry.title, run.configFile) }),
          },
        );
        const durationMs = Date.now() - started;
        if (result.kind === "dry-run") {
          if (flags.json) io.out(`${JSON.stringify({ ok: true, dryRun: true, plan: result.plan, addresses: run.addresses })}\n`);
          else io.out(`${drill ? "DRILL: " : ""}Dry run: nothing changed.\n`);
          return 0;
        }
        // The person's time too: how many one-time codes the run asked for, and how long it waited for them.
        if (flags.json)
          io.out(
            `${JSON.stringify({ ...summaryJson(result, durationMs, drill), addresses: run.addresses, oneTimeCodes: run.credentials.otpTally() })}\n`,
          );
        else io.out(`${renderSummary(result, durationMs, drill)}\n\n${teamNote(result, runtime.clock(), { drill })}\n`);
        // Rotated, but something is left that a human must act on (said in the summary).
        return result.needsHuman.length > 0 ? ExitCode.needsHuman : ExitCode.done;
      } finally {
        if (history?.written())
          io.err(
            drill
              ? `Recorded the drill in ${history.path} (rotate status leaves drills out).\n`
              : `Recorded in ${history.path}: commit this file so everyone's \`rotate status\` knows.\n`,
          );
      }
    },
  );
}
