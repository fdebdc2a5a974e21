// The pypi.org replica's shape as its callers see it: the drill account, the options it starts
// with, the knobs and test hooks it offers. Its own module so the replica's parts can name these
// types without importing the file that assembles them.
import type { FaultPlan } from "../shared/faults.js";

export interface PypiUser {
  username: string;
  password: string;
  email: string;
  /** Base32; TOTP SHA1, 6 digits, 30 s steps. */
  totpSecret: string;
  /** Projects the user has a direct Owner/Maintainer role on (display names). */
  projects: string[];
}

export interface PypiReplicaOptions {
  users: PypiUser[];
  now?: () => Date;
  host?: string;
  /** Website port. */
  port?: number;
  /** Upload endpoint port (a separate origin, like the real upload host). */
  uploadPort?: number;
}

export interface PypiTokenRecord {
  /** Macaroon UUID. */
  id: string;
  description: string;
  /** `project` is the normalized project name. */
  scope: { kind: "user" } | { kind: "project"; project: string };
  created: Date;
  lastUsed: Date | null;
}

export interface PypiReplica {
  /** Website origin, e.g. http://127.0.0.1:40001 */
  url: string;
  /** Full upload endpoint URL ending in /legacy/, on its own origin. */
  uploadUrl: string;
  /** One plan, mounted on both the website and the upload app. */
  faults: FaultPlan;
  settings: {
    /** Default 1800 (30 min, docs/sites/pypi.md, "Re-authentication"). */
    reauthSeconds: number;
    /** Default false; true = TOTP logins go to /account/confirm-login/ until the emailed link is opened (docs/sites/pypi.md, "New-device confirmation"). */
    unrecognizedDevice: boolean;
    /** Site drift for drills: the create button's label (default "Create token"). */
    createButtonLabel: string;
    /**
     * Stands in for the human at a visible browser in a drift drill: the create form clicks its
     * own submit button this long after it loads (once a token name is filled in).
     */
    simulatedHumanClickMs: number | undefined;
    /** The replica's clock runs this far ahead of `now` (default 0): a test moves time past a token's expiry. */
    clockAheadSeconds: number;
  };
  /** Seed a token as if created earlier on the site; returns the raw token value. */
  issueToken(username: string, init: { description: string; project?: string; created?: Date }): string;
  /** Newest first. */
  tokens(username: string): PypiTokenRecord[];
  /** True when the upload probe would answer 400 for this token (exists, user active). */
  isLive(token: string): boolean;
  /** The link the "Unrecognized login" email would carry, if one is pending. */
  confirmLoginLink(username: string): string | undefined;
  /** The link the latest password reset email carried; it expires after 6 hours on `now`. */
  resetLink(username: string): string | undefined;
  /** The account's password now: a drill's front desk shows it after a reset. */
  password(username: string): string;
  /** Every token value the replica ever issued (seeded or created on the site). */
  issuedSecrets(): string[];
  close(): Promise<void>;
}
