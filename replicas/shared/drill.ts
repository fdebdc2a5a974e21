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
  /** The request that signs the account in (the benchmark counts sign-ins). */
  signIn: FaultPoint;
  /** Every request that hands the registry a one-time code (the benchmark counts the codes a run asked for). */
  codes: FaultPoint[];
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
  /** With a fleet: the earlier token each rotation's destinations hold, in the fleet's order. */
  fleetTokens: string[];
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

/**
 * One rotation of an organisation's fleet, as a drill world builds it from the config in use:
 * its token's variable, what the token may publish, and where CircleCI holds it.
 */
export interface FleetRotationSeed {
  name: string;
  envVar: string;
  /** What the token may publish: npm packages and scopes, a PyPI project. */
  scope: string[];
  /** Its CircleCI destinations (a context is one of its project's organization); a target may name a variable of its own. */
  targets: Array<{ projectSlug: string; context?: string; envVar?: string }>;
}

/** An organisation's fleet, per registry id: what `--sandbox` rehearses when the config names `rotations`. */
export type FleetSeed = Record<string, FleetRotationSeed[]>;

/** How a fleet rotation's earlier token was named: by its first destination, as rotate names tokens. */
export function fleetTokenName(rotation: FleetRotationSeed, made: Date): string {
  const first = rotation.targets[0];
  const where = first ? (first.context ? `${first.projectSlug}@${first.context}` : first.projectSlug) : rotation.name;
  return `${first?.envVar ?? rotation.envVar} ${where} ${stamp(made)}`;
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
  /** The organisation's rotations of this registry: the account may publish what they name, and holds an earlier token of each. */
  fleet?: FleetRotationSeed[];
}

export type StartDrill = (options: DrillOptions) => Promise<RegistryDrill>;

export const daysAgo = (now: Date, days: number) => new Date(now.getTime() - days * 86_400_000);
export const stamp = (date: Date) => `${date.toISOString().slice(0, 16)}Z`;

/**
 * The one token CircleCI holds for the registry in a world, which a non-interactive drill proves
 * dead: the demo project's, or a fleet's when it has one rotation of the registry (the single form
 * of a config). A larger fleet has none: each rotation finds its own by what CircleCI shows.
 */
export function heldTokenOf(drill: RegistryDrill, fleet: boolean): string | undefined {
  if (!fleet) return drill.heldToken;
  return drill.fleetTokens.length === 1 ? drill.fleetTokens[0] : undefined;
}
