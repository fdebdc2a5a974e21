// Where a token lives in CircleCI: one or more destinations, each a project variable or a context
// variable. Preflight proves every call the rotation will need can be made for every destination,
// without changing anything.
import type { CircleciClient, CircleciUser, HeldValue } from "./client.js";
import { CircleciError, UsageError } from "../errors.js";
import type { Secret } from "../secrets/secret.js";

/** The client calls a rotation makes; tests pass an in-memory fake (which may not say which API it used for contexts). */
export type CircleciApi = Pick<
  CircleciClient,
  "me" | "project" | "projectEnvVars" | "projectEnvVar" | "setProjectEnvVar" | "findContext" | "contextEnvVar" | "setContextEnvVar"
> &
  Partial<Pick<CircleciClient, "contextApi">>;

export interface TargetSpec {
  projectSlug: string;
  /** A context of the project's organization; absent: a project variable. */
  context?: string;
  envVar: string;
}

/** How --target writes a destination: `gh/acme/widget`, or `gh/acme/widget@publishing` for a context. */
export function targetFlag(spec: TargetSpec): string {
  return spec.context ? `${spec.projectSlug}@${spec.context}` : spec.projectSlug;
}

export function parseTarget(text: string, envVar: string): TargetSpec {
  const [projectSlug, context, ...rest] = text.split("@");
  if (!projectSlug || rest.length > 0 || context === "") {
    throw new UsageError(`--target ${text}: write a project slug (gh/org/repo) or a project slug and a context (gh/org/repo@context)`);
  }
  return { projectSlug, envVar, ...(context ? { context } : {}) };
}

export interface EnvVarTarget {
  spec: TargetSpec;
  envVar: string;
  /** For messages: `project gh/acme/widget` or `context "publishing"`. */
  where: string;
  read(): Promise<HeldValue | undefined>;
  write(value: Secret): Promise<void>;
}

export interface PreflightedDestination {
  target: EnvVarTarget;
  /** What CircleCI holds now; undefined when the variable is not set yet. */
  held: HeldValue | undefined;
}

/** A context destination whose project also has a variable of the same name. */
export interface SameNamedVariable {
  context: PreflightedDestination;
  project: PreflightedDestination;
}

export interface CircleciPreflight {
  user: CircleciUser;
  destinations: PreflightedDestination[];
  /** The plan shows these and asks which to update. */
  sameNamed: SameNamedVariable[];
}

function projectTarget(client: CircleciApi, spec: TargetSpec): EnvVarTarget {
  const projectSpec = { projectSlug: spec.projectSlug, envVar: spec.envVar };
  return {
    spec: projectSpec,
    envVar: spec.envVar,
    where: `project ${spec.projectSlug}`,
    read: () => client.projectEnvVar(spec.projectSlug, spec.envVar),
    write: (value) => client.setProjectEnvVar(spec.projectSlug, spec.envVar, value),
  };
}

async function contextTarget(client: CircleciApi, spec: TargetSpec & { context: string }): Promise<EnvVarTarget> {
  const project = await client.project(spec.projectSlug);
  const context = await client.findContext(project.organization_id, spec.context);
  if (!context) {
    throw new CircleciError(
      `CircleCI has no context named "${spec.context}" in ${project.organization_slug ?? "the organization of " + spec.projectSlug}: check the context name (names are case-sensitive)`,
    );
  }
  return {
    spec,
    envVar: spec.envVar,
    where: `context "${context.name}"`,
    read: () => client.contextEnvVar(context.id, spec.envVar),
    write: (value) => client.setContextEnvVar(context.id, spec.envVar, value),
  };
}

/** Checks the token, then every destination: the project exists, the context exists, the variable's state. */
export async function preflightCircleci(client: CircleciApi, specs: TargetSpec[]): Promise<CircleciPreflight> {
  const user = await client.me();
  const destinations: PreflightedDestination[] = [];
  const sameNamed: SameNamedVariable[] = [];
  for (const spec of specs) {
    if (!spec.context) {
      // Both reads at once: a missing project fails the pair, and says so.
      const target = projectTarget(client, spec);
      const [, held] = await Promise.all([client.project(spec.projectSlug), target.read()]);
      destinations.push({ target, held });
      continue;
    }
    const target = await contextTarget(client, { ...spec, context: spec.context });
    const destination = { target, held: await target.read() };
    destinations.push(destination);
    // A context variable wins over a project variable of the same name in jobs that use the
    // context (docs/sites/circleci.md, "Contexts"): which one the responder means is a question.
    const alsoListed = specs.some((other) => !other.context && other.projectSlug === spec.projectSlug && other.envVar === spec.envVar);
    const projectValue = alsoListed ? undefined : await client.projectEnvVar(spec.projectSlug, spec.envVar);
    if (projectValue) sameNamed.push({ context: destination, project: { target: projectTarget(client, spec), held: projectValue } });
  }
  return { user, destinations, sameNamed };
}

export type Confirmation = { holds: true } | { holds: false; shown: string };

/**
 * Reads the variable back after a write. Project variables show the last four characters;
 * context variables may not (the spec's shape has no truncated_value), so then a later update
 * time is the evidence.
 */
export async function confirmHolds(target: EnvVarTarget, value: Secret, before: HeldValue | undefined): Promise<Confirmation> {
  const now = await target.read();
  if (!now) return { holds: false, shown: "no variable at all" };
  if (now.last4 !== undefined) {
    return now.last4 === value.last4 ? { holds: true } : { holds: false, shown: `a value ending in …${now.last4}` };
  }
  const updated = !before?.setAt || (now.setAt !== undefined && now.setAt > before.setAt);
  return updated ? { holds: true } : { holds: false, shown: "a value that was not updated" };
}
