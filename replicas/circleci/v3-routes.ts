// The API v3 router: an organization's contexts and their variables, as CircleCI's CLI calls them
// since it moved contexts to v3 (docs/sites/circleci.md, "API v3 for contexts"). Same store as the
// v2 routes, so a variable written through one is read through the other. Errors have v3's own
// shape, `{"error": {type, id, title, detail}}`; CircleCI's published spec has no v3, so no Prism
// witness covers these routes.
import { randomUUID } from "node:crypto";
import { STATUS_CODES } from "node:http";
import express, { type ErrorRequestHandler, type Response } from "express";
import { z } from "zod";
import { ApiError, credentialsOf, fail, parse, queryOf, send } from "./http.js";
import { MESSAGES, V3_DETAILS, V3_ERROR_TYPES } from "./messages.js";
import { envVarName, envVarValue } from "./names.js";
import { cursorPageOf } from "./paging.js";
import type { RouteDeps } from "./route-deps.js";
import { v3ContextJson, v3ContextVarJson } from "./views.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** "The API accepts up to 250" (CircleCI's CLI); out of range is a 400, not a clamp (v3 guide). */
const MAX_LIMIT = 250;

// The body is flat `{name, value}`, not a `data` envelope.
const setBody = z.object({ name: envVarName, value: envVarValue }, { error: MESSAGES.badBody });

function v3Error(res: Response, status: number, detail: string): void {
  const title = STATUS_CODES[status] ?? "Error";
  send(res, status, { error: { type: V3_ERROR_TYPES[status] ?? "error", id: `req_${randomUUID()}`, title, detail } });
}

const answerV3Errors: ErrorRequestHandler = (err: unknown, _req, res, next) => {
  if (err instanceof ApiError) return v3Error(res, err.status, err.message);
  next(err);
};

export function v3Routes({ store, access, truncatedValue, pageSize }: RouteDeps): express.Router {
  const router = express.Router();
  // v3 takes `Authorization: Bearer` or `Circle-Token`; a token in the query is rejected (v3 guide, "Authentication").
  router.use((_req, res, next) => {
    const { kind } = credentialsOf(res);
    if (kind === "query") fail(401, MESSAGES.queryAuth);
    if (kind === "basic") fail(401, V3_DETAILS.basicAuth);
    next();
  });

  const limitOf = (query: Record<string, string>) => {
    const limit = query["page[limit]"] === undefined ? 100 : Number(query["page[limit]"]);
    return Number.isInteger(limit) && limit >= 1 && limit <= MAX_LIMIT ? limit : fail(400, V3_DETAILS.badLimit);
  };

  // Scoped by org id (required); `filter[name]` narrows by a case-insensitive substring, as CircleCI's CLI says.
  router.get("/contexts", (req, res) => {
    const grant = access.userOf(res);
    const query = queryOf(req);
    const orgId = query["filter[org_id]"] ?? fail(400, V3_DETAILS.orgRequired);
    if (!UUID.test(orgId)) fail(400, V3_DETAILS.badOrgId);
    const org = store.organizations.get(orgId);
    // A token that cannot see the organization gets 403 (CircleCI's CLI fake); an unknown id looks the same.
    if (!org || !access.memberOf(grant, org)) fail(403, V3_DETAILS.forbidden);
    const named = (query["filter[name]"] ?? "").toLowerCase();
    const contexts = store.contexts.filter((c) => c.organization === org && c.name.toLowerCase().includes(named));
    send(res, 200, cursorPageOf(contexts.map(v3ContextJson), query["page[cursor]"], limitOf(query), pageSize));
  });

  router.get("/contexts/:id/env-vars", (req, res) => {
    const { context } = access.contextOf(req, res);
    const query = queryOf(req);
    const vars = [...context.vars].map(([name, stored]) => v3ContextVarJson(context, name, stored, truncatedValue));
    send(res, 200, cursorPageOf(vars, query["page[cursor]"], limitOf(query), pageSize));
  });

  // Create or update; 200 either way ("a create/overwrite distinction would leak whether the secret already existed").
  router.post("/contexts/:id/env-vars/set", (req, res) => {
    const { grant, context } = access.contextOf(req, res);
    access.mayWrite(grant);
    const { name, value } = parse(setBody, req.body);
    send(res, 200, { data: v3ContextVarJson(context, name, store.setContextVar(context, name, value), false) });
  });

  router.delete("/contexts/:id/env-vars", (req, res) => {
    const { grant, context } = access.contextOf(req, res);
    access.mayWrite(grant);
    const name = queryOf(req)["filter[name]"] ?? fail(400, V3_DETAILS.nameRequired);
    if (!context.vars.delete(name)) fail(404, V3_DETAILS.notFound);
    res.status(204).end();
  });

  router.use(() => fail(404, V3_DETAILS.notFound));
  router.use(answerV3Errors);
  return router;
}
