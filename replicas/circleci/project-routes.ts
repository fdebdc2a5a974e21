// Spec tag "Project": the project itself and its environment variables
// (docs/sites/circleci.md, "Project environment variables").
import type { Router } from "express";
import { z } from "zod";
import type { RouteDeps } from "./route-deps.js";
import { fail, parse, send } from "./http.js";
import { MESSAGES } from "./messages.js";
import { envVarName, envVarValue } from "./names.js";
import { projectJson, projectVarJson } from "./views.js";

const projectVarBody = z.object({ name: envVarName, value: envVarValue }, { error: MESSAGES.badBody });

const PROJECT = "/project/:vcs/:org/:repo";

export function projectRoutes(router: Router, { store, access, page }: RouteDeps): void {
  router.get(PROJECT, (req, res) => send(res, 200, projectJson(access.projectOf(req, res).project)));

  router.get(`${PROJECT}/envvar`, (req, res) => {
    const { project } = access.projectOf(req, res);
    send(
      res,
      200,
      page(
        req,
        [...project.vars].map(([name, stored]) => projectVarJson(name, stored)),
      ),
    );
  });

  // POST of an existing name overwrites it; 201 either way, masked value in the answer.
  router.post(`${PROJECT}/envvar`, (req, res) => {
    const { grant, project } = access.projectOf(req, res);
    access.mayWrite(grant);
    const { name, value } = parse(projectVarBody, req.body);
    send(res, 201, projectVarJson(name, store.setProjectVar(project, name, value)));
  });

  router.get(`${PROJECT}/envvar/:name`, (req, res) => {
    const { project } = access.projectOf(req, res);
    const stored = project.vars.get(req.params.name) ?? fail(404, MESSAGES.envVarNotFound);
    send(res, 200, projectVarJson(req.params.name, stored));
  });

  router.delete(`${PROJECT}/envvar/:name`, (req, res) => {
    const { grant, project } = access.projectOf(req, res);
    access.mayWrite(grant);
    if (!project.vars.delete(req.params.name)) fail(404, MESSAGES.envVarNotFound);
    send(res, 200, { message: MESSAGES.projectVarDeleted });
  });
}
