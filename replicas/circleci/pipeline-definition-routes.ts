// GET /projects/{project-id}/pipeline-definitions (docs/sites/circleci.md, "Pipeline definitions").
// Inferred: absent from the Feb-2025 spec; route and shape are what CircleCI's CLI used on v2,
// and no pagination field was seen, so the answer is one `items` list.
import type { Router } from "express";
import type { RouteDeps } from "./route-deps.js";
import { send } from "./http.js";
import { pipelineDefinitionJson } from "./views.js";

export function pipelineDefinitionRoutes(router: Router, { access }: RouteDeps): void {
  router.get("/projects/:projectId/pipeline-definitions", (req, res) => {
    const { project } = access.projectById(req.params.projectId, res);
    send(res, 200, { items: project.pipelineDefinitions.map((definition) => pipelineDefinitionJson(project, definition)) });
  });
}
