// The work of `rotate npm` / `rotate pypi` (their flags and help are in rotate.ts): the run set up
// (prepare.ts), then the runbook with its collaborators, then the report. `--all` and `--only`
// run a fleet instead (rotate-fleet-run.ts).
import type { Drill } from "../drill/open.js";
import { ExitCode, UsageError } from "../errors.js";
import type { Registry } from "../registry.js";
import { renderSummary, summaryJson, teamNote } from "../rotation/report.js";
import { runRotation } from "../rotation/runbook.js";
import type { Runtime } from "../runtime.js";
import { rotationNames } from "../settings/rotations.js";
import { withPreparedRun } from "./prepare.js";
import { rotationRequest, wantsFleet, type RotateFlags } from "./rotate.js";
import { printDryRun, runbookDeps } from "./rotate-shared.js";

/** Runs one rotation. With --sandbox (or a drill handed in by the demo) it runs against the replicas. */
export async function runRotate(registry: Registry, flags: RotateFlags, runtime: Runtime, sharedDrill?: Drill): Promise<number> {
  if (wantsFleet(flags)) return (await import("./rotate-fleet-run.js")).runFleetRotate(registry, flags, runtime);
  const { io } = runtime;
  return withPreparedRun(
    runtime,
    {
      registry,
      section: registry.section,
      flags,
      ...(sharedDrill ? { drill: sharedDrill } : {}),
      configure: (sources) => {
        // A fleet's config names several tokens: which one is meant must be said.
        const names = rotationNames(registry.section, sources);
        if (names.length > 0)
          throw new UsageError(
            `${sources.filePath} names ${names.length} ${registry.title} rotation(s) (${names.join(", ")}): run rotate ${registry.id} --all, or --only NAME`,
          );
        return registry.configure(sources);
      },
      request: (_configured, targets, sources) => rotationRequest(flags, registry, targets, sources.env),
    },
    async (run) => {
      const drill = Boolean(run.drill);
      const { deps, recorded } = runbookDeps(run, runtime, registry);
      try {
        const started = Date.now();
        const result = await runRotation(run.settings, { ...run.request, addresses: run.addresses }, deps);
        const durationMs = Date.now() - started;
        if (result.kind === "dry-run") return printDryRun(io, result.plan, { ...flags, drill, addresses: run.addresses });
        // The person's time too: how many one-time codes the run asked for, and how long it waited for them.
        if (flags.json)
          io.out(
            `${JSON.stringify({ ...summaryJson(result, durationMs, drill), addresses: run.addresses, oneTimeCodes: run.credentials.otpTally() })}\n`,
          );
        else io.out(`${renderSummary(result, durationMs, drill)}\n\n${teamNote(result, runtime.clock(), { drill })}\n`);
        // Rotated, but something is left that a human must act on (said in the summary).
        return result.needsHuman.length > 0 ? ExitCode.needsHuman : ExitCode.done;
      } finally {
        recorded();
      }
    },
  );
}
