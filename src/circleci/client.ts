// CircleCI API v2 client: the calls a rotation and `rotate trust npm` need (docs/sites/circleci.md).
// Every answer is mapped explicitly to a value or to one sentence a responder understands;
// the token travels only in the Circle-Token header, only to the configured API's origin (the
// outbound policy refuses a redirect rather than follow it), and no request body is ever echoed.
// Answers are read as the published spec shapes them, and as the live API is known to: fields
// the spec leaves untyped are read leniently, lists end on a repeated page token or a page limit.
import type { AxiosInstance, AxiosResponse } from "axios";
import { z } from "zod";
import { CircleciError, OutboundRefusedError, UsageError } from "../errors.js";
import { createHttp } from "../http/policy.js";
import { inert, inertLine } from "../secrets/inert.js";
import { ANSWER_TIMEOUT_MS, defaultRetryPolicy, NoAnswerError, sendWithRetries, type RetryDeps, type RetryPolicy } from "../http/retry.js";
import type { Secret } from "../secrets/secret.js";

// Text CircleCI sends may end up on the responder's terminal (a login, a context name, a
// message): it is made inert the moment it is read, so no later code path can forget.
const text = z.string().transform(inert);
// A name printed inside a line of rotate's own: it may not start a line of its own either.
const name = z.string().transform(inertLine);

// `created-at` has no type in the spec (its example is "#joda/inst 2023-04-14T21:20:14+0000");
// a value of any other shape costs that one item its date, never the whole list.
const lenientDate = z.unknown().transform(readDate).optional();

