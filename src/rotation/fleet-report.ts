// What a fleet prints: a summary table with one line per rotation (its new token and last four,
// the destinations confirmed, the old token, the expiry), one note for the team that covers every
// rotation, and for machines one JSON object with an entry per rotation. Names and last four only;
// a drill says so first, everywhere.
import { whoRan } from "../audit.js";
import { renderTable } from "../table.js";
import type { FleetEntry } from "./fleet-journal.js";
import type { FleetResult } from "./fleet.js";
import { day, destinationsText, oldTokenText, summaryJson } from "./report.js";

const hhmm = (date: Date) => `${date.toISOString().slice(11, 16)} UTC`;

function row(entry: FleetEntry): string[] {
  const { state, journal } = entry;
  const confirmed = journal
    ? `${journal.destinations.filter((d) => d.state === "verified").length} of ${journal.destinations.length}`
    : "-";
  switch (state.kind) {
    case "rotated": {
      const { newToken, oldToken, warnings } = state.result;
      const old = oldToken
        ? `"${oldToken.name}" deleted${oldToken.provenDead ? ", proven dead" : ""}`
        : warnings.some((w) => w.startsWith("old token"))
          ? "kept (see below)"
          : "none deleted";
      return [entry.name, `"${newToken.name}" …${newToken.last4}`, confirmed, old, newToken.expires ? day(newToken.expires) : "never"];
    }
    case "done-earlier":
      return [entry.name, `"${state.tokenName}" …${state.last4}`, "holds it", `done earlier (${hhmm(state.at)})`, "-"];
    case "failed":
      return [entry.name, "-", confirmed, "-", `stopped: ${state.why}`];
    case "unreachable":
      return [entry.name, "-", "-", "-", `left out: ${state.why}`];
    case "waiting":
      return [entry.name, "-", "-", "-", "not started"];
  }
}

function counts(result: FleetResult): string {
  const kinds = result.journal.entries.map((entry) => entry.state.kind);
  const count = (kind: string, words: string) => {
    const n = kinds.filter((k) => k === kind).length;
    return n > 0 ? [`${n} ${words}`] : [];
  };
  return [
    ...count("rotated", "rotated"),
    ...count("done-earlier", "done earlier"),
    ...count("failed", "stopped"),
    ...count("unreachable", "left out"),
    ...count("waiting", "not started"),
  ].join(", ");
}

export function renderFleetSummary(result: FleetResult, durationMs: number, drill: boolean): string {
  const { journal } = result;
  const lines = [
    `${drill ? "DRILL: " : ""}${journal.entries.length} ${journal.registry} rotation(s) (${result.order} order, ${(durationMs / 1000).toFixed(1)}s): ${counts(result)}`,
    ...renderTable(["rotation", "new token", "CircleCI holds it", "old token", "expires"], journal.entries.map(row), "left")
      .split("\n")
      .map((line) => `  ${line}`),
  ];
  for (const entry of journal.entries) {
    if (entry.state.kind !== "rotated") continue;
    const { warnings, orphansDeleted } = entry.state.result;
    if (orphansDeleted.length > 0) lines.push(`  ${entry.name}: leftovers deleted ${orphansDeleted.map((n) => `"${n}"`).join(", ")}`);
    for (const warning of warnings) lines.push(`  ${entry.name}: warning: ${warning}`);
  }
  for (const advisory of result.advisories) lines.push(`  note: ${advisory}`);
  return lines.join("\n");
}

export function fleetJson(result: FleetResult, durationMs: number, drill: boolean): Record<string, unknown> {
  const { journal } = result;
  return {
    ok: journal.allDone,
    drill,
    registry: journal.registry,
    order: result.order,
    durationMs,
    circleci: { user: result.circleciUser },
    rotations: journal.entries.map((entry) => {
      const { state } = entry;
      if (state.kind === "rotated") {
        const {
          ok: _ok,
          drill: _drill,
          registry: _registry,
          order: _order,
          durationMs: _ms,
          ...one
        } = summaryJson(state.result, durationMs, drill);
        return { name: entry.name, outcome: state.kind, ...one };
      }
      if (state.kind === "done-earlier")
        return {
          name: entry.name,
          outcome: state.kind,
          at: state.at.toISOString(),
          newToken: { name: state.tokenName, last4: state.last4 },
        };
      return { name: entry.name, outcome: state.kind, ...("why" in state ? { why: state.why } : {}) };
    }),
    advisories: result.advisories,
  };
}

/** One note for the whole fleet: each rotation's line as a single run's note says it, and what was not rotated. */
export function fleetTeamNote(result: FleetResult, now: Date, options: { drill: boolean; by?: string }): string {
  const { journal } = result;
  const by = options.by ?? whoRan();
  const rotated = journal.entries.flatMap((entry) =>
    entry.state.kind === "rotated" ? [{ name: entry.name, result: entry.state.result }] : [],
  );
  const reason = result.order === "incident" ? "because the old tokens were exposed" : "as routine maintenance";
  const open = journal.entries.filter((entry) => entry.state.kind !== "rotated" && entry.state.kind !== "done-earlier");
  return [
    "Note for the team (paste to the mailing list):",
    ...(options.drill ? ["  DRILL — a rehearsal on local replicas; no real token changed."] : []),
    `  ${now.toISOString().slice(0, 16).replace("T", " ")} UTC — ${by} (CircleCI user ${result.circleciUser}) rotated ${rotated.length} ${journal.registry} publishing token(s) ${reason}.`,
    ...rotated.map(
      ({ name, result: one }) =>
        `  - ${name}: CircleCI ${destinationsText(one)} now ${one.journal.destinations.length === 1 ? "holds" : "hold"} "${one.newToken.name}" (ending …${one.newToken.last4})${one.newToken.expires ? `, which expires on ${day(one.newToken.expires)}` : ""}. Old token: ${oldTokenText(one)}.`,
    ),
    ...(open.length > 0 ? [`  Not rotated in this run: ${open.map((entry) => `${entry.name} (${row(entry)[4] ?? ""})`).join("; ")}.`] : []),
    ...result.advisories.map((advisory) => `  ${advisory}`),
  ].join("\n");
}
