// `rotate discover`'s reading of CircleCI, changing nothing: an organization's contexts and the
// projects named, the variables among them named like a registry's publishing tokens (each
// registry says which names are its own), with what CircleCI shows of each (the last four, never
// a value); and a `rotations` proposal built from them, names and destinations only.
import type { CircleciClient, ContextApi } from "./client.js";
import { UsageError, CircleciError } from "../errors.js";
import type { Registry } from "../registry.js";

/** The client calls discovery makes. */
export type DiscoveryApi = Pick<CircleciClient, "me" | "organizations" | "contexts" | "contextEnvVars" | "project" | "projectEnvVars"> &
  Partial<Pick<CircleciClient, "contextApi">>;

export type DiscoveringRegistry = Pick<Registry, "id" | "title" | "section" | "discovery">;

/** A variable that looks like a publishing token, where it is, and what CircleCI shows of it. */
export interface FoundVariable {
  /** The registry whose token its name looks like. */
  registry: string;
  envVar: string;
  /** `context "publishing"` or `project gh/acme/widget`. */
  where: string;
  context: string | null;
  projectSlug: string | null;
  last4: string | null;
  setAt: string | null;
}

export interface Discovery {
  organization: { slug: string; id: string };
  user: string;
  /** The API the contexts were read through; null when the organization has no context. */
  contextApi: ContextApi | null;
  contexts: number;
  projects: string[];
  found: FoundVariable[];
}

/** `gh/acme` and `github/Acme` are one organization: the VCS's short name, any case (docs/sites/circleci.md, "Project slugs"). */
function orgKey(slug: string): string {
  const [vcs = "", ...rest] = slug.toLowerCase().split("/");
  return [{ github: "gh", bitbucket: "bb" }[vcs] ?? vcs, ...rest].join("/");
}

/** Checks --org and each --project before anything is asked. */
export function discoveryScope(org: string, projects: string[]): { org: string; projects: string[] } {
  if (org.split("/").length !== 2 || org.split("/").some((part) => part === ""))
    throw new UsageError(`--org ${org}: write the organization as vcs/org, e.g. gh/mozilla`);
  for (const project of projects) {
    const segments = project.split("/");
    if (segments.length !== 3 || orgKey(segments.slice(0, 2).join("/")) !== orgKey(org))
      throw new UsageError(`--project ${project}: write a project of ${org}, e.g. ${org}/widget`);
  }
  return { org, projects };
}

/** The registry a variable name belongs to, if it looks like a publishing token at all. */
function registryOf(name: string, registries: DiscoveringRegistry[]): DiscoveringRegistry | undefined {
  return registries.find((registry) => registry.discovery.variableNames.test(name));
}

export async function discover(
  api: DiscoveryApi,
  registries: DiscoveringRegistry[],
  scope: { org: string; projects: string[] },
): Promise<Discovery> {
  const user = await api.me();
  const memberships = await api.organizations();
  const organization = memberships.find((o) => orgKey(o.slug) === orgKey(scope.org));
  if (!organization) {
    const theirs = memberships.map((o) => o.slug).join(", ") || "none";
    throw new CircleciError(
      `CircleCI shows ${user.login} no organization ${scope.org} (theirs: ${theirs}): check --org, and that the token is theirs`,
    );
  }
  const found: FoundVariable[] = [];
  const take = (
    variables: Array<{ name: string; last4?: string; setAt?: Date }>,
    place: Pick<FoundVariable, "where" | "context" | "projectSlug">,
  ) => {
    for (const variable of variables) {
      const registry = registryOf(variable.name, registries);
      if (!registry) continue;
      found.push({
        registry: registry.id,
        envVar: variable.name,
        ...place,
        last4: variable.last4 ?? null,
        setAt: variable.setAt?.toISOString() ?? null,
      });
    }
  };
  const contexts = await api.contexts(organization.id);
  for (const context of contexts) {
    take(await api.contextEnvVars(context.id), { where: `context "${context.name}"`, context: context.name, projectSlug: null });
  }
  for (const slug of scope.projects) {
    const project = await api.project(slug);
    take(await api.projectEnvVars(slug), { where: `project ${project.slug}`, context: null, projectSlug: project.slug });
  }
  return {
    organization: { slug: organization.slug, id: organization.id },
    user: user.login,
    contextApi: api.contextApi ?? null,
    contexts: contexts.length,
    projects: scope.projects,
    found,
  };
}

export interface ProposedRotation {
  name: string;
  envVar: string;
  /** As `circleci.targets` writes them: `gh/org/repo`, or `gh/org/repo@context`. */
  targets: string[];
}

export interface Proposal {
  /** Per registry section: `{ "npm": { "rotations": [...] } }`, to paste into rotate.config.json. */
  config: Record<string, { rotations: ProposedRotation[] }>;
  /** What the responder must still fill in or check. */
  notes: string[];
}

/**
 * One rotation per token: destinations showing the same variable and the same last four are
 * taken to hold the same token; a variable whose last four CircleCI does not show is a rotation
 * of its own. A context is reached through a project of its organization (targets.ts): the first
 * --project, else `REPO` for the responder to fill in.
 */
export function proposeRotations(discovery: Discovery, registries: DiscoveringRegistry[]): Proposal {
  const anchor = discovery.projects[0] ?? `${discovery.organization.slug}/REPO`;
  const config: Proposal["config"] = {};
  const notes: string[] = [];
  for (const registry of registries) {
    const mine = discovery.found.filter((f) => f.registry === registry.id);
    if (mine.length === 0) continue;
    const groups = new Map<string, FoundVariable[]>();
    mine.forEach((variable, index) => {
      const key = variable.last4 ? `${variable.envVar} …${variable.last4}` : `${variable.envVar} #${index}`;
      groups.set(key, [...(groups.get(key) ?? []), variable]);
    });
    const names = new Set<string>();
    const rotations = [...groups.values()].map((variables) => {
      const [first] = variables as [FoundVariable];
      const base = first.context ?? first.projectSlug?.split("/")[2] ?? first.envVar;
      let name = base;
      for (let n = 2; names.has(name); n++) name = `${base}-${n}`;
      names.add(name);
      const targets = variables.map((v) => (v.context ? `${anchor}@${v.context}` : (v.projectSlug ?? anchor)));
      return { name, envVar: first.envVar, targets };
    });
    config[registry.section.section] = { rotations };
    notes.push(`each ${registry.title} rotation needs its "${registry.discovery.scopeSetting}" before it can run`);
  }
  if (discovery.found.some((f) => !f.last4))
    notes.push("a variable whose last four CircleCI does not show is a rotation of its own: merge rotations that hold the same token");
  if (discovery.projects.length === 0 && discovery.found.some((f) => f.context))
    notes.push(
      `REPO stands for any project of ${discovery.organization.slug} (a context is found through one): fill it in, or rerun with --project`,
    );
  return { config, notes };
}
