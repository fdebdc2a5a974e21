// CircleCI API v3 for contexts: its routes, its answers' shapes, and when it is not there
// (docs/sites/circleci.md, "API v3 for contexts"). CircleCI calls v3 its current API and its own
// CLI moved contexts there; project variables have no v3 route, so they stay on v2. The client
// (client.ts) sends these through the same HTTP instance and outbound policy as its v2 calls.
import { z } from "zod";
import { lenientDate, text, type HeldValue } from "./fields.js";

/** Which API a client uses for contexts: decided by the first context call, then kept for the run. */
export type ContextApi = "v3" | "v2";

/** The CLI's page size; the API accepts up to 250 and answers 400 outside its bounds, never clamps. */
const PAGE_LIMIT = "100";

/**
 * `https://circleci.com/api/v2` → `https://circleci.com/api/v3`, on the same origin. A base
 * that does not end in `/api/v2` (a proxy, a mock) has no v3 beside it that rotate could name:
 * undefined, and contexts go through v2.
 */
export function v3BaseOf(v2Base: string): string | undefined {
  const base = v2Base.replace(/\/+$/, "");
  return /\/api\/v2$/.test(base) ? base.replace(/\/api\/v2$/, "/api/v3") : undefined;
}

const query = (params: Record<string, string>) => new URLSearchParams(params).toString();
const contextPath = (contextId: string) => `/contexts/${encodeURIComponent(contextId)}`;

/** Paths under the v3 base. Filters and paging are bracketed query keys, sent encoded. */
export const v3Routes = {
  contexts: (organizationId: string) => `/contexts?${query({ "filter[org_id]": organizationId, "page[limit]": PAGE_LIMIT })}`,
  envVars: (contextId: string) => `${contextPath(contextId)}/env-vars?${query({ "page[limit]": PAGE_LIMIT })}`,
  /** The body is flat `{name, value}`, not a `data` envelope. */
  setEnvVar: (contextId: string) => `${contextPath(contextId)}/env-vars/set`,
  /** The name is a filter, not a path segment. */
  deleteEnvVar: (contextId: string, name: string) => `${contextPath(contextId)}/env-vars?${query({ "filter[name]": name })}`,
};

/** A list item: `{id, attributes: {name, created_at}}`; list items carry no references. */
export const V3Context = z.object({ id: text, attributes: z.object({ name: text }) });

/** `{attributes: {name, truncated_value, created_at, updated_at}, references: {context: {id}}}`; items have no id. */
export const V3ContextEnvVar = z.object({
  attributes: z.object({ name: text, truncated_value: text.nullish(), created_at: lenientDate, updated_at: lenientDate }),
});

export function heldOfV3Var({ attributes }: z.infer<typeof V3ContextEnvVar>): { name: string } & HeldValue {
  return { name: attributes.name, last4: attributes.truncated_value || undefined, setAt: attributes.updated_at ?? attributes.created_at };
}

/** v3's one error shape: `{"error": {type, id, title, detail, source}}` (never an array). */
const V3Error = z.object({ error: z.object({ title: text.optional(), detail: text.optional() }) });

/** What a v3 error says, "title: detail", for the statuses whose cause only CircleCI knows. */
export function v3ErrorText(body: unknown): string | undefined {
  const parsed = V3Error.safeParse(body);
  if (!parsed.success) return undefined;
  const { title, detail } = parsed.data.error;
  return [title, detail].filter(Boolean).join(": ") || undefined;
}

/**
 * Whether an answer says this CircleCI has no v3 for contexts: 410 (a removed v3 route answers
 * 410 permanently), or 404 on the organization's list (a collection scoped by an org id never
 * answers 404 when it exists), or 404 without v3's error shape (v3 answers its own 404s with it;
 * CircleCI Server, which has no v3, does not).
 */
export function v3Absent(status: number, body: unknown, route: "list" | "by-id"): boolean {
  if (status === 410) return true;
  if (status !== 404) return false;
  return route === "list" || !V3Error.safeParse(body).success;
}
