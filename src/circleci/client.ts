// CircleCI API client: the calls a rotation, `rotate trust npm` and `rotate discover` need
// (docs/sites/circleci.md). API v2 for everything; contexts through API v3 where it answers
// (contexts-v3.ts), decided once per client; writes one at a time and spaced (pacer.ts).
// Every answer is mapped explicitly to a value or to one sentence a responder understands;
// the token travels only in the Circle-Token header, only to the configured API's origin (the
// outbound policy refuses a redirect rather than follow it), and no request body is ever echoed.
// Answers are read as the published spec shapes them, and as the live API is known to: fields
// the spec leaves untyped are read leniently, lists end on a repeated page token or a page limit.
import type { AxiosInstance, AxiosResponse } from "axios";
import { z } from "zod";
import { CircleciError, OutboundRefusedError, UsageError } from "../errors.js";
import { createHttp } from "../http/policy.js";
import { ANSWER_TIMEOUT_MS, defaultRetryPolicy, NoAnswerError, sendWithRetries, type RetryDeps, type RetryPolicy } from "../http/retry.js";
import type { Secret } from "../secrets/secret.js";
import { heldOfV3Var, V3Context, V3ContextEnvVar, v3Absent, v3BaseOf, v3ErrorText, v3Routes, type ContextApi } from "./contexts-v3.js";
import { lenientDate, name, text, v2Paging, v3Paging, type HeldValue, type Paging } from "./fields.js";
import { WritePacer } from "./pacer.js";

export type { HeldValue } from "./fields.js";
export type { ContextApi } from "./contexts-v3.js";

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
// GET /me/collaborations: a bare array; `id` is null for some accounts (docs/sites/circleci.md, "Checking the token").
const Collaboration = z.object({ id: text.nullish(), slug: text, name: name.nullish() });

export type CircleciUser = z.infer<typeof User>;
export type CircleciProject = z.infer<typeof Project>;

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

/** An organization the token's user belongs to. */
export interface CircleciOrganization {
  id: string;
  slug: string;
  name?: string;
}

/** What this client has asked CircleCI, for the bench and the fleet: every HTTP try counts, retries too. */
export interface CircleciTraffic {
  requests: number;
  /** Requests that change something (POST, PUT, DELETE). */
  writes: number;
  /** Answers that were 429. */
  throttled: number;
  /** Milliseconds writes waited for their turn in the pacer. */
  pacedMs: number;
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
  /** Start-to-start spacing of writes when CircleCI's answers ask for none stricter (pacer.ts). */
  writeIntervalMs?: number;
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
  /**
   * Sent under the v3 base instead of the v2 one (same origin, same instance and policy); a list
   * or a by-id route, which is how an absent v3 is recognised (contexts-v3.ts, v3Absent).
   */
  v3?: "list" | "by-id";
}

