// docs/sites/circleci.md, "Project environment variables" and "Contexts": v2 lists page with an
// opaque `next_page_token`, echoed back as `page-token`; an empty `page-token` means the first
// page (the official SDK sends one). v3 lists ("API v3 for contexts") page with an opaque
// `page.next`, sent back as `page[cursor]`, at most `page[limit]` items (1 to 250; outside that,
// 400). The token format is the replica's own (inferred: opaque).
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

export interface CursorPaged<T> {
  data: T[];
  page: { next: string | null; prev: string | null };
}

const cursorOf = (offset: number) => Buffer.from(`offset:${offset}`).toString("base64url");

/** A v3 page: `limit` items at most (and the pageSize knob's, when smaller) from `cursor` on. */
export function cursorPageOf<T>(items: T[], cursor: string | undefined, limit: number, pageSize: number | undefined): CursorPaged<T> {
  const start = cursor ? offsetOf(cursor, items.length) : 0;
  const end = start + Math.min(limit, pageSize ?? limit);
  return {
    data: items.slice(start, end),
    page: { next: end < items.length ? cursorOf(end) : null, prev: start > 0 ? cursorOf(Math.max(0, start - limit)) : null },
  };
}
