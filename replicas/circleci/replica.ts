// Local replica of the slice of CircleCI API v2 that rotate uses: the token check (/me), the
// project check, project env vars and context env vars. Every status, key and message follows
// shared/reference/circleci.md; the § numbers below cite it. Values live only in memory.
import { randomUUID } from "node:crypto";
import type { RequestListener } from "node:http";
import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Response } from "express";
import { z } from "zod";
import { FaultPlan } from "../shared/faults.js";
import { listen } from "../shared/server.js";

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
  /** Serve the newer `truncated_value` on context env var list/get (default true); the PUT answer never has it. */
  truncatedValue?: boolean;
  /** Page lists at N items with next_page_token (default: no paging, next_page_token null). */
  pageSize?: number;
  now?: () => Date;
  host?: string;
  port?: number;
}
export interface RecordedCall {
  method: string;
  /** The path as routed: `%2F` already decoded to `/`. */
  path: string;
  query: Record<string, string>;
  /** The parsed JSON body, or the raw text when it was not valid JSON. */
  body: unknown;
  auth: "circle-token" | "bearer" | "basic" | "query" | "none";
}
export interface CircleciReplica {
  /** Origin. */
  url: string;
  /** url + "/api/v2". */
  apiUrl: string;
  faults: FaultPlan;
  /** Every request in arrival order, rejected ones included. */
  calls: RecordedCall[];
  /** Test-only hooks: the raw stored value and when it was set. */
  envVar(slug: string, name: string): { value: string; createdAt: Date } | undefined;
  contextEnvVar(contextName: string, name: string): { value: string; createdAt: Date; updatedAt: Date } | undefined;
  setEnvVar(slug: string, name: string, value: string): void;
  close(): Promise<void>;
}

const API_PATH = "/api/v2";

const MESSAGES = {
  loginRequired: "You must log in first.", // §1 [T]
  // §1 [C spec example]
  queryAuth:
    "Support for query parameter authentication has been deprecated to improve security. Please use a supported authentication method such as header-based, or basic authentication.",
  projectNotFound: "Project not found", // §5 [T], no trailing dot on the live API
  contextNotFound: "Context not found.", // §5 [C]
  // Inferred: §5 gives no text for an owner the token cannot see; this is the spec's 404 org example.
  organizationNotFound: "Organization does not exist.",
  // Inferred (§3, §12 q1): the status is expected to be 404, the text is unknown.
  envVarNotFound: "Environment variable not found.",
  permissionDenied: "Permission denied.", // §5 [C default]
  // §5 gives no text for a malformed body; this is the spec's default 400 on newer endpoints.
  badBody: "Unexpected request body provided.",
  // Inferred: the live text is unknown; this states the §3 name rule.
  badName: "Invalid environment variable name: use letters, digits and underscores, not starting with a digit.",
  valueTooLong: "Environment variable value is too long.", // inferred
  badPageToken: "Invalid page token.", // inferred
  ownerRequired: "Either owner-id or owner-slug is required.", // inferred
  unknownRoute: "Not found.", // inferred
  internal: "Internal server error.", // §5 [C default]
  projectVarDeleted: "Deleted.", // §3, as CircleCI's own CLI fake answers
  contextVarDeleted: "Environment variable deleted.", // inferred
} as const;

// §3: letters, digits and `_`, not starting with a digit; at most 300 chars, values at most
// 32k chars (contexts.adoc; applied to project vars too, inferred).
const envVarName = z
  .string({ error: MESSAGES.badBody })
  .max(300, { error: MESSAGES.badName })
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: MESSAGES.badName });
const envVarValue = z.string({ error: MESSAGES.badBody }).max(32 * 1024, { error: MESSAGES.valueTooLong });
const projectVarBody = z.object({ name: envVarName, value: envVarValue }, { error: MESSAGES.badBody });
const contextVarBody = z.object({ value: envVarValue }, { error: MESSAGES.badBody });

