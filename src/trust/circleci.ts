// CircleCI's side of `rotate trust npm`, all read-only (docs/sites/circleci.md, "IDs for trusted
// publishing"): the project's id, its organization's id and VCS origin; the pipeline definition
// npm will trust (one: that one; several: the responder picks); the contexts a job must use, if
// the configuration is to require any; and where the token variable is set now, so it can be
// retired later.
import type { Ask } from "../ask.js";
import type {
  CircleciClient,
  CircleciContext,
  CircleciPipelineDefinition,
  CircleciUser,
  HeldValue,
  ProjectIdentity,
} from "../circleci/client.js";
import { targetFlag, type TargetSpec } from "../circleci/targets.js";
import { CircleciError, UsageError } from "../errors.js";

/** The client calls trusted publishing makes; tests pass an in-memory fake. */
export type TrustCircleciApi = Pick<
  CircleciClient,
  | "me"
  | "project"
  | "projectIdentity"
  | "pipelineDefinitions"
  | "contexts"
  | "projectEnvVar"
  | "contextEnvVar"
  | "deleteProjectEnvVar"
  | "deleteContextEnvVar"
>;

/** A CircleCI variable that may hold the npm token: where it is, and what CircleCI shows of it. */
export interface TokenVariable {
  envVar: string;
  /** How --target names it: `gh/acme/widget` or `gh/acme/widget@publishing`. */
  target: string;
  /** `project gh/acme/widget` or `context "publishing"`. */
  where: string;
  projectSlug: string;
  contextId?: string;
  /** undefined: not set. */
  held: HeldValue | undefined;
}

export interface CircleciFindings {
  user: CircleciUser;
  identity: ProjectIdentity;
  definition: CircleciPipelineDefinition;
  definitions: CircleciPipelineDefinition[];
  /** Contexts the configuration requires a job to use (`--context-id`); empty: none required. */
  contexts: CircleciContext[];
  /** The destinations the settings name. */
  variables: TokenVariable[];
  /** A project variable of the same name that a context destination shadows: it holds a token too. */
  shadowed: TokenVariable[];
}

export interface CircleciQuestion {
  targets: TargetSpec[];
  /** `--pipeline-definition`: a name or an id. */
  pipelineDefinition?: string;
  /** `--context-id`: ids (or names) of the organization's contexts. */
  contextIds: string[];
}

/** One pipeline definition: the one named, the only one, or the responder's pick. */
export async function choosePipelineDefinition(
  definitions: CircleciPipelineDefinition[],
  wanted: string | undefined,
  slug: string,
  ask: Ask,
): Promise<CircleciPipelineDefinition> {
  const listed = definitions.map((d) => `"${d.name}" (${d.id}${d.configFile ? `, ${d.configFile}` : ""})`).join(", ");
  if (wanted !== undefined) {
    const byId = definitions.find((d) => d.id.toLowerCase() === wanted.toLowerCase());
    const byName = definitions.filter((d) => d.name === wanted);
    if (byId) return byId;
    if (byName.length === 1 && byName[0]) return byName[0];
    if (byName.length > 1)
      throw new UsageError(
        `--pipeline-definition ${wanted}: ${byName.length} pipeline definitions of ${slug} have that name; give the id: ${listed}`,
      );
    throw new UsageError(`--pipeline-definition ${wanted}: ${slug} has no pipeline definition of that name or id; it has ${listed}`);
  }
  const [only, ...others] = definitions;
  if (!only)
    throw new CircleciError(
      `CircleCI lists no pipeline definition for ${slug}: set one up in Project Settings → Project Setup, then rerun`,
    );
  if (others.length === 0) return only;
  const id = await ask.select(
    `${slug} has ${definitions.length} pipeline definitions; npm trusts exactly one. Which one runs the publish job?`,
    definitions.map((d) => ({ name: `${d.name} (${d.configFile ?? "config not shown"}, ${d.id})`, value: d.id })),
    `${slug} has ${definitions.length} pipeline definitions: ${listed}; pass --pipeline-definition NAME|ID for the one that publishes`,
  );
  return definitions.find((d) => d.id === id) ?? only;
}

function requiredContexts(all: CircleciContext[], wanted: string[], organization: string): CircleciContext[] {
  return wanted.map((given) => {
    const found = all.find((c) => c.id.toLowerCase() === given.toLowerCase()) ?? all.find((c) => c.name === given);
    if (!found) {
      const known = all.map((c) => `"${c.name}" (${c.id})`).join(", ") || "none";
      throw new UsageError(`--context-id ${given}: not a context of ${organization}; its contexts are ${known}`);
    }
    return found;
  });
}

/** Everything npm's configuration needs and where the token lives, without changing anything. */
export async function findOnCircleci(api: TrustCircleciApi, question: CircleciQuestion, ask: Ask): Promise<CircleciFindings> {
  const [first] = question.targets;
  if (!first) throw new UsageError("no CircleCI project given: pass --project-slug or --target");
  const user = await api.me();
  const identity = await api.projectIdentity(first.projectSlug);
  const definitions = await api.pipelineDefinitions(identity.projectId);
  const definition = await choosePipelineDefinition(definitions, question.pipelineDefinition, identity.slug, ask);
  const organization = identity.organizationSlug ?? `the organization of ${identity.slug}`;
  const needContexts = question.contextIds.length > 0 || question.targets.some((t) => t.context);
  const contexts = needContexts ? await api.contexts(identity.organizationId) : [];

  const variables: TokenVariable[] = [];
  const shadowed: TokenVariable[] = [];
  for (const spec of question.targets) {
    if (spec.projectSlug !== first.projectSlug) await api.project(spec.projectSlug);
    const base = { envVar: spec.envVar, target: targetFlag(spec), projectSlug: spec.projectSlug };
    const projectVariable = async (): Promise<TokenVariable> => ({
      ...base,
      target: spec.projectSlug,
      where: `project ${spec.projectSlug}`,
      held: await api.projectEnvVar(spec.projectSlug, spec.envVar),
    });
    if (!spec.context) {
      variables.push(await projectVariable());
      continue;
    }
    const context = contexts.find((c) => c.name === spec.context);
    if (!context)
      throw new CircleciError(
        `CircleCI has no context named "${spec.context}" in ${organization}: check the context name (names are case-sensitive)`,
      );
    variables.push({
      ...base,
      where: `context "${context.name}"`,
      contextId: context.id,
      held: await api.contextEnvVar(context.id, spec.envVar),
    });
    // A context variable wins over a same-named project variable only in jobs that use the context
    // (docs/sites/circleci.md, "Context and project precedence"): the project one is a token too.
    const listedToo = question.targets.some((t) => !t.context && t.projectSlug === spec.projectSlug && t.envVar === spec.envVar);
    const project = listedToo ? undefined : await projectVariable();
    if (project?.held) shadowed.push(project);
  }
  return {
    user,
    identity,
    definition,
    definitions,
    contexts: requiredContexts(contexts, question.contextIds, organization),
    variables,
    shadowed,
  };
}

/** Deletes one variable; false when it was already gone. */
export function deleteVariable(api: TrustCircleciApi, variable: TokenVariable): Promise<boolean> {
  return variable.contextId
    ? api.deleteContextEnvVar(variable.contextId, variable.envVar)
    : api.deleteProjectEnvVar(variable.projectSlug, variable.envVar);
}
