// Enough of the registry's package side for a client to tell a package exists (`GET /{escaped
// name}`, a minimal packument, 404 `{"error":"Not found"}`) and to set who may publish it
// (`POST /-/package/{pkg}/access`, docs/sites/npm.md "Package publishing access").
import { Router } from "express";
import { z } from "zod";
import type { NpmDirectory } from "./directory.js";
import type { OtpGate } from "./otp-gate.js";
import { packageManager } from "./package-guard.js";
import type { NpmPackages } from "./packages.js";
import type { SessionTokens } from "./sessions.js";

const AccessBody = z.strictObject({
  access: z.enum(["public", "private"]).optional(),
  publish_requires_tfa: z.boolean().optional(),
  automation_token_overrides_tfa: z.boolean().optional(),
});

// Texts npm does not document for this endpoint [I].
const BAD_BODY = "Invalid package access settings";
/** npm dropped `mfa=none` from its docs in Dec 2025; the replica refuses to turn 2FA off [I]. */
const TFA_REQUIRED = "Two-factor authentication for publishing cannot be turned off";

export function packageApiRoutes(deps: { directory: NpmDirectory; sessions: SessionTokens; packages: NpmPackages; otp: OtpGate }): Router {
  const router = Router();

  router.post("/-/package/:pkg/access", (req, res) => {
    const pkg = String(req.params.pkg);
    const account = packageManager(deps, req, res, pkg, { key: "error", notFound: "Not found", forbidden: "Forbidden", sessionOnly: true });
    if (!account) return;
    const body = AccessBody.safeParse(req.body);
    if (!body.success) return res.status(400).json({ error: BAD_BODY });
    if (body.data.publish_requires_tfa === false) return res.status(400).json({ error: TFA_REQUIRED });
    // Changing package settings needs 2FA (npm docs); which npm-command earns the web answer is inferred [I].
    if (!deps.otp.passes(req, res, account, { command: "access", key: "error" })) return;
    deps.packages.setAccess(pkg, {
      access: body.data.access,
      publishRequiresTfa: body.data.publish_requires_tfa,
      automationTokenOverridesTfa: body.data.automation_token_overrides_tfa,
    });
    // "200 empty success".
    res.status(200).end();
  });

  // Scoped names arrive escaped (`@scope%2fname`) and are one path segment; the version shown is a stand-in [I].
  router.get("/:pkg", (req, res) => {
    const name = String(req.params.pkg);
    if (!deps.packages.exists(name)) return res.status(404).json({ error: "Not found" });
    const maintainers = deps.packages
      .maintainersOf(name)
      .map((username) => ({ name: username, email: deps.directory.account(username)?.email }));
    res.json({ _id: name, name, "dist-tags": { latest: "1.0.0" }, versions: { "1.0.0": { name, version: "1.0.0" } }, maintainers });
  });

  return router;
}