class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function fail(status: number, message: string): never {
  throw new ApiError(status, message);
}

function parse<T>(schema: z.ZodType<T>, input: unknown): T {
  const result = schema.safeParse(input);
  return result.success ? result.data : fail(400, result.error.issues[0]?.message ?? MESSAGES.badBody);
}

// §1, §2: the vcs segment names the provider; responses use the short form.
interface Vcs {
  provider: "GitHub" | "Bitbucket" | "CircleCI";
  vcsType: string;
  repoUrl(org: string, repo: string): string;
}
const VCS: Record<string, Vcs> = {
  gh: { provider: "GitHub", vcsType: "github", repoUrl: (org, repo) => `https://github.com/${org}/${repo}` },
  bb: { provider: "Bitbucket", vcsType: "bitbucket", repoUrl: (org, repo) => `https://bitbucket.org/${org}/${repo}` },
  // Inferred: the shape of vcs_url for GitHub App / GitLab projects is not in the reference.
  circleci: { provider: "CircleCI", vcsType: "circleci", repoUrl: (org, project) => `//circleci.com/${org}/${project}` },
};
const VCS_ALIASES: Record<string, string> = { github: "gh", bitbucket: "bb" };

/** Lookup key of a project or org slug: case-insensitive (§2, inferred) with `github`/`bitbucket` shortened. */
function slugKey(slug: string): string {
  const [vcs = "", ...rest] = slug.toLowerCase().split("/");
  return [VCS_ALIASES[vcs] ?? vcs, ...rest].join("/");
}

function vcsOf(slug: string): Vcs {
  const vcs = VCS[slugKey(slug).split("/")[0] ?? ""];
  if (!vcs) throw new Error(`circleci replica: unknown vcs in slug ${slug}`);
  return vcs;
}

/** §3: four x's and the last four characters, as the website shows it. */
function mask(value: string): string {
  return "xxxx" + value.slice(-4);
}

// §5: the live API pretty-prints JSON with a space before each colon ("message" : "…").
function liveJson(body: unknown): string {
  return JSON.stringify(body, null, 2).replace(/^(\s*"(?:[^"\\]|\\.)*"):/gm, "$1 :");
}

function send(res: Response, status: number, body: unknown): void {
  res.status(status).type("application/json").send(liveJson(body));
}

// --- State -------------------------------------------------------------------------------

type Organization = CircleciProjectSeed["organization"];
interface ProjectVar {
  value: string;
  createdAt: Date;
}
interface ContextVar extends ProjectVar {
  updatedAt: Date;
}
interface StoredProject {
  slug: string;
  name: string;
  id: string;
  organization: Organization;
  vcs: Vcs;
  vars: Map<string, ProjectVar>;
}
interface StoredContext {
  id: string;
  name: string;
  organization: Organization;
  createdAt: Date;
  vars: Map<string, ContextVar>;
}

