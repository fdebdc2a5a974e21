// The work of `rotate npm --all` / `rotate pypi --all` (and `--only NAME,…`): every rotation the
// config names for the registry, in one sitting (rotation/fleet.ts), then one summary table and one
// note for the team. A rotation this machine did to the end within the last hour is not redone
// (unless --again): "done" is read from the audit record, whose "done" step comes only once the old
// token is gone too (the project's history records a destination as soon as CircleCI holds the
// new token, which is not yet done), and only while CircleCI still holds that token. Drills stay
// out of the audit record, so a drill redoes everything (a drill's world is fresh anyway, unless a
// running sandbox serves it).
import { AuditLog, auditPath } from "../audit.js";
import { ExitCode, NothingChangedError, RunFailed, UsageError } from "../errors.js";
import type { Registry } from "../registry.js";
import { runFleet, type FleetResult } from "../rotation/fleet.js";
import { fleetJson, fleetTeamNote, renderFleetSummary } from "../rotation/fleet-report.js";
import { doneSince } from "../rotation/records.js";
import type { Runtime } from "../runtime.js";
import { fleetMembers, rotationNames, type FleetMember } from "../settings/rotations.js";
import { withPreparedRun } from "./prepare.js";
import { fleetRequest, onlyNames, type RotateFlags } from "./rotate.js";
import { printDryRun, runbookDeps } from "./rotate-shared.js";
import { otherOnes, skipWindowChoice } from "../rotation/skip-window.js";

/** How recent a rotation done to the end must be for a rerun of the fleet to leave it as done. */
const DONE_WITHIN_MS = 60 * 60_000;

/** The fleet did not finish: the first reason a rotation stopped is the cause (Ctrl-C, say). */
function unfinished(result: FleetResult): RunFailed {
  const { journal } = result;
  const open = journal.unfinished;
  const reasons = open.flatMap((entry) => (entry.state.kind === "failed" ? [entry.state.reason] : []));
  const message = `${open.length} of ${journal.entries.length} ${journal.registry} rotation(s) not done: ${open.map((e) => e.name).join(", ")}`;
  return new RunFailed(message, reasons[0] ?? new NothingChangedError(message), journal);
}

export async function runFleetRotate(registry: Registry, flags: RotateFlags, runtime: Runtime): Promise<number> {
  const { io } = runtime;
  const only = onlyNames(flags);
  return withPreparedRun(
    runtime,
    {
      registry,
      section: registry.section,
      flags,
      ownDestinations: true,
      configure: async (sources) => {
        const members = await fleetMembers(registry, sources, only);
        const first = members[0];
        if (!first) throw new UsageError(`no ${registry.title} rotation to run`);
        return { settings: first.configured.settings, members, named: rotationNames(registry.section, sources).length > 0 };
      },
      request: (configured, _targets, sources) => fleetRequest(flags, registry, sources.env, configured.named),
    },
    async (run) => {
      const drill = Boolean(run.drill);
      const { deps, recorded } = runbookDeps(run, runtime, registry);
      const audit = drill ? undefined : new AuditLog(auditPath(runtime.env));
      const since = new Date(runtime.clock().getTime() - DONE_WITHIN_MS);
      try {
        const started = Date.now();
        const result = await runFleet(run.settings.members, run.request, {
          ...deps,
          progress: run.progress,
          skipTwoFactor: skipWindowChoice(run.ask, registry.title, otherOnes(run.settings.members.length, "replace", "token")),
          doneEarlier: (member: FleetMember, destinations) =>
            audit &&
            doneSince(
              audit,
              { registry: registry.title, name: member.name },
              destinations.map((d) => d.held),
              since,
            ),
        });
        const durationMs = Date.now() - started;
        if (result.kind === "dry-run") return printDryRun(io, result.plan, { ...flags, drill, addresses: run.addresses });
        // With --json a fleet that did not finish prints its one object as every failure does (cli.ts).
        if (flags.json && result.journal.allDone)
          io.out(
            `${JSON.stringify({ ...fleetJson(result, durationMs, drill), addresses: run.addresses, oneTimeCodes: run.credentials.otpTally() })}\n`,
          );
        if (!flags.json)
          io.out(
            `${renderFleetSummary(result, durationMs, drill)}\n${result.journal.entries.some((e) => e.state.kind === "rotated") ? `\n${fleetTeamNote(result, runtime.clock(), { drill })}\n` : ""}`,
          );
        if (!result.journal.allDone) throw unfinished(result);
        // Rotated, but something is left a human must act on: a session npm would not end (said in
        // where things stand), an old token nobody could tell (said in the summary).
        const leftForHuman = result.journal.entries.some((e) => e.state.kind === "rotated" && e.state.result.needsHuman.length > 0);
        if (result.journal.sessionsLeft.length > 0) io.err(`${result.journal.whereThingsStand()}\n`);
        return leftForHuman || result.journal.sessionsLeft.length > 0 ? ExitCode.needsHuman : ExitCode.done;
      } finally {
        recorded();
      }
    },
  );
}
