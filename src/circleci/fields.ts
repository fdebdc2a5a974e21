// How CircleCI's answers are read, the same for API v2 and API v3 (docs/sites/circleci.md): text
// made inert the moment it is read, dates read leniently, what CircleCI shows of a variable, and
// how a list answer pages. Its own module so the v2 client and the v3 context calls share the words.
import { z } from "zod";
import { inert, inertLine } from "../secrets/inert.js";

// Text CircleCI sends may end up on the responder's terminal (a login, a context name, a
// message): it is made inert the moment it is read, so no later code path can forget.
export const text = z.string().transform(inert);
// A name printed inside a line of rotate's own: it may not start a line of its own either.
export const name = z.string().transform(inertLine);

// `created-at` has no type in the spec (its example is "#joda/inst 2023-04-14T21:20:14+0000");
// a value of any other shape costs that one item its date, never the whole list.
export const lenientDate = z.unknown().transform(readDate).optional();

function readDate(value: unknown): Date | undefined {
  if (typeof value !== "string" || value === "") return undefined;
  const date = new Date(value.replace(/^#joda\/inst\s+/, ""));
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** What CircleCI shows of a variable: never the value, at most its last four characters. */
export interface HeldValue {
  last4?: string;
  setAt?: Date;
}

/** One page of a list, whichever API sent it. */
export interface Page<T> {
  items: T[];
  next?: string | null;
}

/** How a list answer pages: where its items and its cursor are, and how the next page is asked for. */
export interface Paging {
  /** The answer's shape for items of this shape. */
  page<T extends z.ZodTypeAny>(item: T): z.ZodType<Page<z.infer<T>>>;
  /** The list's path asking for the page after `cursor`. */
  after(path: string, cursor: string): string;
  /** How the answer names its cursor, for messages. */
  cursorName: string;
}

const separator = (path: string) => (path.includes("?") ? "&" : "?");

/** API v2: `{items, next_page_token}`, the next page asked for with `page-token`. */
export const v2Paging: Paging = {
  page: (item) =>
    z
      .object({ items: z.array(item), next_page_token: z.string().nullish() })
      .transform((p) => ({ items: p.items, next: p.next_page_token })),
  after: (path, cursor) => `${path}${separator(path)}page-token=${encodeURIComponent(cursor)}`,
  cursorName: "next_page_token",
};

/**
 * API v3: `{data, page: {next, prev}}`, the opaque `page.next` sent back unmodified as
 * `page[cursor]`, stopping when it is null (CircleCI's API v3 developer's guide, "Pagination").
 */
export const v3Paging: Paging = {
  page: (item) =>
    z
      .object({ data: z.array(item), page: z.object({ next: z.string().nullish() }).nullish() })
      .transform((p) => ({ items: p.data, next: p.page?.next })),
  after: (path, cursor) => `${path}${separator(path)}${new URLSearchParams({ "page[cursor]": cursor }).toString()}`,
  cursorName: "page.next cursor",
};
