// What a finished rotation prints: a short summary for people, or one JSON object for machines,
// and a note the responder can paste to the team's mailing list. Names and last-4 only.
import { whoRan } from "./audit.js";
import type { RotationResult } from "./runbook.js";

const day = (date: Date) => date.toISOString().slice(0, 10);

function oldTokenText(result: RotationResult, registry: string): string {
  if (!result.oldToken) return "none deleted (none identified)";
  return `"${result.oldToken.name}" deleted${result.oldToken.dead ? `; ${registry} rejects it` : ""}`;
}

export function renderSummary(result: RotationResult, registry: string, durationMs: number): string {
  const { journal, newToken } = result;
  const lines = [
    `Rotated ${journal.envVar} in ${journal.where} (${result.order} order, ${(durationMs / 1000).toFixed(1)}s)`,
    `  new token  "${newToken.name}" …${newToken.last4}, CircleCI holds it${newToken.expires ? `, expires ${day(newToken.expires)}` : ""}`,
    `  old token  ${oldTokenText(result, registry)}`,
  ];
  if (result.orphansDeleted.length > 0) lines.push(`  leftovers  deleted ${result.orphansDeleted.map((n) => `"${n}"`).join(", ")}`);
  for (const warning of result.warnings) lines.push(`  warning    ${warning}`);
  // npm trusted publishing accepts CircleCI's OIDC tokens (GA 2026-04-06); CircleCI's PyPI
  // guide is still a preview (reference/circleci.md §8).
  lines.push("  next       trusted publishing from CircleCI (npm has it; PyPI's support is pending) can remove the stored token altogether");
  return lines.join("\n");
}

export function summaryJson(result: RotationResult, registry: string, durationMs: number): Record<string, unknown> {
  const { journal, newToken } = result;
  return {
    ok: true,
    registry,
    envVar: journal.envVar,
    where: journal.where,
    order: result.order,
    durationMs,
    circleci: { user: result.circleciUser, before: journal.circleci.before ?? null, now: journal.circleci.now ?? null },
    newToken: { name: newToken.name, last4: newToken.last4, expires: newToken.expires?.toISOString() ?? null },
    oldToken: result.oldToken ?? null,
    orphansDeleted: result.orphansDeleted,
    warnings: result.warnings,
    steps: journal.events.map((e) => ({ at: e.at.toISOString(), step: e.step, outcome: e.outcome, ...(e.detail ? { detail: e.detail } : {}) })),
  };
}

/** `by` is who ran rotate on this machine; the CircleCI user is whose API token made the change. */
export function teamNote(result: RotationResult, registry: string, now: Date, by: string = whoRan()): string {
  const { journal, newToken } = result;
  const reason = result.order === "incident" ? "because the old token was exposed" : "as routine maintenance";
  return [
    "Note for the team (paste to the mailing list):",
    `  ${now.toISOString().slice(0, 16).replace("T", " ")} UTC — ${by} (CircleCI user ${result.circleciUser}) rotated the ${registry} publishing token ${reason}.`,
    `  CircleCI ${journal.envVar} (${journal.where}) now holds "${newToken.name}" (ending …${newToken.last4})${newToken.expires ? `, which expires on ${day(newToken.expires)}` : ""}.`,
    `  Old token: ${oldTokenText(result, registry)}.`,
  ].join("\n");
}
