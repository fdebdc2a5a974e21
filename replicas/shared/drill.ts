// What every registry's replica offers the drill world, the demo, the tests and the bench, so
// they can iterate over registries instead of naming them: a started replica with one drill
// account, the tokens CircleCI holds from an earlier (pretend) rotation, and the hooks the fault
// matrix and the secrecy scans use. Each registry's folder has a drill.ts that starts one.
import type { Fault, FaultPlan, FaultRule } from "./faults.js";

export interface DrillAccount {
  username: string;
  password: string;
  totpSecret: string;
}

/** A request the fault matrix can target, on the origin of the given plan. */
export type FaultPoint = Pick<FaultRule, "method" | "path" | "when">;

export interface DrillPoints {
  /** The registry's token check (npm's whoami, PyPI's upload probe). */
  check: FaultPoint;
  /** The check's answer for a token that does not exist. */
  deadAnswer: Fault;
  /** The request that creates a token. */
  create: FaultPoint;
  /** The request that deletes a token. */
  remove: FaultPoint;
  /** Where, and how, the replica ends the session mid-run (the flow must sign in again). */
  sessionEnd: { point: FaultPoint; fault: Fault; skip: number };
}

export interface RegistryDrill<Replica = unknown> {
  id: string;
  replica: Replica;
  account: DrillAccount;
  /** Flag values (commander attribute names) that point `rotate <id>` at this replica. */
  flags: Record<string, unknown>;
  /** The demo project's variable for this registry and the token value it holds. */
  envVar: string;
  heldToken: string;
  /** A second token the organization's context holds (drills of a context destination). */
  contextToken: string;
  /** One plan on every origin of the replica. */
  faults: FaultPlan;
  points: DrillPoints;
  /** Every secret value the replica ever issued: the secrecy scans look for all of them. */
  issuedSecrets(): string[];
  /** Names of the drill account's tokens, newest first. */
  tokenNames(): string[];
  isLive(token: string): boolean;
  /** For a registry with trusted publishing: accept OIDC tokens from this CircleCI issuer base. */
  trustOidcIssuer?(issuerBase: string): void;
  /** The password reset link the replica "emailed" last (its outbox). */
  resetLink(username: string): string | undefined;
  close(): Promise<void>;
}

export interface DrillOptions {
  now: () => Date;
  host: string;
  /** The demo project's slug, for the names of the tokens an earlier rotation made. */
  projectSlug: string;
  /** The context a drill of a context destination uses. */
  context: string;
  /** Registry-specific knobs (npm: { twoFactor: "webauthn" }). */
  knobs?: Record<string, unknown>;
}

export type StartDrill = (options: DrillOptions) => Promise<RegistryDrill>;

export const daysAgo = (now: Date, days: number) => new Date(now.getTime() - days * 86_400_000);
export const stamp = (date: Date) => `${date.toISOString().slice(0, 16)}Z`;
