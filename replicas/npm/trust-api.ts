// Trusted publishing on the registry, `/-/package/{pkg}/trust` (docs/sites/npm.md, "Trust API"):
// list, add and remove a package's trusted-publisher configurations, always with a one-time code.
// Since 2026-09-03 they add up, to a reported limit of 10, and cannot be edited (only deleted and
// added again). The replica takes CircleCI configurations, with exactly the claim names CircleCI's
// OIDC tokens carry.
import { Router, type Request, type Response } from "express";
import { z } from "zod";
import type { Account, NpmDirectory } from "./directory.js";
import type { OtpGate } from "./otp-gate.js";
import { packageManager } from "./package-guard.js";
import type { NpmPackages } from "./packages.js";
import type { SessionTokens } from "./sessions.js";
import { UUID_PATTERN } from "./token-format.js";

/** "up to 10" trusted publishers per package (docs/sites/npm.md, "Trust API" [I]). */
const MAX_CONFIGS = 10;

const TEXTS = {
  invalid: "Invalid trusted publisher configuration",
  invalidId: "Invalid trusted publisher config id format",
  notFound: "Package not found",
  noConfig: "Trusted publisher configuration not found for the package",
  // Once the one-per-package answer; the replica gives it to a configuration the package already holds [I].
  exists: "trusted publisher config already exists for the package. Please delete and re-create.",
  // The limit is reported (docs/sites/npm.md, "Trust API"); its answer is not [I].
  limit: `A package can have at most ${MAX_CONFIGS} trusted publisher configurations. Delete one before adding another.`,
  forbiddenList: "Insufficient permissions to access trusted publisher configurations for this package",
  forbiddenDelete: "Insufficient permissions to access trusted publisher config for the package",
  no2fa: "Please enable 2fa for your account",
};

const uuid = z.string().regex(UUID_PATTERN);
/** `<vcs-host>/<org>/<repo>`, no scheme (the CLI's own checks). */
const vcsOrigin = z.string().refine((v) => !v.includes("://") && v.split("/").length >= 3 && v.split("/").every(Boolean));

const CircleciConfig = z.strictObject({
  type: z.literal("circleci"),
  claims: z.strictObject({
    "oidc.circleci.com/org-id": uuid,
    "oidc.circleci.com/project-id": uuid,
    "oidc.circleci.com/pipeline-definition-id": uuid,
    "oidc.circleci.com/vcs-origin": vcsOrigin,
    "oidc.circleci.com/context-ids": z.array(uuid).min(1).optional(),
  }),
  permissions: z
    .array(z.enum(["createPackage", "createStagedPackage"]))
    .min(1)
    .refine((p) => new Set(p).size === p.length),
});
/** A JSON array; npm's client sends one element, so more is refused [I]. */
const CreateBody = z.tuple([CircleciConfig]);

export function trustApiRoutes(deps: { directory: NpmDirectory; sessions: SessionTokens; packages: NpmPackages; otp: OtpGate }): Router {
  const router = Router();
  const pkgOf = (req: Request) => String(req.params.pkg);
  const maintainer = (req: Request, res: Response, forbidden: string): Account | undefined => {
    const account = packageManager(deps, req, res, pkgOf(req), { key: "message", notFound: TEXTS.notFound, forbidden });
    if (account?.twoFactor !== "none") return account;
    res.status(403).json({ message: TEXTS.no2fa });
    return undefined;
  };
  const passesOtp = (req: Request, res: Response, account: Account) =>
    deps.otp.passes(req, res, account, { command: "trust", key: "message" });

  router.get("/-/package/:pkg/trust", (req, res) => {
    const account = maintainer(req, res, TEXTS.forbiddenList);
    if (!account || !passesOtp(req, res, account)) return;
    res.json(deps.packages.trustsOf(pkgOf(req)));
  });

  router.post("/-/package/:pkg/trust", (req, res) => {
    const account = maintainer(req, res, TEXTS.forbiddenList);
    if (!account) return;
    const body = CreateBody.safeParse(req.body);
    // A bad body costs no one-time code [I].
    if (!body.success) return res.status(400).json({ message: TEXTS.invalid });
    if (!passesOtp(req, res, account)) return;
    const held = deps.packages.trustsOf(pkgOf(req));
    const same = (config: object) => JSON.stringify(config) === JSON.stringify(normalised(body.data[0]));
    if (held.some(({ id: _id, ...config }) => same(normalised(config)))) return res.status(409).json({ message: TEXTS.exists });
    if (held.length >= MAX_CONFIGS) return res.status(400).json({ message: TEXTS.limit });
    // 200, not 201, with what this call stored (the API docs show an array of configurations).
    res.json([deps.packages.addTrust(pkgOf(req), body.data[0])]);
  });

  router.delete("/-/package/:pkg/trust/:id", (req, res) => {
    if (!uuid.safeParse(req.params.id).success) return res.status(400).json({ message: TEXTS.invalidId });
    const account = maintainer(req, res, TEXTS.forbiddenDelete);
    if (!account || !passesOtp(req, res, account)) return;
    if (!deps.packages.removeTrust(pkgOf(req), String(req.params.id))) return res.status(404).json({ message: TEXTS.noConfig });
    res.status(204).end();
  });

  return router;
}

/** A configuration compared as content: keys sorted, lists as sets. */
function normalised(config: { type: string; claims: Record<string, unknown>; permissions: string[] }) {
  const sorted = (value: unknown): unknown => (Array.isArray(value) ? (value as unknown[]).map(String).sort() : value);
  return {
    type: config.type,
    claims: Object.fromEntries(
      Object.entries(config.claims)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => [k, sorted(v)]),
    ),
    permissions: [...config.permissions].sort(),
  };
}
