// What both kinds of rotation run (one token, or a fleet's) share: the runbook's collaborators,
// from the prepared run and the runtime; the records it keeps as it goes (the audit record of this
// machine, the project's rotation history beside the config file) and what it says about them at
// the end; and what a dry run prints.
import { AuditLog, auditPath, whoRan, type AuditRun } from "../audit.js";
import type { Journal, JournalEntry } from "../rotation/journal.js";
import { History, historyRecorder } from "../rotation/history.js";
import { rotationsOf, tokenRecords } from "../rotation/records.js";
import type { Registry } from "../registry.js";
import type { Address } from "../settings/config.js";
import type { RunbookDeps } from "../rotation/runbook.js";
import type { IO } from "../io.js";
import type { Runtime } from "../runtime.js";
import type { Configured, PreparedRun } from "./prepare.js";

/**
 * Appends each journal entry to the audit record. The create line and the final one carry the new
 * token's name, last four and expiry: which token ends how is evidence for a later run (PyPI's list
 * shows no last four), even when this one stopped before CircleCI held it.
 */
export function auditListener(append: AuditRun): (entry: JournalEntry, journal: Journal) => void {
  return (entry, journal) =>
    append({
      at: entry.at.toISOString(),
      registry: journal.registry,
      ...(journal.rotation ? { rotation: journal.rotation } : {}),
      envVar: journal.envVar,
      where: journal.where,
      step: entry.step,
      outcome: entry.outcome,
      ...(entry.detail ? { detail: entry.detail } : {}),
      ...((entry.step === "done" || entry.step === "create") && journal.new.token && journal.new.last4
        ? { newToken: { name: journal.new.token.name, last4: journal.new.last4, expires: journal.new.expires?.toISOString() ?? null } }
        : {}),
    });
}

/**
 * The runbook's collaborators, and the records: each journal entry goes to the audit record and,
 * beside a project's config file, to the team's record of what CircleCI holds (rotation/history.ts).
 * `recorded()` says where the history was written, once the run is over.
 */
export function runbookDeps<S extends Configured, R>(
  run: PreparedRun<S, R>,
  runtime: Runtime,
  registry: Pick<Registry, "title">,
): { deps: RunbookDeps; recorded: () => void } {
  const audit = run.audit && auditListener(run.audit);
  const drill = Boolean(run.drill);
  const history = run.configFile ? historyRecorder(History.beside(run.configFile), { by: whoRan(runtime.env), drill }) : undefined;
  return {
    deps: {
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
      // What rotate recorded of a variable is evidence of which token CircleCI holds; drills do not read it.
      ...(drill ? {} : recordsIn(runtime.env, registry.title, run.configFile)),
    },
    recorded: () => {
      if (history?.written())
        runtime.io.err(
          drill
            ? `Recorded the drill in ${history.path} (rotate status leaves drills out).\n`
            : `Recorded in ${history.path}: commit this file so everyone's \`rotate status\` knows.\n`,
        );
    },
  };
}

/** What rotate recorded (the project's history, this machine's audit record): each variable's last rotation, each token's last four. */
function recordsIn(
  env: NodeJS.ProcessEnv,
  registry: string,
  configFile: string | undefined,
): Pick<RunbookDeps, "lastRotated" | "tokenRecord"> {
  const records = { audit: new AuditLog(auditPath(env)), history: configFile ? History.beside(configFile) : undefined };
  return {
    lastRotated: (envVar, where) => {
      const last = rotationsOf(records, { registry, envVar, where }).at(-1);
      return last ? { name: last.tokenName, last4: last.last4, at: last.at } : undefined;
    },
    tokenRecord: tokenRecords(records, registry),
  };
}

/** A dry run's outcome: the plan for machines, one line for people (the plan itself went to stderr). */
export function printDryRun(io: IO, plan: string[], options: { json?: boolean; drill: boolean; addresses: Address[] }): number {
  if (options.json) io.out(`${JSON.stringify({ ok: true, dryRun: true, plan, addresses: options.addresses })}\n`);
  else io.out(`${options.drill ? "DRILL: " : ""}Dry run: nothing changed.\n`);
  return 0;
}
