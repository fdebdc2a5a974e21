// The replica's state: organizations, projects (with their variables and pipeline definitions)
// and contexts. Values live only in memory.
import { randomInt, randomUUID } from "node:crypto";
import type { CircleciContextSeed, CircleciProjectSeed, CircleciReplicaOptions } from "./options.js";
import { slugKey, vcsOf, vcsOriginOf, type Vcs } from "./vcs.js";

export type Organization = CircleciProjectSeed["organization"];

export interface ProjectVar {
  value: string;
  createdAt: Date;
}
export interface ContextVar extends ProjectVar {
  updatedAt: Date;
}
export interface PipelineDefinition {
  id: string;
  name: string;
  description: string;
  configFilePath: string;
  createdAt: Date;
}
export interface StoredProject {
  slug: string;
  name: string;
  id: string;
  organization: Organization;
  vcs: Vcs;
  vcsUrl: string;
  defaultBranch: string;
  /** The repository's id at its VCS host, as pipeline definitions name it (inferred: digits). */
  repoExternalId: string;
  vars: Map<string, ProjectVar>;
  pipelineDefinitions: PipelineDefinition[];
}
export interface StoredContext {
  id: string;
  name: string;
  organization: Organization;
  createdAt: Date;
  vars: Map<string, ContextVar>;
}

export class Store {
  readonly organizations = new Map<string, Organization>();
  readonly projects = new Map<string, StoredProject>();
  readonly contexts: StoredContext[] = [];

  constructor(
    options: CircleciReplicaOptions,
    private readonly now: () => Date,
  ) {
    for (const seed of options.projects) this.addProject(seed);
    for (const seed of options.contexts ?? []) this.addContext(seed);
  }

  project(slug: string): StoredProject | undefined {
    return this.projects.get(slugKey(slug));
  }

  projectById(id: string): StoredProject | undefined {
    return [...this.projects.values()].find((project) => project.id === id);
  }

  context(id: string): StoredContext | undefined {
    return this.contexts.find((context) => context.id === id);
  }

  organizationBySlug(slug: string): Organization | undefined {
    return [...this.organizations.values()].find((org) => slugKey(org.slug) === slugKey(slug));
  }

  setProjectVar(project: StoredProject, name: string, value: string): ProjectVar {
    // Inferred: an overwrite is a re-creation, so `created-at` moves (project vars have no updated-at).
    const stored = { value, createdAt: this.now() };
    project.vars.set(name, stored);
    return stored;
  }

  setContextVar(context: StoredContext, name: string, value: string): ContextVar {
    const now = this.now();
    const stored = { value, createdAt: context.vars.get(name)?.createdAt ?? now, updatedAt: now };
    context.vars.set(name, stored);
    return stored;
  }

  private addProject(seed: CircleciProjectSeed): void {
    const [, org, repo, ...extra] = seed.slug.split("/");
    if (!org || !repo || extra.length > 0) throw new Error(`circleci replica: bad project slug ${seed.slug}`);
    if (slugKey(`${seed.organization.slug}/${repo}`) !== slugKey(seed.slug)) {
      throw new Error(`circleci replica: project ${seed.slug} is not in organization ${seed.organization.slug}`);
    }
    this.organizations.set(seed.organization.id, seed.organization);
    const vcs = vcsOf(seed.slug);
    const vcsUrl = seed.vcsUrl ?? vcs.repoUrl(org, repo);
    if (vcsOriginOf(vcsUrl).split("/").length < 3) throw new Error(`circleci replica: vcsUrl ${vcsUrl} names no repository`);
    const createdAt = this.now();
    // Inferred: every project has at least one definition (GitHub OAuth projects get a synthetic one); its name is unknown.
    const definitions = seed.pipelineDefinitions ?? [{ name: "default" }];
    const project: StoredProject = {
      slug: seed.slug,
      name: seed.name ?? repo,
      id: seed.id ?? randomUUID(),
      organization: seed.organization,
      vcs,
      vcsUrl,
      defaultBranch: seed.defaultBranch ?? "main",
      repoExternalId: String(randomInt(100_000_000, 999_999_999)),
      vars: new Map(),
      pipelineDefinitions: definitions.map((definition) => ({
        id: definition.id ?? randomUUID(),
        name: definition.name,
        description: definition.description ?? "",
        configFilePath: definition.configFilePath ?? ".circleci/config.yml",
        createdAt,
      })),
    };
    this.projects.set(slugKey(seed.slug), project);
    for (const [name, value] of Object.entries(seed.envVars ?? {})) this.setProjectVar(project, name, value);
  }

  private addContext(seed: CircleciContextSeed): void {
    const organization = this.organizations.get(seed.organizationId);
    if (!organization) throw new Error(`circleci replica: context ${seed.name} names an organization no project has`);
    const context: StoredContext = {
      id: seed.id ?? randomUUID(),
      name: seed.name,
      organization,
      createdAt: this.now(),
      vars: new Map(),
    };
    this.contexts.push(context);
    for (const [name, value] of Object.entries(seed.envVars ?? {})) this.setContextVar(context, name, value);
  }
}
