// What a finished rotation prints: a short summary for people, or one JSON object for machines,
// and a note the responder can paste to the team's mailing list. Names and last four only. A
// drill says so first, everywhere, so nobody mistakes it for a real rotation.
import { whoRan } from "../audit.js";
import type { RotationResult } from "./runbook.js";

export const day = (date: Date) => date.toISOString().slice(0, 10);

export function oldTokenText(result: RotationResult): string {
  const registry = result.journal.registry;
  if (!result.oldToken) return "none deleted (none identified)";
  return `"${result.oldToken.name}" deleted; ${result.oldToken.provenDead ? `${registry} rejects it (proven dead)` : `not proven dead (its value was not given, so ${registry} was not asked)`}`;
}

export function destinationsText(result: RotationResult): string {
  return result.journal.destinations.map((d) => `${d.envVar} in ${d.where}`).join(", ");
}

export function renderSummary(result: RotationResult, durationMs: number, drill: boolean): string {
  const { newToken } = result;
  const lines = [
    `${drill ? "DRILL: " : ""}Rotated ${destinationsText(result)} (${result.order} order, ${(durationMs / 1000).toFixed(1)}s)`,
    `  new token  "${newToken.name}" …${newToken.last4}, CircleCI holds it${newToken.expires ? `, expires ${day(newToken.expires)}` : ""}`,
    `  old token  ${oldTokenText(result)}`,
  ];
  if (result.orphansDeleted.length > 0) lines.push(`  leftovers  deleted ${result.orphansDeleted.map((n) => `"${n}"`).join(", ")}`);
  for (const warning of result.warnings) lines.push(`  warning    ${warning}`);
  for (const task of result.needsHuman) lines.push(`  needs you  ${task}`);
  for (const advisory of result.advisories) lines.push(`  note       ${advisory}`);
  return lines.join("\n");
}

export function summaryJson(result: RotationResult, durationMs: number, drill: boolean): Record<string, unknown> {
  const { journal, newToken } = result;
  return {
    ok: true,
    drill,
    registry: journal.registry,
    order: result.order,
    durationMs,
    circleci: {
      user: result.circleciUser,
      // Which CircleCI API the contexts went through (v3 where it answers); null: no context.
      contextApi: result.contextApi ?? null,
      destinations: journal.destinations.map((d) => ({
        envVar: d.envVar,
        where: d.where,
        target: d.target,
        before: d.before ?? null,
        now: d.state === "verified" ? newToken.last4 : null,
      })),
    },
    newToken: { name: newToken.name, last4: newToken.last4, expires: newToken.expires?.toISOString() ?? null },
    oldToken: result.oldToken ? { name: result.oldToken.name, deleted: true, provenDead: result.oldToken.provenDead } : null,
    orphansDeleted: result.orphansDeleted,
    warnings: result.warnings,
    needsHuman: result.needsHuman,
    advisories: result.advisories,
    steps: journal.entries.map((e) => ({
      at: e.at.toISOString(),
      step: e.step,
      outcome: e.outcome,
      ...(e.detail ? { detail: e.detail } : {}),
    })),
  };
}

/** `by` is who ran rotate on this machine; the CircleCI user is whose API token made the change. */
export function teamNote(result: RotationResult, now: Date, options: { drill: boolean; by?: string }): string {
  const { newToken } = result;
  const registry = result.journal.registry;
  const by = options.by ?? whoRan();
  const reason = result.order === "incident" ? "because the old token was exposed" : "as routine maintenance";
  return [
    "Note for the team (paste to the mailing list):",
    ...(options.drill ? ["  DRILL — a rehearsal on local replicas; no real token changed."] : []),
    `  ${now.toISOString().slice(0, 16).replace("T", " ")} UTC — ${by} (CircleCI user ${result.circleciUser}) rotated the ${registry} publishing token ${reason}.`,
    `  CircleCI ${destinationsText(result)} now ${result.journal.destinations.length === 1 ? "holds" : "hold"} "${newToken.name}" (ending …${newToken.last4})${newToken.expires ? `, which expires on ${day(newToken.expires)}` : ""}.`,
    `  Old token: ${oldTokenText(result)}.`,
    ...result.advisories.map((advisory) => `  ${advisory}`),
  ].join("\n");
}
