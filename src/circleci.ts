// CircleCI API v2 client: just the calls a rotation needs (reference/circleci.md §1–§7).
// Every answer is mapped explicitly to a value or to one sentence a responder understands;
// the token travels only in the Circle-Token header and no body is ever echoed.
import type { AxiosInstance, AxiosResponse } from "axios";
import { z } from "zod";
import { UsageError } from "./errors.js";
import { createHttp } from "./http.js";
import { defaultRetryPolicy, sendWithRetries, type RetryDeps, type RetryPolicy } from "./retry.js";
import type { Secret } from "./secret.js";

export class CircleciError extends Error {
  override name = "CircleciError";
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

const User = z.object({ id: z.string(), login: z.string(), name: z.string().nullish() });
const Project = z.object({
  slug: z.string(),
  name: z.string(),
  organization_name: z.string().optional(),
  organization_slug: z.string().optional(),
  organization_id: z.string(),
});
// `created-at` (hyphen) on project variables; read `created_at` too (§3).
const ProjectEnvVar = z.object({
  name: z.string(),
  value: z.string(),
  "created-at": z.string().nullish(),
  created_at: z.string().nullish(),
});
const Context = z.object({ id: z.string(), name: z.string() });
const ContextEnvVar = z.object({
  variable: z.string(),
  updated_at: z.string().nullish(),
  created_at: z.string().nullish(),
  truncated_value: z.string().nullish(),
});
const page = <T extends z.ZodTypeAny>(item: T) => z.object({ items: z.array(item), next_page_token: z.string().nullish() });

export type CircleciUser = z.infer<typeof User>;
export type CircleciProject = z.infer<typeof Project>;

/** What CircleCI shows of a variable: never the value, at most its last four characters. */
export interface HeldValue {
  last4?: string;
  setAt?: Date;
}

export interface CircleciClientOptions {
  baseUrl: string;
  token: Secret;
  timeoutMs?: number;
  policy?: RetryPolicy;
  retry: RetryDeps;
  signal?: AbortSignal;
}

/** A project slug is three non-empty segments (gh/org/repo or circleci/<org-id>/<project-id>). */
export function encodeSlug(slug: string): string {
  const segments = slug.split("/");
  if (segments.length !== 3 || segments.some((s) => s === "")) {
    throw new UsageError(`project slug "${slug}" is not of the form vcs/org/repo (e.g. gh/mozilla/nimbus-shared)`);
  }
  return segments.map(encodeURIComponent).join("/");
}

function parseDate(value: string | null | undefined): Date | undefined {
  if (!value) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

export class CircleciClient {
  private readonly http: Promise<AxiosInstance>;
  private user: CircleciUser | undefined;

  constructor(private readonly options: CircleciClientOptions) {
    this.http = createHttp({
      baseURL: options.baseUrl.replace(/\/$/, ""),
      timeout: options.timeoutMs ?? 30_000,
      headers: {
        Accept: "application/json",
        "Circle-Token": options.token.reveal(),
      },
      // Parse JSON whatever the content type (old endpoints answer text/plain), never throw on status.
      transformResponse: [(data: unknown) => parseBody(data)],
    });
  }

  /** GET /me: the only call that tells a bad token (401) from a missing project (404). */
  async me(): Promise<CircleciUser> {
    const response = await this.send("GET", "/me", "checking the CircleCI token");
    this.user = this.parse(User, response, "/me");
    return this.user;
  }

  async project(slug: string): Promise<CircleciProject> {
    const response = await this.send("GET", `/project/${encodeSlug(slug)}`, `looking up project ${slug}`);
    return this.parse(Project, response, "project");
  }

  /** Lists names (never values) and reads the one we rotate; undefined when it is not set. */
  async projectEnvVars(slug: string): Promise<Array<{ name: string } & HeldValue>> {
    const items = await this.allPages(
      `/project/${encodeSlug(slug)}/envvar`,
      ProjectEnvVar,
      `listing environment variables of ${slug}`,
    );
    return items.map((item) => ({
      name: item.name,
      last4: item.value.slice(-4),
      setAt: parseDate(item["created-at"] ?? item.created_at),
    }));
  }

  async projectEnvVar(slug: string, name: string): Promise<HeldValue | undefined> {
    const path = `/project/${encodeSlug(slug)}/envvar/${encodeURIComponent(name)}`;
    const response = await this.send("GET", path, `reading ${name} in ${slug}`, { allow404: true });
    if (response.status === 404) return undefined;
    const item = this.parse(ProjectEnvVar, response, "environment variable");
    return { last4: item.value.slice(-4), setAt: parseDate(item["created-at"] ?? item.created_at) };
  }

  /** POST upserts (§3): no window in which the variable is missing. The answer is never read. */
  async setProjectEnvVar(slug: string, name: string, value: Secret): Promise<void> {
    await this.send("POST", `/project/${encodeSlug(slug)}/envvar`, `setting ${name} in ${slug}`, {
      body: { name, value: value.reveal() },
    });
  }

  /** Contexts have no name filter in the spec: page through the organization's and match exactly. */
  async findContext(organizationId: string, name: string): Promise<{ id: string; name: string } | undefined> {
    const contexts = await this.allPages(
      `/context?owner-id=${encodeURIComponent(organizationId)}`,
      Context,
      "listing the organization's contexts",
    );
    return contexts.find((context) => context.name === name);
  }

  async contextEnvVar(contextId: string, name: string): Promise<HeldValue | undefined> {
    const items = await this.allPages(
      `/context/${encodeURIComponent(contextId)}/environment-variable`,
      ContextEnvVar,
      "listing the context's variables",
    );
    const item = items.find((candidate) => candidate.variable === name);
    if (!item) return undefined;
    return { last4: item.truncated_value ?? undefined, setAt: parseDate(item.updated_at ?? item.created_at) };
  }

  /** PUT upserts and answers 200 (§4.2). */
  async setContextEnvVar(contextId: string, name: string, value: Secret): Promise<void> {
    const path = `/context/${encodeURIComponent(contextId)}/environment-variable/${encodeURIComponent(name)}`;
    await this.send("PUT", path, `setting ${name} in the context`, { body: { value: value.reveal() } });
  }

  private async allPages<T extends z.ZodTypeAny>(path: string, item: T, what: string): Promise<Array<z.infer<T>>> {
    const items: Array<z.infer<T>> = [];
    let token: string | null | undefined;
    do {
      const separator = path.includes("?") ? "&" : "?";
      const url = token ? `${path}${separator}page-token=${encodeURIComponent(token)}` : path;
      const response = await this.send("GET", url, what);
      const parsed = this.parse(page(item), response, what);
      items.push(...parsed.items);
      token = parsed.next_page_token;
    } while (token);
    return items;
  }

  private async send(
    method: "GET" | "POST" | "PUT",
    path: string,
    what: string,
    extra: { body?: unknown; allow404?: boolean } = {},
  ): Promise<AxiosResponse> {
    let response: AxiosResponse;
    try {
      response = await sendWithRetries(
        await this.http,
        { method, url: path, data: extra.body, signal: this.options.signal },
        this.options.policy ?? defaultRetryPolicy,
        this.options.retry,
      );
    } catch (error) {
      if (this.options.signal?.aborted) throw error;
      const code = (error as { code?: string }).code ?? "network error";
      throw new CircleciError(
        `cannot reach CircleCI at ${this.options.baseUrl} while ${what} (${code}): check the network or --circleci-url, then rerun`,
      );
    }
    if (response.status >= 200 && response.status < 300) return response;
    if (response.status === 404 && extra.allow404) return response;
    throw new CircleciError(this.explain(response.status, path, what), response.status);
  }

  private explain(status: number, path: string, what: string): string {
    const who = this.user ? this.user.login : "the token's user";
    if (status === 401) {
      return "CircleCI rejected the API token (401): create a personal API token in CircleCI (User Settings → Personal API Tokens) and provide it as CIRCLECI_TOKEN";
    }
    if (status === 404 && path.startsWith("/project/")) {
      // A bad token also gets 404 on project routes (§5); /me has already vouched for it.
      return `CircleCI found no project while ${what} (404): check --project-slug (e.g. gh/org/repo) and that ${who} can see the project`;
    }
    if (status === 404) return `CircleCI answered 404 while ${what}: check the context name and that ${who} belongs to the organization`;
    if (status === 403) return `CircleCI refused ${what} (403, permission denied): ${who} needs permission to manage this project's or context's variables`;
    if (status === 429) return `CircleCI kept rate-limiting ${what} (429) after several tries: wait a few minutes and rerun`;
    if (status >= 500) return `CircleCI failed while ${what} (${status}) after several tries: check CircleCI's status page and rerun`;
    return `CircleCI answered ${status} while ${what}: check the project slug and variable name, then rerun`;
  }

  private parse<T extends z.ZodTypeAny>(schema: T, response: AxiosResponse, what: string): z.infer<T> {
    const result = schema.safeParse(response.data);
    if (!result.success) throw new CircleciError(`CircleCI sent an answer rotate does not understand for ${what}: is --circleci-url the API v2 base URL?`);
    return result.data;
  }
}

function parseBody(data: unknown): unknown {
  if (typeof data !== "string") return data;
  try {
    return JSON.parse(data);
  } catch {
    return data;
  }
}
