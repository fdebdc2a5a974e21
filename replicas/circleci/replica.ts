// Local replica of the slice of CircleCI that rotate uses: API v2 (the token check, projects and
// their variables, contexts and theirs, pipeline definitions), API v3 for contexts, and the OIDC
// issuer whose tokens npm's trusted publishing accepts. Statuses, keys and messages follow docs/sites/circleci.md;
// by default answers have the published spec's shape. Values live only in memory.
import { randomUUID } from "node:crypto";
import express from "express";
import { FaultPlan } from "../shared/faults.js";
import { listen } from "../shared/server.js";
import { apiRoutes, routeDepsOf } from "./api.js";
import { answerErrors, decodeEscapedSlashes, fail, keepBody, recordCalls } from "./http.js";
import { MESSAGES } from "./messages.js";
import { OidcIssuer } from "./oidc.js";
import type { CircleciReplica, CircleciReplicaOptions, RecordedCall } from "./options.js";
import { Store } from "./store.js";
import { v3Routes } from "./v3-routes.js";
import { vcsOriginOf } from "./vcs.js";

export type * from "./options.js";

const API_PATH = "/api/v2";
const API_V3_PATH = "/api/v3";
const OIDC_PATH = "/oidc";

export async function startCircleciReplica(options: CircleciReplicaOptions): Promise<CircleciReplica> {
  const now = options.now ?? (() => new Date());
  const store = new Store(options, now);
  const faults = new FaultPlan();
  const calls: RecordedCall[] = [];
  let origin = "";
  const oidc = new OidcIssuer(store, { base: () => origin + OIDC_PATH, now, defaultUserId: options.tokens[0]?.user.id ?? randomUUID() });

  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  app.use(recordCalls(calls));
  app.use(express.json());
  app.use(keepBody);
  app.use(faults.middleware());
  const deps = routeDepsOf(store, options);
  app.use(API_PATH, apiRoutes(deps, options));
  // Off: /api/v3 answers 404 with v2's shape, as a CircleCI without v3 (CircleCI Server) would.
  if (options.contextsV3 !== false) app.use(API_V3_PATH, v3Routes(deps));
  app.use(OIDC_PATH, oidc.routes());
  app.use(() => fail(404, MESSAGES.unknownRoute));
  app.use(answerErrors);

  const server = await listen(decodeEscapedSlashes(app), { host: options.host, port: options.port });
  origin = server.url;

  return {
    url: server.url,
    apiUrl: server.url + API_PATH,
    v3Url: server.url + API_V3_PATH,
    oidcIssuerBase: server.url + OIDC_PATH,
    faults,
    calls,
    envVar: (slug, name) => {
      const stored = store.project(slug)?.vars.get(name);
      return stored && { ...stored };
    },
    contextEnvVar: (contextName, name) => {
      const stored = store.contexts.find((context) => context.name === contextName)?.vars.get(name);
      return stored && { ...stored };
    },
    setEnvVar: (slug, name, value) => {
      const project = store.project(slug);
      if (!project) throw new Error(`circleci replica: unknown project ${slug}`);
      store.setProjectVar(project, name, value);
    },
    setContextEnvVar: (contextName, name, value) => {
      const context = store.contexts.find((candidate) => candidate.name === contextName);
      if (!context) throw new Error(`circleci replica: unknown context ${contextName}`);
      store.setContextVar(context, name, value);
    },
    project: (slug) => {
      const project = store.project(slug);
      return (
        project && {
          id: project.id,
          slug: project.slug,
          organizationId: project.organization.id,
          vcsOrigin: vcsOriginOf(project.vcsUrl),
          pipelineDefinitions: project.pipelineDefinitions.map(({ id, name }) => ({ id, name })),
        }
      );
    },
    projectSlugs: () => [...store.projects.values()].map((project) => project.slug),
    mintIdToken: (request) => oidc.mint(request),
    mintedIdTokens: () => [...oidc.minted],
    close: () => server.close(),
  };
}
