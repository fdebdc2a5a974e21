// Where the token lives in CircleCI: a project variable (default) or a context variable.
// Preflight proves every call the rotation will need can be made, without changing anything.
import { CircleciError, type CircleciClient, type CircleciProject, type CircleciUser, type HeldValue } from "./circleci.js";
import type { Secret } from "./secret.js";

export interface EnvVarTarget {
  envVar: string;
  /** For messages: `PYPI_TOKEN in project gh/acme/widget`. */
  where: string;
  read(): Promise<HeldValue | undefined>;
  write(value: Secret): Promise<void>;
}

export interface CircleciPreflight {
  user: CircleciUser;
  project: CircleciProject;
  target: EnvVarTarget;
  /** What CircleCI holds now; undefined when the variable is not set yet. */
  held: HeldValue | undefined;
  warnings: string[];
}

export interface TargetSpec {
  projectSlug: string;
  envVar: string;
  context?: string;
}

export async function preflightCircleci(client: CircleciClient, spec: TargetSpec): Promise<CircleciPreflight> {
  const user = await client.me();
  const project = await client.project(spec.projectSlug);
  const projectVars = await client.projectEnvVars(spec.projectSlug);
  const warnings: string[] = [];

  if (!spec.context) {
    const target = projectTarget(client, spec);
    return { user, project, target, held: projectVars.find((v) => v.name === spec.envVar), warnings };
  }

  const context = await client.findContext(project.organization_id, spec.context);
  if (!context) {
    throw new CircleciError(
      `CircleCI has no context named "${spec.context}" in ${project.organization_slug ?? "the project's organization"}: check --context (names are case-sensitive)`,
    );
  }
  if (projectVars.some((v) => v.name === spec.envVar)) {
    // A context variable wins over a project variable of the same name (reference/circleci.md §4.3).
    warnings.push(`${spec.envVar} is also set on project ${spec.projectSlug}; jobs using context "${context.name}" will see the context's value`);
  }
  const target: EnvVarTarget = {
    envVar: spec.envVar,
    where: `context "${context.name}"`,
    read: () => client.contextEnvVar(context.id, spec.envVar),
    write: (value) => client.setContextEnvVar(context.id, spec.envVar, value),
  };
  return { user, project, target, held: await target.read(), warnings };
}

function projectTarget(client: CircleciClient, spec: TargetSpec): EnvVarTarget {
  return {
    envVar: spec.envVar,
    where: `project ${spec.projectSlug}`,
    read: () => client.projectEnvVar(spec.projectSlug, spec.envVar),
    write: (value) => client.setProjectEnvVar(spec.projectSlug, spec.envVar, value),
  };
}

export type Confirmation = { holds: true } | { holds: false; shown: string };

/**
 * Reads the variable back after a write. Project variables show the last four characters;
 * context variables may not (truncated_value is newer than the spec), so then a later
 * update time is the evidence.
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
