// docs/sites/circleci.md, "Project environment variables" and "Contexts": lists page with an
// opaque `next_page_token`, echoed back as `page-token`; an empty `page-token` means the first
// page (the official SDK sends one). The token format is the replica's own (inferred: opaque).
import { fail } from "./http.js";
import { MESSAGES } from "./messages.js";

export interface Paged<T> {
  items: T[];
  next_page_token: string | null;
}

export function pageOf<T>(items: T[], pageToken: string | undefined, pageSize: number | undefined): Paged<T> {
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
