// Who a token belongs to, and ending a token: `GET /-/whoami`, which `npm whoami` and secret
// scanners use to tell a live token (200 with the username) from a dead one (401), and
// `DELETE /-/user/token/{token}`, which `npm logout` sends to end its session token "everywhere
// you're using it" (docs/sites/npm.md, "Checking a token", "Revoking the session token").
import { Router } from "express";
import type { NpmDirectory } from "./directory.js";
import { callerOf } from "./registry-auth.js";
import type { SessionTokens } from "./sessions.js";

export function userApiRoutes(deps: { directory: NpmDirectory; sessions: SessionTokens }): Router {
  const router = Router();

  router.get("/-/whoami", (req, res) => {
    const caller = callerOf(req, deps.directory, deps.sessions);
    if (!caller) return res.status(401).json({ error: "Unauthorized" });
    res.json({ username: caller.account.username });
  });

  // The caller may end any of its own tokens this way, a granular one too (the old endpoint
  // revoked whatever token it was given) [I]. npm's own test double answers 200 `{"ok": true}`.
  router.delete("/-/user/token/:token", (req, res) => {
    const caller = callerOf(req, deps.directory, deps.sessions);
    if (!caller) return res.status(401).json({ error: "Unauthorized" });
    const named = String(req.params.token);
    if (deps.sessions.owner(named) === caller.account.username) deps.sessions.revoke(named);
    else {
      const token = deps.directory.findToken(caller.account, { value: named });
      if (!token) return res.status(404).json({ error: "Not found" });
      deps.directory.deleteTokens(caller.account, [token.key]);
    }
    res.json({ ok: true });
  });

  return router;
}
