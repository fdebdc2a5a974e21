// The JSON bodies the replica answers with, field for field as docs/sites/circleci.md gives them.
import type { ContextVar, PipelineDefinition, ProjectVar, StoredContext, StoredProject } from "./store.js";
import { vcsOriginOf } from "./vcs.js";

/** "Project environment variables": four x's and the last four characters, as the website shows it. */
function mask(value: string): string {
  return "xxxx" + value.slice(-4);
}

export function projectJson(project: StoredProject) {
  return {
    slug: project.slug,
    name: project.name,
    id: project.id,
    organization_name: project.organization.name,
    organization_slug: project.organization.slug, // "Authentication": live output shows "gh/org", the spec's example only "org"
    organization_id: project.organization.id,
    vcs_info: { vcs_url: project.vcsUrl, provider: project.vcs.provider, default_branch: project.defaultBranch },
  };
}

export function projectVarJson(name: string, stored: ProjectVar) {
  return {
    name,
    value: mask(stored.value),
    "created-at": stored.createdAt.toISOString(), // hyphen here, underscore on contexts
  };
}

export function contextJson(context: StoredContext) {
  return { id: context.id, name: context.name, created_at: context.createdAt.toISOString() };
}

/** "Contexts": the spec's four fields; `truncated_value` (the newer last four) only when asked for. */
export function contextVarJson(context: StoredContext, name: string, stored: ContextVar, withTruncated: boolean) {
  return {
    variable: name,
    created_at: stored.createdAt.toISOString(),
    updated_at: stored.updatedAt.toISOString(),
    context_id: context.id,
    ...(withTruncated ? { truncated_value: stored.value.slice(-4) } : {}),
  };
}

/** "Pipeline definitions": the v2 shape CircleCI's CLI decoded before it moved to v3 (inferred: not in the spec). */
export function pipelineDefinitionJson(project: StoredProject, definition: PipelineDefinition) {
  const repo = { full_name: vcsOriginOf(project.vcsUrl).split("/").slice(1).join("/"), external_id: project.repoExternalId };
  return {
    id: definition.id,
    name: definition.name,
    description: definition.description,
    created_at: definition.createdAt.toISOString(),
    config_source: { provider: project.vcs.definitionProvider, repo, file_path: definition.configFilePath },
    checkout_source: { provider: project.vcs.definitionProvider, repo },
  };
}

/** "API v3 for contexts": a list item is `{id, attributes}`; only the by-id read carries references. */
export function v3ContextJson(context: StoredContext) {
  return { id: context.id, attributes: { name: context.name, created_at: context.createdAt.toISOString() } };
}

/** "API v3 for contexts": variables have no id of their own; `truncated_value` (the last four) as the knob says. */
export function v3ContextVarJson(context: StoredContext, name: string, stored: ContextVar, withTruncated: boolean) {
  return {
    attributes: {
      name,
      ...(withTruncated ? { truncated_value: stored.value.slice(-4) } : {}),
      created_at: stored.createdAt.toISOString(),
      updated_at: stored.updatedAt.toISOString(),
    },
    references: { context: { id: context.id } },
  };
}
