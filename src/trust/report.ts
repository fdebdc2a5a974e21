// What a finished `rotate trust npm` prints: a short summary for people, or one JSON object for
// machines, and a note for the team's mailing list. Names, ids and last fours only. A drill says
// so first, everywhere, so nobody mistakes it for the real move.
import { whoRan } from "../audit.js";
import type { TrustJournal } from "./journal.js";
import { proofLines } from "./proof.js";
import type { TrustResult } from "./runbook.js";

function packageOutcome(journal: TrustJournal, name: string): string {
  const entry = journal.package(name);
  switch (entry.state) {
    case "already":
      return "already trusted it";
    case "kept":
      return `kept its own trusted publisher (${entry.previous ?? "?"})`;
    case "verified":
      if (!entry.previous) return "trusts it now (added, read back field by field)";
      // Configurations add up: what it trusted stays unless it was deleted to make way.
      return entry.earlierDeleted ? `trusts it now, instead of ${entry.previous}` : `trusts it now, alongside ${entry.previous}`;
    default:
      return entry.state;
  }
}

function retirementText(result: TrustResult): string {
  const { journal } = result;
  if (!result.retired) {
    const skipped = journal.entries.filter((e) => e.step === "retire-skipped").at(-1)?.detail;
    return `kept in ${journal.where}${skipped ? ` (${skipped})` : ""}: once a publish through trusted publishing worked, run \`${journal.command} --remove-token\``;
  }
  const tokens = journal.npmTokens.filter((t) => t.state === "deleted").map((t) => `npm token "${t.name}"`);
  const variables = journal.variables.filter((v) => v.state === "deleted").map((v) => v.where);
  return `deleted from ${variables.join(", ") || "nowhere (it was gone)"}; ${tokens.join(", ") || "no npm token identified"} deleted; 2FA required and tokens disallowed on ${journal.packages
    .filter((p) => p.tokensDisallowed)
    .map((p) => p.name)
    .join(", ")}`;
}

export function renderTrustSummary(result: TrustResult, durationMs: number, drill: boolean): string {
  const { journal, ids } = result;
  const width = Math.max(...journal.packages.map((p) => p.name.length), journal.envVar.length, "proof".length) + 2;
  const lines = [
    `${drill ? "DRILL: " : ""}Trusted publishing from ${journal.publisher} (pipeline definition ${ids.pipelineDefinition.id}), ${(durationMs / 1000).toFixed(1)}s`,
    ...journal.packages.map((p) => `  ${p.name.padEnd(width)}${packageOutcome(journal, p.name)}`),
    ...(result.proof ? proofLines(result.proof).map((line, i) => `  ${(i === 0 ? "proof" : "").padEnd(width)}${line}`) : []),
    `  ${journal.envVar.padEnd(width)}${retirementText(result)}`,
    ...result.warnings.map((w) => `  ${"warning".padEnd(width)}${w}`),
  ];
  return lines.join("\n");
}

export function trustSummaryJson(result: TrustResult, durationMs: number, drill: boolean): Record<string, unknown> {
  const { journal } = result;
  return {
    ok: true,
    drill,
    durationMs,
    circleci: { user: result.circleciUser, ...result.ids },
    packages: journal.packages.map((p) => ({
      name: p.name,
      state: p.state,
      previous: p.previous ?? null,
      tokensDisallowed: p.tokensDisallowed,
    })),
    proof: result.proof ?? null,
    retired: result.retired,
    variables: journal.variables.map((v) => ({
      envVar: v.envVar,
      where: v.where,
      target: v.target,
      before: v.before ?? null,
      state: v.state,
    })),
    npmTokens: journal.npmTokens,
    warnings: result.warnings,
    steps: journal.entries.map((e) => ({
      at: e.at.toISOString(),
      step: e.step,
      outcome: e.outcome,
      ...(e.detail ? { detail: e.detail } : {}),
    })),
  };
}

/** `by` is who ran rotate on this machine; the CircleCI user is whose API token read the ids. */
export function trustTeamNote(result: TrustResult, now: Date, options: { drill: boolean; by?: string }): string {
  const { journal } = result;
  const trusting = journal.packages.filter((p) => p.state === "verified" || p.state === "already").map((p) => p.name);
  const kept = journal.packages.filter((p) => p.state === "kept").map((p) => p.name);
  return [
    "Note for the team (paste to the mailing list):",
    ...(options.drill ? ["  DRILL — a rehearsal on local replicas; no real package or token changed."] : []),
    `  ${now.toISOString().slice(0, 16).replace("T", " ")} UTC — ${options.by ?? whoRan()} (CircleCI user ${result.circleciUser}) set up npm trusted publishing from ${journal.publisher}.`,
    `  ${trusting.join(", ") || "No package"} ${trusting.length === 1 ? "trusts" : "trust"} it${kept.length > 0 ? `; ${kept.join(", ")} kept ${kept.length === 1 ? "its" : "their"} own trusted publisher` : ""}.`,
    result.retired
      ? `  ${journal.envVar} is retired: deleted from ${journal.where}, its npm token deleted, tokens disallowed on the packages. CircleCI publishes through trusted publishing only.`
      : `  ${journal.envVar} is still in ${journal.where}; it is retired once a publish through trusted publishing has worked.`,
    "  The publish job must fetch an OIDC id token into NPM_ID_TOKEN before `npm publish` (see the change rotate printed).",
  ].join("\n");
}