class Store {
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
    const project: StoredProject = {
      slug: seed.slug,
      name: seed.name ?? repo,
      id: seed.id ?? randomUUID(),
      organization: seed.organization,
      vcs: vcsOf(seed.slug),
      vars: new Map(),
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

// --- Request plumbing ----------------------------------------------------------------------

interface Credentials {
  kind: RecordedCall["auth"];
  token?: string;
}

function queryOf(req: Request): Record<string, string> {
  return Object.fromEntries(new URL(req.originalUrl, "http://replica").searchParams);
}

// §1: Circle-Token, Bearer and Basic ("<token>:" or the bare token) all carry the token.
function readCredentials(req: Request): Credentials {
  if ("circle-token" in queryOf(req)) return { kind: "query" };
  const circleToken = req.get("circle-token");
  if (circleToken) return { kind: "circle-token", token: circleToken };
  const [scheme = "", param = ""] = (req.get("authorization") ?? "").trim().split(/\s+/);
  if (/^bearer$/i.test(scheme)) return { kind: "bearer", token: param };
  if (/^basic$/i.test(scheme)) {
    const [token = ""] = Buffer.from(param, "base64").toString("utf8").split(":", 1);
    return { kind: "basic", token };
  }
  return { kind: "none" };
}

interface RequestState {
  call: RecordedCall;
  credentials: Credentials;
}
const STATE = "circleciRequest";
const stateOf = (res: Response): RequestState => res.locals[STATE] as RequestState;

/** Records every request on arrival, before anything can reject it. */
function recordCalls(calls: RecordedCall[]): RequestHandler {
  return (req, res, next) => {
    const credentials = readCredentials(req);
    const call: RecordedCall = { method: req.method, path: req.path, query: queryOf(req), body: undefined, auth: credentials.kind };
    calls.push(call);
    res.locals[STATE] = { call, credentials } satisfies RequestState;
    next();
  };
}

const keepBody: RequestHandler = (req, res, next) => {
  stateOf(res).call.body = req.body;
  next();
};

const answerErrors: ErrorRequestHandler = (err: unknown, _req, res, _next) => {
  if (err instanceof ApiError) return send(res, err.status, { message: err.message });
  const status = (err as { status?: unknown }).status;
  if (typeof status === "number" && status >= 400 && status < 500) {
    // body-parser keeps the unparseable text on the error; the test record wants it.
    const rawBody = (err as { body?: unknown }).body;
    if (typeof rawBody === "string") stateOf(res).call.body = rawBody;
    return send(res, status, { message: MESSAGES.badBody });
  }
  send(res, 500, { message: MESSAGES.internal });
};

// §2: "The `/` characters may be URL-escaped"; decode them before routing so both slug forms
// match, as CircleCI's own CLI fake does. The query string is left alone.
function decodeEscapedSlashes(app: RequestListener): RequestListener {
  return (req, res) => {
    const url = req.url ?? "/";
    const queryStart = url.includes("?") ? url.indexOf("?") : url.length;
    req.url = url.slice(0, queryStart).replace(/%2F/gi, "/") + url.slice(queryStart);
    app(req, res);
  };
}

// --- Paging ----------------------------------------------------------------------------------

interface Paged<T> {
  items: T[];
  next_page_token: string | null;
}

// §3, §4: lists page with an opaque `next_page_token`, echoed back as `page-token`; an empty
// `page-token` means the first page (the official SDK sends one).
function pageOf<T>(items: T[], pageToken: string | undefined, pageSize: number | undefined): Paged<T> {
  const start = pageToken ? offsetOf(pageToken, items.length) : 0;
  const end = pageSize ? start + pageSize : items.length;
  const next_page_token = end < items.length ? Buffer.from(`offset:${end}`).toString("base64url") : null;
  return { items: items.slice(start, end), next_page_token };
}

function offsetOf(pageToken: string, total: number): number {
  const match = /^offset:(\d+)$/.exec(Buffer.from(pageToken, "base64url").toString("utf8"));
  const offset = Number(match?.[1]);
  return match && offset <= total ? offset : fail(400, MESSAGES.badPageToken);
}

// --- Routes ----------------------------------------------------------------------------------

function apiRoutes(store: Store, options: CircleciReplicaOptions): express.Router {
  const grants = new Map(options.tokens.map((grant) => [grant.value, grant]));
  const truncatedValue = options.truncatedValue ?? true;
  const page = <T>(req: Request, items: T[]) => pageOf(items, queryOf(req)["page-token"], options.pageSize);

  const grantOf = (res: Response) => {
    const { token } = stateOf(res).credentials;
    return token === undefined ? undefined : grants.get(token);
  };
  const memberOf = (grant: CircleciTokenGrant, org: Organization) =>
    !grant.organizations || grant.organizations.some((slug) => slugKey(slug) === slugKey(org.slug));
  const userOf = (res: Response) => grantOf(res) ?? fail(401, MESSAGES.loginRequired);
  const mayWrite = (grant: CircleciTokenGrant) => {
    // §1: Viewers cannot edit variables.
    if (grant.role === "viewer") fail(403, MESSAGES.permissionDenied);
  };

  // §5: a bad token, an unknown slug and a project outside the user's orgs all look alike,
  // "by design to mirror the behavior on GitHub".
  const projectOf = (req: Request<{ vcs: string; org: string; repo: string }>, res: Response) => {
    const grant = grantOf(res);
    const project = store.project(`${req.params.vcs}/${req.params.org}/${req.params.repo}`);
    if (!grant || !project || !memberOf(grant, project.organization)) fail(404, MESSAGES.projectNotFound);
    return { grant, project };
  };
  const contextOf = (req: Request<{ id: string }>, res: Response) => {
    const grant = userOf(res);
    const context = store.context(req.params.id);
    if (!context || !memberOf(grant, context.organization)) fail(404, MESSAGES.contextNotFound);
    return { grant, context };
  };

  const projectVarJson = (name: string, stored: ProjectVar) => ({
    name,
    value: mask(stored.value),
    "created-at": stored.createdAt.toISOString(), // §3: hyphen here, underscore on contexts
  });
  const contextVarJson = (context: StoredContext, name: string, stored: ContextVar, withTruncated: boolean) => ({
    variable: name,
    created_at: stored.createdAt.toISOString(),
    updated_at: stored.updatedAt.toISOString(),
    context_id: context.id,
    // §4.2: the newer last-four field, served on reads only when switched on.
    ...(withTruncated ? { truncated_value: stored.value.slice(-4) } : {}),
  });
  const contextVarsJson = (context: StoredContext) =>
    [...context.vars].map(([name, stored]) => contextVarJson(context, name, stored, truncatedValue));
  const contextJson = (context: StoredContext) => ({
    id: context.id,
    name: context.name,
    created_at: context.createdAt.toISOString(),
  });

  const router = express.Router();

  router.use((_req, res, next) => {
    if (stateOf(res).credentials.kind === "query") fail(401, MESSAGES.queryAuth);
    next();
  });

  router.get("/me", (_req, res) => send(res, 200, userOf(res).user));

  router.get("/me/collaborations", (_req, res) => {
    const grant = userOf(res);
    const orgs = [...store.organizations.values()].filter((org) => memberOf(grant, org));
    send(
      res,
      200,
      orgs.map((org) => ({
        id: org.id,
        "vcs-type": vcsOf(org.slug).vcsType,
        name: org.name,
        avatar_url: "", // the replica has no avatars
        slug: org.slug,
      })),
    );
  });

  const PROJECT = "/project/:vcs/:org/:repo";

  router.get(PROJECT, (req, res) => {
    const { project } = projectOf(req, res);
    const [, org = "", repo = ""] = project.slug.split("/");
    send(res, 200, {
      slug: project.slug,
      name: project.name,
      id: project.id,
      organization_name: project.organization.name,
      organization_slug: project.organization.slug, // §1: live output shows "gh/org" [T]
      organization_id: project.organization.id,
      vcs_info: { vcs_url: project.vcs.repoUrl(org, repo), provider: project.vcs.provider, default_branch: "main" },
    });
  });

  router.get(`${PROJECT}/envvar`, (req, res) => {
    const { project } = projectOf(req, res);
    send(res, 200, page(req, [...project.vars].map(([name, stored]) => projectVarJson(name, stored))));
  });

  // §3: POST of an existing name overwrites it; 201 either way, masked value in the answer.
  router.post(`${PROJECT}/envvar`, (req, res) => {
    const { grant, project } = projectOf(req, res);
    mayWrite(grant);
    const { name, value } = parse(projectVarBody, req.body);
    send(res, 201, projectVarJson(name, store.setProjectVar(project, name, value)));
  });

  router.get(`${PROJECT}/envvar/:name`, (req, res) => {
    const { project } = projectOf(req, res);
    const stored = project.vars.get(req.params.name) ?? fail(404, MESSAGES.envVarNotFound);
    send(res, 200, projectVarJson(req.params.name, stored));
  });

  router.delete(`${PROJECT}/envvar/:name`, (req, res) => {
    const { grant, project } = projectOf(req, res);
    mayWrite(grant);
    if (!project.vars.delete(req.params.name)) fail(404, MESSAGES.envVarNotFound);
    send(res, 200, { message: MESSAGES.projectVarDeleted });
  });

  // §4.1: by org uuid or org slug ("gh/org"); owner-type only matters on Server and is ignored.
  router.get("/context", (req, res) => {
    const grant = userOf(res);
    const { "owner-id": ownerId, "owner-slug": ownerSlug } = queryOf(req);
    if (!ownerId && !ownerSlug) fail(400, MESSAGES.ownerRequired);
    const org = ownerId ? store.organizations.get(ownerId) : store.organizationBySlug(ownerSlug ?? "");
    if (!org || !memberOf(grant, org)) fail(404, MESSAGES.organizationNotFound);
    const contexts = store.contexts.filter((context) => context.organization === org);
    send(res, 200, page(req, contexts.map(contextJson)));
  });

  // §4.1, §4.4: the 2026 CLI reads a richer body than the 2025 spec's Context; serve both.
  router.get("/context/:id", (req, res) => {
    const { context } = contextOf(req, res);
    send(res, 200, {
      ...contextJson(context),
      org_id: context.organization.id,
      environment_variables: contextVarsJson(context),
      restrictions: [],
    });
  });

  router.get("/context/:id/environment-variable", (req, res) => {
    const { context } = contextOf(req, res);
    send(res, 200, page(req, contextVarsJson(context)));
  });

  // §4.2: PUT upserts and answers 200 (not 201) without any value, truncated or not.
  router.put("/context/:id/environment-variable/:name", (req, res) => {
    const { grant, context } = contextOf(req, res);
    mayWrite(grant);
    const name = parse(envVarName, req.params.name);
    const { value } = parse(contextVarBody, req.body);
    send(res, 200, contextVarJson(context, name, store.setContextVar(context, name, value), false));
  });

  router.delete("/context/:id/environment-variable/:name", (req, res) => {
    const { grant, context } = contextOf(req, res);
    mayWrite(grant);
    if (!context.vars.delete(req.params.name)) fail(404, MESSAGES.envVarNotFound);
    send(res, 200, { message: MESSAGES.contextVarDeleted });
  });

  return router;
}

export async function startCircleciReplica(options: CircleciReplicaOptions): Promise<CircleciReplica> {
  const now = options.now ?? (() => new Date());
  const store = new Store(options, now);
  const faults = new FaultPlan();
  const calls: RecordedCall[] = [];

  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  app.use(recordCalls(calls));
  app.use(express.json());
  app.use(keepBody);
  app.use(faults.middleware());
  app.use(API_PATH, apiRoutes(store, options));
  app.use(() => fail(404, MESSAGES.unknownRoute));
  app.use(answerErrors);

  const server = await listen(decodeEscapedSlashes(app), { host: options.host, port: options.port });

  return {
    url: server.url,
    apiUrl: server.url + API_PATH,
    faults,
    calls,
    envVar: (slug, name) => {
      const stored = store.project(slug)?.vars.get(name);
      return stored && { ...stored };
    },
    contextEnvVar: (contextName, name) => {
      const stored = store.contexts.find((context) => context.name === contextName)?.vars.get(name);
      return stored && { ...stored };
    },
    setEnvVar: (slug, name, value) => {
      const project = store.project(slug);
      if (!project) throw new Error(`circleci replica: unknown project ${slug}`);
      store.setProjectVar(project, name, value);
    },
    close: () => server.close(),
  };
}
