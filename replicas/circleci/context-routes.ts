// Spec tag "Context": an organization's contexts and their variables (docs/sites/circleci.md, "Contexts").
import type { Router } from "express";
import { z } from "zod";
import type { RouteDeps } from "./route-deps.js";
import { fail, parse, queryOf, send } from "./http.js";
import { MESSAGES } from "./messages.js";
import { envVarName, envVarValue } from "./names.js";
import type { StoredContext } from "./store.js";
import { contextJson, contextVarJson } from "./views.js";

const contextVarBody = z.object({ value: envVarValue }, { error: MESSAGES.badBody });

export function contextRoutes(router: Router, { store, access, page, truncatedValue }: RouteDeps): void {
  const contextVarsJson = (context: StoredContext) =>
    [...context.vars].map(([name, stored]) => contextVarJson(context, name, stored, truncatedValue));

  // By org uuid or org slug ("gh/org"); owner-type only matters on Server and is ignored.
  router.get("/context", (req, res) => {
    const grant = access.userOf(res);
    const { "owner-id": ownerId, "owner-slug": ownerSlug } = queryOf(req);
    if (!ownerId && !ownerSlug) fail(400, MESSAGES.ownerRequired);
    const org = ownerId ? store.organizations.get(ownerId) : store.organizationBySlug(ownerSlug ?? "");
    if (!org || !access.memberOf(grant, org)) fail(404, MESSAGES.organizationNotFound);
    const contexts = store.contexts.filter((context) => context.organization === org);
    send(res, 200, page(req, contexts.map(contextJson)));
  });

  // The 2026 CLI reads a richer body than the 2025 spec's Context; serve both.
  router.get("/context/:id", (req, res) => {
    const { context } = access.contextOf(req, res);
    send(res, 200, {
      ...contextJson(context),
      org_id: context.organization.id,
      environment_variables: contextVarsJson(context),
      restrictions: [],
    });
  });

  router.get("/context/:id/environment-variable", (req, res) => {
    const { context } = access.contextOf(req, res);
    send(res, 200, page(req, contextVarsJson(context)));
  });

  // PUT upserts and answers 200 (not 201) without any value, truncated or not.
  router.put("/context/:id/environment-variable/:name", (req, res) => {
    const { grant, context } = access.contextOf(req, res);
    access.mayWrite(grant);
    const name = parse(envVarName, req.params.name);
    const { value } = parse(contextVarBody, req.body);
    send(res, 200, contextVarJson(context, name, store.setContextVar(context, name, value), false));
  });

  router.delete("/context/:id/environment-variable/:name", (req, res) => {
    const { grant, context } = access.contextOf(req, res);
    access.mayWrite(grant);
    if (!context.vars.delete(req.params.name)) fail(404, MESSAGES.envVarNotFound);
    send(res, 200, { message: MESSAGES.contextVarDeleted });
  });
}
