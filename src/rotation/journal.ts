// The runbook's memory of what it has changed, system by system. Every change enters as one event
// through advance(), which updates the state and records the event (the audit record hears it).
// On any failure or Ctrl-C it is what "where things stand" is printed from, and what decides the
// exit code and the next step. It holds names and last-four characters only, never a secret.
import type { Standing } from "../errors.js";
import type { TokenSummary } from "./capability.js";
import { nextStep, whereThingsStand } from "./standing.js";
import type { Destination, NewTokenState, OldTokenState, RotationState } from "./state.js";

export type JournalEvent =
  | { step: "preflight"; detail: string }
  | { step: "sign-in" }
  | { step: "plan"; old: TokenSummary | undefined; detail: string }
  | { step: "create-requested"; name: string }
  | { step: "create"; token: TokenSummary; last4: string; expires?: Date }
  | { step: "check-new" }
  | { step: "push"; destination: number }
  | { step: "push-failed"; destination: number; why: string }
  | { step: "verify-circleci"; destination: number }
  | { step: "verify-circleci-failed"; destination: number; shown: string }
  | { step: "delete-old" }
  | { step: "verify-old"; dead: boolean }
  | { step: "delete-orphan"; name: string; deleted: boolean }
  | { step: "clean-up"; removed: boolean }
  | { step: "clean-up-failed"; why: string }
  | { step: "failure"; why: string }
  /** The registry would not end a session the run signed in with: a live credential a human must know of. */
  | { step: "sign-out-failed"; why: string }
  | { step: "done"; detail: string };

export type Outcome = "ok" | "failed" | "skipped" | "warning";

/** One line of the record: when, which step, how it went, and a detail without secrets. */
export interface JournalEntry {
  at: Date;
  step: string;
  outcome: Outcome;
  detail?: string;
}

export class Journal implements Standing, RotationState {
  old: { token?: TokenSummary; state: OldTokenState } = { state: "none" };
  new: { token?: TokenSummary; state: NewTokenState; last4?: string; expires?: Date } = { state: "none" };
  /** Sessions the registry would not end, each said with when it expires. */
  readonly sessionsLeft: string[] = [];
  readonly entries: JournalEntry[] = [];

  constructor(
    readonly registry: string,
    /** The command that reruns this, for next-step messages: `rotate npm`. */
    readonly command: string,
    readonly destinations: Destination[],
    private readonly clock: () => Date,
    /** Hears every entry as it is recorded (the audit record). */
    private readonly listener?: (entry: JournalEntry, journal: Journal) => void,
    /** The rotation's name in the config file's `rotations`, when a fleet runs it. */
    readonly rotation?: string,
  ) {}

  get envVar(): string {
    return this.destinations[0]?.envVar ?? "";
  }

  /** `NPM_TOKEN in project gh/acme/widget`, for each destination. */
  get where(): string {
    return this.destinations.map((d) => d.where).join(", ");
  }

  advance(event: JournalEvent): void {
    const { outcome, detail } = this.apply(event);
    const entry: JournalEntry = { at: this.clock(), step: event.step, outcome, ...(detail ? { detail } : {}) };
    this.entries.push(entry);
    this.listener?.(entry, this);
  }

  private apply(event: JournalEvent): { outcome: Outcome; detail?: string } {
    const label = (i: number) => this.label(i);
    switch (event.step) {
      case "preflight":
      case "done":
        return { outcome: "ok", detail: event.detail };
      case "sign-in":
        return { outcome: "ok" };
      case "plan":
        this.old = event.old ? { token: event.old, state: "alive" } : { state: "none" };
        return { outcome: "ok", detail: event.detail };
      case "create-requested":
        // From the moment the form is submitted the token may exist, even if reading it back fails.
        this.new = { token: { id: "", name: event.name }, state: "requested" };
        return { outcome: "ok", detail: event.name };
      case "create":
        this.new = { token: event.token, state: "created", last4: event.last4, ...(event.expires ? { expires: event.expires } : {}) };
        return { outcome: "ok", detail: `${event.token.name} …${event.last4}` };
      case "check-new":
        this.new.state = "live";
        return { outcome: "ok" };
      case "push":
        this.destination(event.destination).state = "pushed";
        return { outcome: "ok", detail: label(event.destination) };
      case "push-failed":
        Object.assign(this.destination(event.destination), { state: "failed", failure: event.why });
        return { outcome: "failed", detail: `${label(event.destination)}: ${event.why}` };
      case "verify-circleci":
        this.destination(event.destination).state = "verified";
        return { outcome: "ok", detail: `${label(event.destination)} …${this.new.last4}` };
      case "verify-circleci-failed":
        this.destination(event.destination).mismatch = event.shown;
        return { outcome: "failed", detail: `${label(event.destination)} shows ${event.shown}` };
      case "delete-old":
        this.old.state = "deleted";
        return { outcome: "ok", detail: this.old.token?.name };
      case "verify-old":
        if (event.dead) this.old.state = "dead";
        return { outcome: "ok", detail: this.old.state };
      case "delete-orphan":
        return { outcome: event.deleted ? "ok" : "warning", detail: event.name };
      case "clean-up":
        this.new.state = event.removed ? "removed" : "none";
        return { outcome: "ok", detail: this.new.token?.name };
      case "clean-up-failed":
        return { outcome: "failed", detail: event.why };
      case "failure":
        return { outcome: "failed", detail: event.why };
      case "sign-out-failed":
        this.sessionsLeft.push(event.why);
        return { outcome: "warning", detail: event.why };
    }
  }

  private destination(index: number): Destination {
    const destination = this.destinations[index];
    if (!destination) throw new Error(`no CircleCI destination ${index}`);
    return destination;
  }

  label(index: number): string {
    const d = this.destination(index);
    return `${d.envVar} in ${d.where}`;
  }

  whereThingsStand(): string {
    return whereThingsStand(this);
  }

  nextStep(interrupted: boolean): string {
    return nextStep(this, this.command, interrupted);
  }

  /** A new token exists (or may exist) on the registry that no CircleCI destination holds. */
  get newTokenUnpushed(): boolean {
    const inCircleci = this.destinations.some((d) => d.state === "pushed" || d.state === "verified");
    return !inCircleci && (this.new.state === "requested" || this.new.state === "created" || this.new.state === "live");
  }

  get allVerified(): boolean {
    return this.destinations.every((d) => d.state === "verified");
  }

  /** A token or a CircleCI variable differs from before the run. */
  get changedTokens(): boolean {
    const oldGone = this.old.state === "deleted" || this.old.state === "dead";
    const newExists = this.new.state !== "none" && this.new.state !== "removed";
    return oldGone || newExists || this.destinations.some((d) => d.state === "pushed" || d.state === "verified");
  }

  /** Anything differs from before the run, a session left live included: decides exit code 1 versus 3. */
  get changedAnything(): boolean {
    return this.changedTokens || this.sessionsLeft.length > 0;
  }
}
