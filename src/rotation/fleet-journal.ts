// One journal for a fleet (`rotate <registry> --all`): each rotation's own journal (the one the
// runbook keeps, so its audit lines and history lines are a single rotation's) and how each
// rotation stands in the fleet. On a failure or Ctrl-C, "where things stand" is a table with a
// line per rotation, and the next step one line per rotation that is not done.
import type { Standing } from "../errors.js";
import { renderTable } from "../table.js";
import type { Journal } from "./journal.js";
import type { RotationResult } from "./runbook.js";

export type MemberState =
  /** Planned; it has not run (yet, or the fleet stopped before it). */
  | { kind: "waiting" }
  /** A destination could not be reached at preflight: the rotation was left out, nothing changed. */
  | { kind: "unreachable"; why: string }
  /** Rotated within the last hour, and CircleCI still holds that token: not redone (`--again` would). */
  | { kind: "done-earlier"; at: Date; tokenName: string; last4: string }
  | { kind: "rotated"; result: RotationResult }
  | { kind: "failed"; why: string; reason: unknown };

export interface FleetEntry {
  name: string;
  /** What reruns just this rotation: `rotate npm --only widget`. */
  command: string;
  /** Its runbook journal, once it was preflighted. */
  journal?: Journal;
  state: MemberState;
}

const hhmm = (date: Date) => `${date.toISOString().slice(11, 16)} UTC`;

export class FleetJournal implements Standing {
  constructor(
    readonly registry: string,
    /** What reruns the fleet: `rotate npm --all`. */
    readonly command: string,
    readonly entries: FleetEntry[],
  ) {}

  /** Sessions the registry would not end (one sign-in serves the fleet), each said with when it expires. */
  readonly sessionsLeft: string[] = [];

  get changedAnything(): boolean {
    return this.sessionsLeft.length > 0 || this.entries.some((entry) => entry.journal?.changedAnything);
  }

  /** Every rotation is rotated now, or was within the hour. */
  get allDone(): boolean {
    return this.entries.every((entry) => entry.state.kind === "rotated" || entry.state.kind === "done-earlier");
  }

  get unfinished(): FleetEntry[] {
    return this.entries.filter((entry) => entry.state.kind !== "rotated" && entry.state.kind !== "done-earlier");
  }

  whereThingsStand(): string {
    const rows = this.entries.map((entry) => [entry.name, ...cells(entry)]);
    const table = renderTable(["rotation", "state", this.registry, "CircleCI"], rows, "left");
    return [
      "Where things stand:",
      ...table.split("\n").map((line) => `  ${line}`),
      ...this.sessionsLeft.map((left) => `  ${this.registry} session: ${left}`),
    ].join("\n");
  }

  nextStep(interrupted: boolean): string {
    const open = this.unfinished;
    if (!this.changedAnything && open.every((entry) => entry.state.kind !== "unreachable"))
      return interrupted
        ? `Nothing changed: the run was interrupted. Run \`${this.command}\` again when you are ready.`
        : `Nothing changed. Fix the cause above, then run \`${this.command}\` again.`;
    return [
      `run \`${this.command}\` again once each cause is fixed: it continues with what is not done. Per rotation:`,
      ...open.map((entry) => `  ${entry.name}: ${stepOf(entry, interrupted)}`),
    ].join("\n");
  }

  /** `--json`'s failure object: one entry per rotation. */
  details(): Record<string, unknown> {
    return {
      rotations: this.entries.map((entry) => ({
        name: entry.name,
        outcome: entry.state.kind,
        ...(entry.state.kind === "rotated"
          ? { newToken: { name: entry.state.result.newToken.name, last4: entry.state.result.newToken.last4 } }
          : {}),
        ...(entry.state.kind === "unreachable" || entry.state.kind === "failed" ? { why: entry.state.why } : {}),
        ...(entry.journal && entry.state.kind !== "rotated" && entry.state.kind !== "done-earlier"
          ? {
              whereThingsStand: entry.journal
                .whereThingsStand()
                .split("\n")
                .slice(1)
                .map((line) => line.trim()),
              nextStep: stepOf(entry, false),
            }
          : {}),
      })),
    };
  }
}

/** The state, the registry's side and CircleCI's side of one rotation, in a few words each. */
function cells(entry: FleetEntry): [string, string, string] {
  const { state, journal } = entry;
  if (state.kind === "unreachable") return ["left out (nothing changed)", "-", state.why];
  if (state.kind === "done-earlier") return [`done earlier (${hhmm(state.at)})`, `"${state.tokenName}"`, `holds …${state.last4}`];
  if (!journal) return ["not started", "-", "-"];
  const got = journal.destinations.filter((d) => d.state === "verified" || d.state === "pushed").length;
  const circleci = `${got} of ${journal.destinations.length} got the new token${journal.destinations.some((d) => d.state === "failed") ? " (a push failed)" : ""}`;
  const old = { none: "no old token", alive: "old alive", deleted: "old deleted", dead: "old dead" }[journal.old.state];
  const made = {
    none: "no new token",
    requested: "new token may exist",
    created: `new …${journal.new.last4 ?? "????"} exists`,
    live: `new …${journal.new.last4 ?? "????"} works`,
    removed: "new token deleted again",
  }[journal.new.state];
  const kind = { waiting: "not started", rotated: "rotated", failed: "stopped" }[state.kind];
  return [kind, `${made}; ${old}`, circleci];
}

function stepOf(entry: FleetEntry, interrupted: boolean): string {
  const { state, journal } = entry;
  if (state.kind === "unreachable") return `${state.why}; once fixed, run \`${entry.command}\``;
  if (state.kind === "waiting" || !journal) return `not started, nothing changed: run \`${entry.command}\``;
  return journal.nextStep(interrupted);
}
