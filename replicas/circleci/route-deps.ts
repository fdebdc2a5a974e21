// What every route file of the API v2 and v3 routers receives: the store, the access checks,
// paging, and the knob for the newer context-variable shape. Its own module so the routers and
// their route files do not import each other.
import type { Request } from "express";
import type { Access } from "./access.js";
import type { Paged } from "./paging.js";
import type { Store } from "./store.js";

export interface RouteDeps {
  store: Store;
  access: Access;
  /** The request's page of a list, as `page-token` and the pageSize knob say. */
  page: <T>(req: Request, items: T[]) => Paged<T>;
  /** Serve `truncated_value` on context variables (the newer shape). */
  truncatedValue: boolean;
  /** The pageSize knob: lists page at this many items at most. */
  pageSize: number | undefined;
}
