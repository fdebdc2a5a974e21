// The runbook's memory of what it has changed, system by system. On any failure or Ctrl-C it is
// what "where things stand" is printed from, and what decides the exit code and the next step.
// It holds names and last-four characters only, never a secret.
import type { TokenSummary } from "./flow.js";

export type OldTokenState =
  | "none" // no old token to remove (first rotation, or the responder chose to keep it)
  | "alive"
  | "deleted" // gone from the registry's list; its value was not available to probe
  | "dead"; // the registry rejects it

export type NewTokenState =
  | "none"
  | "requested" // the create was submitted but its result not seen: it may exist
  | "created" // exists on the registry, CircleCI does not have it
  | "live" // the registry accepts it, CircleCI does not have it yet
  | "pushed" // sent to CircleCI, not yet read back
  | "verified" // CircleCI shows its last four characters
  | "removed"; // deleted again during clean-up

export interface JournalEvent {
  at: Date;
  step: string;
  outcome: "ok" | "failed" | "skipped" | "warning";
  detail?: string;
}

export class Journal {
  old: { token?: TokenSummary; state: OldTokenState } = { state: "none" };
  new: { token?: TokenSummary; state: NewTokenState; last4?: string; expires?: Date } = { state: "none" };
  /**
   * Last four characters CircleCI showed before the run and shows now; `mismatch` says what it
   * showed instead when reading back the new value failed to match.
   */
  circleci: { before?: string; now?: string; mismatch?: string; changed: boolean } = { changed: false };
  readonly events: JournalEvent[] = [];

  constructor(
    readonly registry: string,
    readonly envVar: string,
    readonly where: string,
    private readonly clock: () => Date,
    /** Hears every event as it is recorded (the audit record). */
    private readonly listener?: (event: JournalEvent, journal: Journal) => void,
  ) {}

  record(step: string, outcome: JournalEvent["outcome"], detail?: string): void {
    const event = { at: this.clock(), step, outcome, ...(detail ? { detail } : {}) };
    this.events.push(event);
    this.listener?.(event, this);
  }

  /** A new token exists (or may exist) on the registry that CircleCI does not hold. */
  get newTokenUnpushed(): boolean {
    return this.new.state === "requested" || this.new.state === "created" || this.new.state === "live";
  }

  /** Anything differs from before the run: decides exit code 1 versus 3. */
  get changedAnything(): boolean {
    const oldGone = this.old.state === "deleted" || this.old.state === "dead";
    const newExists = this.new.state !== "none" && this.new.state !== "removed";
    return oldGone || newExists || this.circleci.changed;
  }
}