function readDate(value: unknown): Date | undefined {
  if (typeof value !== "string" || value === "") return undefined;
  const date = new Date(value.replace(/^#joda\/inst\s+/, ""));
  return Number.isNaN(date.getTime()) ? undefined : date;
}

const User = z.object({ id: text, login: name, name: name.nullish() });
const Project = z.object({
  slug: text,
  name: text,
  id: text.optional(),
  organization_name: text.optional(),
  organization_slug: text.optional(),
  organization_id: text,
  // Only `rotate trust npm` reads it; a rotation must not fail on its shape.
  vcs_info: z.object({ vcs_url: text.optional() }).nullish().catch(undefined),
});
// Project variables say `created-at` (hyphen); read `created_at` too, as CircleCI's own CLI does.
const ProjectEnvVar = z.object({ name: text, value: text, "created-at": lenientDate, created_at: lenientDate });
const Context = z.object({ id: text, name: text });
// `truncated_value` (the last four) is newer than the spec: absent means "not shown", not "not set".
const ContextEnvVar = z.object({ variable: text, updated_at: lenientDate, created_at: lenientDate, truncated_value: text.nullish() });
// docs/sites/circleci.md, "Pipeline definitions": not in the Feb-2025 spec; shape from CircleCI's CLI.
const PipelineDefinition = z.object({
  id: text,
  name: text,
  description: text.nullish(),
  config_source: z.object({ file_path: text.nullish(), repo: z.object({ full_name: text.nullish() }).nullish() }).nullish(),
});
const Message = z.object({ message: text });
const page = <T extends z.ZodTypeAny>(item: T) => z.object({ items: z.array(item), next_page_token: z.string().nullish() });

export type CircleciUser = z.infer<typeof User>;
export type CircleciProject = z.infer<typeof Project>;

/** What CircleCI shows of a variable: never the value, at most its last four characters. */
export interface HeldValue {
  last4?: string;
  setAt?: Date;
}

/** The identifiers npm's trusted publishing matches a CircleCI OIDC token against. */
export interface ProjectIdentity {
  slug: string;
  projectId: string;
  organizationId: string;
  organizationSlug?: string;
  /** `vcs_info.vcs_url` without scheme and trailing slash, as the `oidc.circleci.com/vcs-origin` claim has it. */
  vcsOrigin: string;
}

export interface CircleciPipelineDefinition {
  id: string;
  name: string;
  description?: string;
  /** The config file the definition runs, e.g. `.circleci/config.yml`. */
  configFile?: string;
  /** The repository the config comes from, e.g. `acme/widget`. */
  repo?: string;
}

export interface CircleciContext {
  id: string;
  name: string;
}

export interface CircleciClientOptions {
  baseUrl: string;
  token: Secret;
  timeoutMs?: number;
  policy?: RetryPolicy;
  retry: RetryDeps;
  signal?: AbortSignal;
  /** A listing that needs more pages than this is stopped (default 1000). */
  maxPages?: number;
}

const DEFAULT_MAX_PAGES = 1000;

/** What a request is about, so a refusal can be explained in its terms. */
type Subject = "token" | "project" | "context-lookup" | "context-write" | "pipeline-definitions";

interface Call {
  method: "GET" | "POST" | "PUT" | "DELETE";
  path: string;
  /** For messages: "listing the context's variables". */
  what: string;
  subject: Subject;
  body?: unknown;
  /** A 404 is an answer here (the variable is not set), not a failure. */
  allow404?: boolean;
}

/**
 * A project slug is three non-empty segments (gh/org/repo or circleci/<org-id>/<project-id>).
 * It is sent as one escaped path segment (`gh%2Forg%2Frepo`): CircleCI accepts both forms, and
 * that is the only one an OpenAPI router such as Prism resolves for `{project-slug}`.
 */
export function encodeSlug(slug: string): string {
  const segments = slug.split("/");
  if (segments.length !== 3 || segments.some((s) => s === "")) {
    throw new UsageError(`project slug "${slug}" is not of the form vcs/org/repo (e.g. gh/mozilla/nimbus-shared)`);
  }
  return encodeURIComponent(slug);
}

/** `https://github.com/acme/widget/` → `github.com/acme/widget`, as the OIDC `vcs-origin` claim reads. */
export function vcsOrigin(vcsUrl: string): string {
  return vcsUrl.replace(/^[a-z][a-z0-9+.-]*:\/\//i, "").replace(/\/+$/, "");
}

/** One phrase for what CircleCI holds: a variable whose last four CircleCI does not show is still set. */
export function describeHeld(held: HeldValue | undefined): string {
  if (!held) return "not set yet";
  if (held.last4) return `holds …${held.last4}`;
  const when = held.setAt ? `, updated ${held.setAt.toISOString().slice(0, 16).replace("T", " ")} UTC` : "";
  return `set (CircleCI shows no last four characters)${when}`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class CircleciClient {
  private readonly http: AxiosInstance;
  private user: CircleciUser | undefined;

  constructor(private readonly options: CircleciClientOptions) {
    this.http = createHttp({
      baseURL: options.baseUrl.replace(/\/$/, ""),
      timeoutMs: options.timeoutMs ?? ANSWER_TIMEOUT_MS,
      credentialsFor: options.baseUrl,
      headers: {
        Accept: "application/json",
        "Circle-Token": options.token.reveal(),
      },
      // Parse JSON whatever the content type (old endpoints answer text/plain).
      transformResponse: [(data: unknown) => parseBody(data)],
    });
  }

  /** GET /me: the only call that tells a bad token (401) from a missing project (404). */
  async me(): Promise<CircleciUser> {
    const response = await this.send({ method: "GET", path: "/me", what: "checking the CircleCI token", subject: "token" });
    this.user = this.parse(User, response, "/me");
    return this.user;
  }

  async project(slug: string): Promise<CircleciProject> {
    const response = await this.send({
      method: "GET",
      path: `/project/${encodeSlug(slug)}`,
      what: `looking up project ${slug}`,
      subject: "project",
    });
    return this.parse(Project, response, "project");
  }

  /** The project's ids and VCS origin, each checked to be usable in a trusted-publisher record. */
  async projectIdentity(slug: string): Promise<ProjectIdentity> {
    const project = await this.project(slug);
    const projectId = this.uuidOf(slug, "id", project.id);
    const organizationId = this.uuidOf(slug, "organization_id", project.organization_id);
    const vcsUrl = project.vcs_info?.vcs_url;
    if (!vcsUrl || vcsOrigin(vcsUrl).split("/").length < 3) {
      throw new CircleciError(
        `CircleCI's answer for project ${slug} names no repository (vcs_info.vcs_url is ${vcsUrl ? `"${vcsUrl}"` : "missing"}): trusted publishing needs it`,
      );
    }
    return {
      slug: project.slug,
      projectId,
      organizationId,
      ...(project.organization_slug ? { organizationSlug: project.organization_slug } : {}),
      vcsOrigin: vcsOrigin(vcsUrl),
    };
  }

  // npm refuses a trusted-publisher record whose ids are not UUIDs; say so before anything changes.
  private uuidOf(slug: string, field: string, value: string | undefined): string {
    if (value && UUID.test(value)) return value;
    throw new CircleciError(
      `CircleCI's answer for project ${slug} has no usable ${field} (a UUID is expected, it sent ${value ? `"${value}"` : "none"}): is --circleci-url CircleCI's API v2?`,
    );
  }

  /** GET /projects/{id}/pipeline-definitions: inferred from CircleCI's CLI, absent from the Feb-2025 spec. */
  async pipelineDefinitions(projectId: string): Promise<CircleciPipelineDefinition[]> {
    const items = await this.allPages(
      {
        path: `/projects/${encodeURIComponent(projectId)}/pipeline-definitions`,
        what: "listing the project's pipeline definitions",
        subject: "pipeline-definitions",
      },
      PipelineDefinition,
    );
    return items.map((item) => ({
      id: item.id,
      name: item.name,
      ...(item.description ? { description: item.description } : {}),
      ...(item.config_source?.file_path ? { configFile: item.config_source.file_path } : {}),
      ...(item.config_source?.repo?.full_name ? { repo: item.config_source.repo.full_name } : {}),
    }));
  }

  /** Lists names (never values) and reads the one we rotate; undefined when it is not set. */
  async projectEnvVars(slug: string): Promise<Array<{ name: string } & HeldValue>> {
    const items = await this.allPages(
      { path: `/project/${encodeSlug(slug)}/envvar`, what: `listing environment variables of ${slug}`, subject: "project" },
      ProjectEnvVar,
    );
    return items.map((item) => ({ name: item.name, ...heldOfProjectVar(item) }));
  }

  async projectEnvVar(slug: string, name: string): Promise<HeldValue | undefined> {
    const path = `/project/${encodeSlug(slug)}/envvar/${encodeURIComponent(name)}`;
    const response = await this.send({ method: "GET", path, what: `reading ${name} in ${slug}`, subject: "project", allow404: true });
    if (response.status === 404) return undefined;
    return heldOfProjectVar(this.parse(ProjectEnvVar, response, "environment variable"));
  }

  /** POST upserts: no window in which the variable is missing. The answer is never read. */
  async setProjectEnvVar(slug: string, name: string, value: Secret): Promise<void> {
    await this.send({
      method: "POST",
      path: `/project/${encodeSlug(slug)}/envvar`,
      what: `setting ${name} in ${slug}`,
      subject: "project",
      body: { name, value: value.reveal() },
    });
  }

  /** True when CircleCI deleted it, false when it was not there (a retried DELETE may find it gone). */
  async deleteProjectEnvVar(slug: string, name: string): Promise<boolean> {
    const path = `/project/${encodeSlug(slug)}/envvar/${encodeURIComponent(name)}`;
    const response = await this.send({ method: "DELETE", path, what: `deleting ${name} from ${slug}`, subject: "project", allow404: true });
    if (response.status === 404) return false;
    this.parse(Message, response, "the deletion");
    return true;
  }

  /** The organization's contexts with their ids; the spec has no name filter, so this pages through all. */
  async contexts(organizationId: string): Promise<CircleciContext[]> {
    const items = await this.allPages(
      {
        path: `/context?owner-id=${encodeURIComponent(organizationId)}`,
        what: "listing the organization's contexts",
        subject: "context-lookup",
      },
      Context,
    );
    return items.map(({ id, name }) => ({ id, name }));
  }

  async findContext(organizationId: string, name: string): Promise<CircleciContext | undefined> {
    return (await this.contexts(organizationId)).find((context) => context.name === name);
  }

  /** Names (never values) of a context's variables, with what CircleCI shows of each. */
  async contextEnvVars(contextId: string): Promise<Array<{ name: string } & HeldValue>> {
    const items = await this.allPages(
      {
        path: `/context/${encodeURIComponent(contextId)}/environment-variable`,
        what: "listing the context's variables",
        subject: "context-lookup",
      },
      ContextEnvVar,
    );
    return items.map((item) => ({
      name: item.variable,
      last4: item.truncated_value ?? undefined,
      setAt: item.updated_at ?? item.created_at,
    }));
  }

  async contextEnvVar(contextId: string, name: string): Promise<HeldValue | undefined> {
    const found = (await this.contextEnvVars(contextId)).find((item) => item.name === name);
    return found && { last4: found.last4, setAt: found.setAt };
  }

  /** PUT upserts and answers 200. */
  async setContextEnvVar(contextId: string, name: string, value: Secret): Promise<void> {
    const path = `/context/${encodeURIComponent(contextId)}/environment-variable/${encodeURIComponent(name)}`;
    await this.send({
      method: "PUT",
      path,
      what: `setting ${name} in the context`,
      subject: "context-write",
      body: { value: value.reveal() },
    });
  }

  /** True when CircleCI deleted it, false when it was not there. */
  async deleteContextEnvVar(contextId: string, name: string): Promise<boolean> {
    const path = `/context/${encodeURIComponent(contextId)}/environment-variable/${encodeURIComponent(name)}`;
    const response = await this.send({
      method: "DELETE",
      path,
      what: `deleting ${name} from the context`,
      subject: "context-write",
      allow404: true,
    });
    if (response.status === 404) return false;
    this.parse(Message, response, "the deletion");
    return true;
  }

  /**
   * Follows next_page_token page by page. Stops on a token it has already sent (a mock built
   * from the spec repeats its example token forever) and at a page limit, naming which.
   */
  private async allPages<T extends z.ZodTypeAny>(list: Omit<Call, "method">, item: T): Promise<Array<z.infer<T>>> {
    const maxPages = this.options.maxPages ?? DEFAULT_MAX_PAGES;
    const items: Array<z.infer<T>> = [];
    const sent = new Set<string>();
    let token: string | undefined;
    for (let pages = 1; ; pages++) {
      const separator = list.path.includes("?") ? "&" : "?";
      const path = token ? `${list.path}${separator}page-token=${encodeURIComponent(token)}` : list.path;
      const parsed = this.parse(page(item), await this.send({ ...list, method: "GET", path }), list.what);
      // One at a time: spreading a huge page into push() overflows the stack.
      for (const one of parsed.items) items.push(one);
      const next = parsed.next_page_token;
      if (!next) return items;
      if (sent.has(next)) {
        throw new CircleciError(
          `CircleCI sent the same next_page_token twice while ${list.what}: rotate stopped rather than ask for the same page again; rerun, and report it to CircleCI support if it persists`,
        );
      }
      if (pages >= maxPages) {
        throw new CircleciError(
          `CircleCI had more than ${maxPages} pages while ${list.what}: rotate stopped at its page limit rather than page on; rerun, and report it to CircleCI support if it persists`,
        );
      }
      sent.add(next);
      token = next;
    }
  }

  private async send(call: Call): Promise<AxiosResponse> {
    let response: AxiosResponse;
    try {
      response = await sendWithRetries(
        this.http,
        { method: call.method, url: call.path, data: call.body, signal: this.options.signal },
        this.options.policy ?? defaultRetryPolicy,
        this.options.retry,
      );
    } catch (error) {
      if (this.options.signal?.aborted) throw error;
      if (error instanceof OutboundRefusedError) throw new CircleciError(this.refusal(error, call));
      if (error instanceof NoAnswerError) {
        throw new CircleciError(
          `CircleCI at ${this.options.baseUrl} is not answering (nothing within ${error.seconds} s while ${call.what}); nothing changed: check the network or CircleCI's status page (status.circleci.com), then rerun`,
        );
      }
      const code = (error as { code?: string }).code ?? "network error";
      throw new CircleciError(
        `cannot reach CircleCI at ${this.options.baseUrl} while ${call.what} (${code}): check the network or --circleci-url, then rerun`,
      );
    }
    if (response.status >= 200 && response.status < 300) return response;
    if (response.status === 404 && call.allow404) return response;
    throw new CircleciError(this.explain(response, call), response.status);
  }

  /** What the outbound policy refused, in the terms of what was asked: nothing went to the other address. */
  private refusal(error: OutboundRefusedError, call: Call): string {
    const { kind, to } = error.refused;
    if (kind === "redirect")
      return `CircleCI at ${this.options.baseUrl} answered with a redirect to ${to} while ${call.what}; rotate follows no redirect, so neither the CircleCI token nor anything else was sent to ${to}: --circleci-url must be CircleCI's API v2 itself (e.g. https://circleci.com/api/v2), not an address that forwards`;
    return `${error.message} (while ${call.what}): check --circleci-url, then rerun`;
  }

  /** One sentence per status, in the terms of what was asked. */
  private explain(response: AxiosResponse, call: Call): string {
    const { status } = response;
    const { what, subject } = call;
    const who = this.user ? this.user.login : "the token's user";
    if (status === 401) {
      return "CircleCI rejected the API token (401): create a personal API token in CircleCI (User Settings → Personal API Tokens) and provide it as CIRCLECI_TOKEN";
    }
    if (status === 404) {
      switch (subject) {
        case "token":
          // /me exists on every API v2; a 404 there means the base URL is not one.
          return `CircleCI answered 404 to the token check (GET /me) at ${this.options.baseUrl}: the URL looks wrong; --circleci-url must be CircleCI's API v2 base URL, e.g. https://circleci.com/api/v2`;
        case "project":
          // A bad token also gets 404 on project routes; /me has already vouched for it.
          return `CircleCI found no project while ${what} (404): check --project-slug (e.g. gh/org/repo) and that ${who} can see the project`;
        case "pipeline-definitions":
          return `CircleCI answered 404 while ${what}: this CircleCI may not offer pipeline definitions on API v2; copy the id from Project Settings → Project Setup and pass it with --pipeline-definition`;
        default:
          return `CircleCI answered 404 while ${what}: check the context name and that ${who} belongs to the organization`;
      }
    }
    if (status === 403)
      return `CircleCI refused ${what} (403, permission denied): ${who} needs permission to manage this project's or context's variables`;
    if (status === 429) return `CircleCI kept rate-limiting ${what} (429) after several tries: wait a few minutes and rerun`;
    if (status >= 500) return `CircleCI failed while ${what} (${status}) after several tries: check CircleCI's status page and rerun`;
    if ((status === 400 || status === 422) && subject === "context-lookup") {
      // The ids in a lookup were CircleCI's own (organization_id, a context id), never typed by the responder.
      return `CircleCI did not accept the request while ${what} (${status}${this.said(response)}): the organization and context ids in it came from CircleCI itself, so check that --circleci-url is CircleCI's API v2 and rerun`;
    }
    if (subject === "context-write")
      return `CircleCI answered ${status} while ${what}: check the variable name (letters, digits and underscores), then rerun`;
    return `CircleCI answered ${status} while ${what}: check the project slug and variable name, then rerun`;
  }

  /** CircleCI's own message, inert and short, for the statuses whose cause only it knows. */
  private said(response: AxiosResponse): string {
    const parsed = Message.safeParse(response.data);
    if (!parsed.success || parsed.data.message.trim() === "") return "";
    const message = parsed.data.message.replace(/\s+/g, " ").trim();
    return `: ${message.length > 160 ? `${message.slice(0, 160)}…` : message}`;
  }

  private parse<T extends z.ZodTypeAny>(schema: T, response: AxiosResponse, what: string): z.infer<T> {
    const result = schema.safeParse(response.data);
    if (!result.success)
      throw new CircleciError(`CircleCI sent an answer rotate does not understand for ${what}: is --circleci-url the API v2 base URL?`);
    return result.data;
  }
}

function heldOfProjectVar(item: z.infer<typeof ProjectEnvVar>): HeldValue {
  return { last4: item.value.slice(-4), setAt: item["created-at"] ?? item.created_at };
}

function parseBody(data: unknown): unknown {
  if (typeof data !== "string") return data;
  try {
    return JSON.parse(data);
  } catch {
    return data;
  }
}
