// The API v2 router: the query-auth refusal every route shares, then the routes by spec tag; and
// what every route of both API versions is handed.
import express from "express";
import { Access } from "./access.js";
import type { RouteDeps } from "./route-deps.js";
import { contextRoutes } from "./context-routes.js";
import { fail, queryOf, credentialsOf } from "./http.js";
import { MESSAGES } from "./messages.js";
import type { CircleciReplicaOptions } from "./options.js";
import { pageOf } from "./paging.js";
import { pipelineDefinitionRoutes } from "./pipeline-definition-routes.js";
import { projectRoutes } from "./project-routes.js";
import type { Store } from "./store.js";
import { userRoutes } from "./user-routes.js";

export function routeDepsOf(store: Store, options: CircleciReplicaOptions): RouteDeps {
  return {
    store,
    access: new Access(store, options.tokens),
    page: (req, items) => pageOf(items, queryOf(req)["page-token"], options.pageSize),
    truncatedValue: options.truncatedValue ?? false,
    pageSize: options.pageSize,
  };
}

export function apiRoutes(deps: RouteDeps, options: CircleciReplicaOptions): express.Router {
  const router = express.Router();
  // docs/sites/circleci.md, "Authentication": query-parameter auth is refused even with a good token.
  router.use((_req, res, next) => {
    if (credentialsOf(res).kind === "query") fail(401, MESSAGES.queryAuth);
    next();
  });
  userRoutes(router, deps);
  projectRoutes(router, deps);
  pipelineDefinitionRoutes(router, deps);
  // Off: a CircleCI whose contexts are on v3 only; the v2 context routes answer 404 like any unknown route.
  if (options.contextsV2 !== false) contextRoutes(router, deps);
  return router;
}
