// The registry side of the npm replica, on its own origin: `/-/ping`, who a token is and ending
// it, the web login, the tokens API, trusted publishing and its OIDC exchange, and just enough of
// the package documents to tell a package exists. One fault plan covers it and the website.
import express, { type ErrorRequestHandler, type Express, type Router } from "express";
import type { FaultPlan } from "../shared/faults.js";

/** The routers, in the order they are tried; the package documents (`/:pkg`) come last. */
export function registryApp(faults: FaultPlan, routers: Router[]): Express {
  const app = express();
  app.disable("x-powered-by");
  // Parsed before the fault plan, so a rule's `when` can look at the body.
  app.use(express.json({ type: () => true }));
  app.use(faults.middleware());
  app.get("/-/ping", (_req, res) => {
    res.json({});
  });
  for (const router of routers) app.use(router);
  app.use((_req, res) => {
    res.status(404).json({ error: "Not found" });
  });
  app.use(jsonErrors);
  return app;
}

/** A body that is not JSON, or anything unexpected: a JSON answer, never a stack trace. */
const jsonErrors: ErrorRequestHandler = (err: { status?: unknown }, _req, res, _next) => {
  const status = typeof err.status === "number" && err.status >= 400 && err.status < 600 ? err.status : 500;
  res.status(status).json({ error: status === 400 ? "Invalid JSON body" : "Internal server error" });
};
