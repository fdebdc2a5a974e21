// The CircleCI replica's public shapes: what a test seeds, the knobs, and the handle it gets back.
import type { FaultPlan } from "../shared/faults.js";

export interface CircleciUser {
  id: string;
  login: string;
  name: string;
}

export interface CircleciTokenGrant {
  value: string;
  user: CircleciUser;
  /** viewer: 403 "Permission denied." on writes. */
  role?: "admin" | "viewer";
  /** Organization slugs ("gh/org") the user belongs to; default: every seeded organization. */
  organizations?: string[];
}

export interface CircleciPipelineDefinitionSeed {
  /** Default: a random uuid. */
  id?: string;
  name: string;
  description?: string;
  /** Default `.circleci/config.yml`. */
  configFilePath?: string;
}

export interface CircleciProjectSeed {
  /** "gh/org/repo" in canonical case. */
  slug: string;
  name?: string;
  /** Default: a random uuid. */
  id?: string;
  /** slug like "gh/org", id a uuid. */
  organization: { name: string; slug: string; id: string };
  /** Raw values. */
  envVars?: Record<string, string>;
  /** `vcs_info.vcs_url`; default derived from the slug (https://github.com/org/repo for gh/…). */
  vcsUrl?: string;
  /** Default "main". */
  defaultBranch?: string;
  /** Default: one definition named "default". */
  pipelineDefinitions?: CircleciPipelineDefinitionSeed[];
}

export interface CircleciContextSeed {
  id?: string;
  name: string;
  organizationId: string;
  envVars?: Record<string, string>;
}

export interface CircleciReplicaOptions {
  tokens: CircleciTokenGrant[];
  projects: CircleciProjectSeed[];
  contexts?: CircleciContextSeed[];
  /**
   * Add the newer `truncated_value` (last four) to context variables on list and get, v2 and v3,
   * as CircleCI's 2026 CLI reads it. Default false: the published spec's shape, without it (and
   * v3's without it, which rotate must survive too: whether v3 always sends it is not known).
   */
  truncatedValue?: boolean;
  /** Page lists at N items with next_page_token / page.next (default: no paging, next_page_token null). */
  pageSize?: number;
  /**
   * Serve API v3's context routes under /api/v3 (default true, as CircleCI's cloud does); false:
   * /api/v3 answers 404, as on CircleCI Server, which has no v3.
   */
  contextsV3?: boolean;
  /** Serve API v2's context routes (default true); false: they answer 404, a CircleCI with contexts on v3 only. */
  contextsV2?: boolean;
  now?: () => Date;
  host?: string;
  port?: number;
}

export interface RecordedCall {
  method: string;
  /** The path as routed: `%2F` already decoded to `/`. */
  path: string;
  /** The path as sent, before `%2F` was decoded (e.g. `/api/v2/project/gh%2Facme%2Fwidget`). */
  rawPath: string;
  query: Record<string, string>;
  /** The parsed JSON body, or the raw text when it was not valid JSON. */
  body: unknown;
  auth: "circle-token" | "bearer" | "basic" | "query" | "none";
}

/** What a job asks for when it runs `circleci run oidc get`: its project, pipeline, contexts. */
export interface MintRequest {
  projectSlug: string;
  /** Must be one of the project's pipeline definitions: no job runs under another. */
  pipelineDefinitionId: string;
  /** Contexts of the project's organization the job uses; default none. */
  contextIds?: string[];
  /** The job was started with "Rerun job with SSH". */
  sshRerun?: boolean;
  /** `aud`; default the organization id, as CircleCI's default tokens have it. */
  audience?: string;
  /** Default `refs/heads/<default branch>`. */
  vcsRef?: string;
  /** The user that caused the job to run; default the first seeded token's user. */
  userId?: string;
}

/** A seeded project as `rotate trust npm` must find it. */
export interface CircleciProjectRecord {
  id: string;
  slug: string;
  organizationId: string;
  vcsOrigin: string;
  pipelineDefinitions: Array<{ id: string; name: string }>;
}

export interface CircleciReplica {
  /** Origin. */
  url: string;
  /** url + "/api/v2". */
  apiUrl: string;
  /** url + "/api/v3" (contexts only; 404 with the contextsV3 knob off). */
  v3Url: string;
  /** url + "/oidc": a token's issuer is `${oidcIssuerBase}/org/${organizationId}`, discovery under it. */
  oidcIssuerBase: string;
  faults: FaultPlan;
  /** Every request in arrival order, rejected ones included. */
  calls: RecordedCall[];
  /** Test-only hooks: the raw stored value and when it was set. */
  envVar(slug: string, name: string): { value: string; createdAt: Date } | undefined;
  contextEnvVar(contextName: string, name: string): { value: string; createdAt: Date; updatedAt: Date } | undefined;
  setEnvVar(slug: string, name: string, value: string): void;
  /** Sets a context's variable as if someone had put it there. */
  setContextEnvVar(contextName: string, name: string, value: string): void;
  /** The ids a job of this project carries in its OIDC token; undefined for an unknown slug. */
  project(slug: string): CircleciProjectRecord | undefined;
  /** Every seeded project's slug, in seeding order. */
  projectSlugs(): string[];
  /** An OIDC id token (RS256 JWT) as a job of this project and pipeline definition would get it. */
  mintIdToken(request: MintRequest): string;
  /** Every id token minted so far (for secrecy scans). */
  mintedIdTokens(): string[];
  close(): Promise<void>;
}
