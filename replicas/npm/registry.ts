// The registry side of the npm replica, on its own origin: `/-/whoami`, which npm whoami and
// secret scanners use to tell a live token (200 with the username) from a dead one (401)
// (reference/npm.md §4.1, §6), and `/-/ping` for reachability checks.
import express, { type Express } from "express";
import type { FaultPlan } from "../shared/faults.js";
import type { NpmDirectory } from "./directory.js";

export function registryApp(directory: NpmDirectory, faults: FaultPlan): Express {
  const app = express();
  app.disable("x-powered-by");
  app.use(faults.middleware());
  app.get("/-/ping", (_req, res) => {
    res.json({});
  });
  app.get("/-/whoami", (req, res) => {
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.get("authorization") ?? "")?.[1];
    const username = bearer === undefined ? undefined : directory.liveOwner(bearer);
    if (username === undefined) return res.status(401).json({ error: "Unauthorized" });
    res.json({ username });
  });
  app.use((_req, res) => {
    res.status(404).json({ error: "Not found" });
  });
  return app;
}
