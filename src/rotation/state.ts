// What a rotation has changed, system by system, as the journal keeps it and "where things stand"
// reads it: its own module so the reading (standing.ts) and the keeping (journal.ts) share the
// words without importing each other.
import type { TokenSummary } from "./capability.js";

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
  | "removed"; // deleted again during clean-up

export type DestinationState =
  | "unchanged"
  | "pushed" // sent to CircleCI, not yet read back
  | "verified" // CircleCI shows the new token's last four characters
  | "failed"; // the push was refused; the variable holds what it held before

export interface Destination {
  envVar: string;
  /** How --target names it: `gh/acme/widget` or `gh/acme/widget@publishing`. */
  target: string;
  /** `project gh/acme/widget` or `context "publishing"`. */
  where: string;
  /** Last four characters CircleCI showed before the run (undefined: not set, or not shown). */
  before?: string;
  state: DestinationState;
  /** What it showed instead of the new token, when reading it back did not match. */
  mismatch?: string;
  /** Why the push failed. */
  failure?: string;
}

export interface RotationState {
  registry: string;
  /** Every destination, as `NPM_TOKEN in project gh/acme/widget`. */
  where: string;
  old: { token?: TokenSummary; state: OldTokenState };
  new: { token?: TokenSummary; state: NewTokenState; last4?: string; expires?: Date };
  destinations: Destination[];
  /** A new token exists (or may exist) on the registry that no CircleCI destination holds. */
  newTokenUnpushed: boolean;
  allVerified: boolean;
  /** Sessions the registry would not end, each said with when it expires. */
  sessionsLeft: string[];
  /** A token or a CircleCI variable differs from before the run. */
  changedTokens: boolean;
  /** Anything differs from before the run, a session left live included: decides exit code 1 versus 3. */
  changedAnything: boolean;
}