/** CircleCI has no v3 for contexts here: the call goes to v2, and so does every later one. */
class NoV3 extends Error {}

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
  /** Where v3 is on this CircleCI, if anywhere rotate can name (contexts-v3.ts). */
  private readonly v3Base: string | undefined;
  /** Undefined until the first context call decides; then kept for the run. */
  private contextChoice: ContextApi | undefined;
  /** Every write of this client waits its turn here: one client per run, so one pacer per run. */
  readonly pacer: WritePacer;
  private readonly counts = { requests: 0, writes: 0, throttled: 0 };

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
    this.v3Base = v3BaseOf(options.baseUrl);
    if (!this.v3Base) this.contextChoice = "v2";
    this.pacer = new WritePacer(
      {
        now: options.retry.now ?? Date.now,
        sleep: options.retry.sleep,
        // Said as a retry notice: the responder sees why nothing moves.
        onHold: (waitMs) => options.retry.onRetry?.({ attempt: 0, waitMs, reason: "has no writes left until its rate limit resets" }),
      },
      { ...(options.writeIntervalMs !== undefined ? { minIntervalMs: options.writeIntervalMs } : {}) },
    );
    // Every try is counted where it leaves and where its answer arrives, retries included.
    this.http.interceptors.request.use((config) => {
      this.counts.requests++;
      if (config.method && config.method.toUpperCase() !== "GET") this.counts.writes++;
      return config;
    });
    this.http.interceptors.response.use((response) => {
      if (response.status === 429) this.counts.throttled++;
      return response;
    });
  }

  /** Which API this client uses for contexts: undefined until a context call has decided. */
  get contextApi(): ContextApi | undefined {
    return this.contextChoice;
  }

  get traffic(): CircleciTraffic {
    return { ...this.counts, pacedMs: this.pacer.pacedMs };
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

  /** GET /me/collaborations: the organizations the token's user belongs to, with their ids. */
  async organizations(): Promise<CircleciOrganization[]> {
    const path = "/me/collaborations";
    const response = await this.send({ method: "GET", path, what: "listing the user's organizations", subject: "token" });
    return this.parse(z.array(Collaboration), response, path).flatMap(({ id, slug, name }) =>
      id ? [{ id, slug, ...(name ? { name } : {}) }] : [],
    );
  }

  /** The organization's contexts with their ids, every page; names are matched by the caller. */
  async contexts(organizationId: string): Promise<CircleciContext[]> {
    const list = { what: "listing the organization's contexts", subject: "context-lookup" } as const;
    return this.onContextApi(
      async () =>
        (await this.allPages({ ...list, path: v3Routes.contexts(organizationId), v3: "list" }, V3Context, v3Paging)).map(
          ({ id, attributes }) => ({ id, name: attributes.name }),
        ),
      async () =>
        (await this.allPages({ ...list, path: `/context?owner-id=${encodeURIComponent(organizationId)}` }, Context)).map(
          ({ id, name }) => ({ id, name }),
        ),
    );
  }

  async findContext(organizationId: string, name: string): Promise<CircleciContext | undefined> {
    return (await this.contexts(organizationId)).find((context) => context.name === name);
  }

  /** Names (never values) of a context's variables, with what CircleCI shows of each. */
  async contextEnvVars(contextId: string): Promise<Array<{ name: string } & HeldValue>> {
    const list = { what: "listing the context's variables", subject: "context-lookup" } as const;
    return this.onContextApi(
      async () =>
        (await this.allPages({ ...list, path: v3Routes.envVars(contextId), v3: "by-id" }, V3ContextEnvVar, v3Paging)).map(heldOfV3Var),
      async () =>
        (await this.allPages({ ...list, path: `/context/${encodeURIComponent(contextId)}/environment-variable` }, ContextEnvVar)).map(
          (item) => ({ name: item.variable, last4: item.truncated_value ?? undefined, setAt: item.updated_at ?? item.created_at }),
        ),
    );
  }

  async contextEnvVar(contextId: string, name: string): Promise<HeldValue | undefined> {
    const found = (await this.contextEnvVars(contextId)).find((item) => item.name === name);
    return found && { last4: found.last4, setAt: found.setAt };
  }

  /** An upsert either way: v3 POSTs a flat `{name, value}` to `…/env-vars/set`, v2 PUTs `{value}`; both answer 200. */
  async setContextEnvVar(contextId: string, name: string, value: Secret): Promise<void> {
    const write = { what: `setting ${name} in the context`, subject: "context-write" } as const;
    await this.onContextApi(
      () =>
        this.send({ ...write, method: "POST", path: v3Routes.setEnvVar(contextId), body: { name, value: value.reveal() }, v3: "by-id" }),
      () =>
        this.send({
          ...write,
          method: "PUT",
          path: `/context/${encodeURIComponent(contextId)}/environment-variable/${encodeURIComponent(name)}`,
          body: { value: value.reveal() },
        }),
    );
  }

  /** True when CircleCI deleted it, false when it was not there. */
  async deleteContextEnvVar(contextId: string, name: string): Promise<boolean> {
    const deletion = { method: "DELETE", what: `deleting ${name} from the context`, subject: "context-write", allow404: true } as const;
    return this.onContextApi(
      // v3 answers 204 without a body.
      async () => (await this.send({ ...deletion, path: v3Routes.deleteEnvVar(contextId, name), v3: "by-id" })).status !== 404,
      async () => {
        const path = `/context/${encodeURIComponent(contextId)}/environment-variable/${encodeURIComponent(name)}`;
        const response = await this.send({ ...deletion, path });
        if (response.status === 404) return false;
        this.parse(Message, response, "the deletion");
        return true;
      },
    );
  }

  /** A context call on this client's API for contexts: v3 until it proves absent, then v2 for the rest of the run. */
  private async onContextApi<T>(onV3: () => Promise<T>, onV2: () => Promise<T>): Promise<T> {
    if (this.contextChoice === "v2") return onV2();
    try {
      return await onV3();
    } catch (error) {
      if (!(error instanceof NoV3)) throw error;
      this.contextChoice = "v2";
      return onV2();
    }
  }

  /**
   * Follows the list's cursor page by page (v2's next_page_token, v3's page.next). Stops on a
   * cursor it has already sent (a mock built from the spec repeats its example token forever)
   * and at a page limit, naming which.
   */
  private async allPages<T extends z.ZodTypeAny>(
    list: Omit<Call, "method">,
    item: T,
    paging: Paging = v2Paging,
  ): Promise<Array<z.infer<T>>> {
    const maxPages = this.options.maxPages ?? DEFAULT_MAX_PAGES;
    const items: Array<z.infer<T>> = [];
    const sent = new Set<string>();
    let token: string | undefined;
    for (let pages = 1; ; pages++) {
      const path = token ? paging.after(list.path, token) : list.path;
      const parsed = this.parse(paging.page(item), await this.send({ ...list, method: "GET", path }), list.what);
      // One at a time: spreading a huge page into push() overflows the stack.
      for (const one of parsed.items) items.push(one);
      const next = parsed.next;
      if (!next) return items;
      if (sent.has(next)) {
        throw new CircleciError(
          `CircleCI sent the same ${paging.cursorName} twice while ${list.what}: rotate stopped rather than ask for the same page again; rerun, and report it to CircleCI support if it persists`,
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
    const base = call.v3 ? { baseURL: this.v3Base } : {};
    const attempt = () =>
      sendWithRetries(
        this.http,
        { method: call.method, url: call.path, data: call.body, signal: this.options.signal, ...base },
        this.options.policy ?? defaultRetryPolicy,
        this.options.retry,
      );
    try {
      // Writes one at a time, spaced, reading what CircleCI's answers say about its limits.
      if (call.method === "GET") response = await attempt();
      else {
        response = await this.pacer.pace(attempt, this.options.signal);
        this.pacer.observe(response.headers);
      }
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
    if (call.v3 && this.contextChoice === undefined) {
      // The first answer from v3 decides for the run: absent, or there. A 401 after v2's /me took
      // the token is v3 not taking it (the v2 spec shows newer endpoints refusing older tokens):
      // v2 can still do the work.
      if (v3Absent(response.status, response.data, call.v3) || (response.status === 401 && this.user)) throw new NoV3();
      this.contextChoice = "v3";
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
    // v2 says `{message}`; v3 `{error: {title, detail}}`.
    const said = parsed.success ? parsed.data.message : (v3ErrorText(response.data) ?? "");
    if (said.trim() === "") return "";
    const message = said.replace(/\s+/g, " ").trim();
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
