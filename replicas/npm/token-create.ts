// Generating a granular access token on the npm replica (reference/npm.md §1.3): the form's
// fields as posted, the checks with the create-token API's own error texts, and the redirect to
// the list that shows the new token once.
import { isIP } from "node:net";
import { Router, type Request, type Response } from "express";
import { z } from "zod";
import { MAX_TOKENS_PER_ACCOUNT, NO_ACCESS, type Account, type TokenGrant } from "./directory.js";
import { escalationGate, header, ownSettings, signedIn, type SiteContext } from "./guards.js";
import { csrfToken, sessionOf } from "./session.js";
import { EXPIRATION_LABELS, tokenFormPage, type ExpirationChoice, type GatFormState } from "./token-form.js";
import { LIST_PATH, NEW_TOKEN_PATH, settingsPath } from "./token-list.js";

const DAY_MS = 86_400_000;
/** Write tokens: "a maximum expiration of 90 days" (changelog 2025-09-29, §2). */
const MAX_WRITE_DAYS = 90;
/** "up to 50 packages, 50 scopes, or a combined 50 of both"; "up to 50 organizations" (§1.3 Limits). */
const MAX_SELECTED = 50;

const list = z
  .union([z.string(), z.array(z.string())])
  .optional()
  .transform((value) => [...new Set([value ?? []].flat().map((s) => s.trim()).filter(Boolean))]);

/** The field names are the replica's own; the real form's DOM is unconfirmed (§7 "Not confirmed"). */
const GatForm = z
  .object({
    name: z.string().default(""),
    token_description: z.string().default(""),
    bypass_2fa: z.literal("true").optional(),
    cidr: list,
    packages_and_scopes_permission: z.enum([NO_ACCESS, "read-only", "read-write", "read-write-stage-only"]).default(NO_ACCESS),
    packages_all: z.enum(["true", "false"]).optional(),
    packages: list,
    scopes: list,
    orgs_permission: z.enum([NO_ACCESS, "read-only", "read-write"]).default(NO_ACCESS),
    orgs: list,
    expires: z.enum(Object.keys(EXPIRATION_LABELS) as [ExpirationChoice, ...ExpirationChoice[]]).default("30"),
    expiration_date: z.string().default(""),
  })
  .transform(
    (form): GatFormState => ({
      name: form.name.trim(),
      description: form.token_description,
      bypass2fa: form.bypass_2fa !== undefined,
      cidr: form.cidr,
      packagesPermission: form.packages_and_scopes_permission,
      packagesAll: form.packages_all === undefined ? undefined : form.packages_all === "true",
      packages: form.packages,
      scopes: form.scopes,
      orgsPermission: form.orgs_permission,
      orgs: form.orgs,
      expires: form.expires,
      expirationDate: form.expiration_date.trim(),
    }),
  );

/** A fresh form: nothing granted, neither radio chosen, "30 days" (the default a script saw, §5). */
function blankForm(): GatFormState {
  return GatForm.parse({});
}

export function tokenCreateRoutes(ctx: SiteContext): Router {
  const router = Router();
  const page = (req: Request, res: Response, state: GatFormState, errors: string[] = []) => {
    const account = signedIn(res);
    return res.status(errors.length > 0 ? 400 : 200).send(
      tokenFormPage({
        account,
        state,
        errors,
        now: ctx.now(),
        csrf: csrfToken(req, res),
        header: header(req, res, account),
        action: settingsPath(NEW_TOKEN_PATH, account.username),
        cancel: settingsPath(LIST_PATH, account.username),
      }),
    );
  };

  router.get(NEW_TOKEN_PATH, ownSettings(ctx), (req, res) => page(req, res, blankForm()));

  router.post(NEW_TOKEN_PATH, ownSettings(ctx), escalationGate(ctx, "create"), (req, res) => {
    const account = signedIn(res);
    const form = GatForm.safeParse(req.body ?? {});
    if (!form.success) return page(req, res, blankForm(), ["The form could not be read. Reload the page and try again."]);
    const checked = checkGrant(form.data, account, ctx.now(), ctx.directory.canAddToken(account));
    if ("errors" in checked) return page(req, res, form.data, checked.errors);
    sessionOf(req).newToken = ctx.directory.addToken(account, checked.grant).value;
    res.redirect(303, settingsPath(LIST_PATH, account.username));
  });

  return router;
}

/**
 * The API's 400 texts where it has one (token.yaml, §1.3); the rest are inferred [I]. Names need
 * not be unique: npm does not say they must.
 */
function checkGrant(form: GatFormState, account: Account, now: Date, roomForToken: boolean): { grant: TokenGrant } | { errors: string[] } {
  const errors: string[] = [];
  if (!form.name) errors.push("Token name is required");
  if (!roomForToken) errors.push(`You can have at most ${MAX_TOKENS_PER_ACCOUNT} access tokens. Delete one to make room.`);

  const grantsPackages = form.packagesPermission !== NO_ACCESS;
  const grantsOrgs = form.orgsPermission !== NO_ACCESS;
  const selected = grantsPackages && form.packagesAll !== true ? [...form.packages, ...form.scopes] : [];
  const orgs = grantsOrgs ? form.orgs : [];
  if (!grantsPackages && !grantsOrgs) errors.push("Please select at least one: package, scope or organization.");
  if (grantsPackages && form.packagesAll !== true && selected.length === 0) {
    errors.push("You must select at least one package or scope if granting package/scopes permissions to this token.");
  }
  if (grantsOrgs && orgs.length === 0) errors.push("You must select at least one organization if granting organization permissions to this token.");
  if (selected.length > MAX_SELECTED) errors.push(`You can select at most ${MAX_SELECTED} packages and scopes.`);
  if (orgs.length > MAX_SELECTED) errors.push(`You can select at most ${MAX_SELECTED} organizations.`);
  const unowned = [
    ...(selected.length > 0 ? form.packages.filter((p) => !account.packages.includes(p)) : []),
    ...(selected.length > 0 ? form.scopes.filter((s) => !account.scopes.includes(s)) : []),
    ...orgs.filter((o) => !account.orgs.includes(o)),
  ];
  errors.push(...unowned.map((name) => `You do not have access to ${name}`));
  errors.push(...form.cidr.filter((c) => !isCidr(c)).map((c) => `${c} is not a valid IP range. Must be valid CIDR notation.`));

  const days = expiryDays(form, now);
  if (typeof days === "string") errors.push(days);
  const writes = ["read-write", "read-write-stage-only"].includes(form.packagesPermission) || form.orgsPermission === "read-write";
  if (typeof days === "number" && writes && days > MAX_WRITE_DAYS) errors.push("Read-write tokens cannot have expiration longer than 90 days");

  if (errors.length > 0 || typeof days !== "number") return { errors };
  return {
    grant: {
      name: form.name,
      description: form.description,
      packagesPermission: form.packagesPermission,
      packagesAll: grantsPackages && form.packagesAll === true,
      packages: selected,
      orgsPermission: form.orgsPermission,
      orgs,
      bypass2fa: form.bypass2fa,
      cidr: form.cidr,
      created: now,
      expires: new Date(now.getTime() + days * DAY_MS),
    },
  };
}

/**
 * Days until expiry, or why the choice is wrong. A custom date counts whole UTC days from today
 * and must be at least one day ahead (§1.3 step 7); the token then lives that many days from now [I].
 */
function expiryDays(form: GatFormState, now: Date): number | string {
  if (form.expires !== "custom") return Number(form.expires);
  const picked = /^\d{4}-\d{2}-\d{2}$/.test(form.expirationDate) ? Date.parse(`${form.expirationDate}T00:00:00Z`) : Number.NaN;
  if (Number.isNaN(picked)) return "Choose a custom expiration date.";
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const days = Math.round((picked - today) / DAY_MS);
  return days >= 1 ? days : "The expiration date must be at least 1 day in the future.";
}

function isCidr(range: string): boolean {
  const match = /^([^/]+)\/(\d{1,3})$/.exec(range);
  const version = match?.[1] ? isIP(match[1]) : 0;
  return version !== 0 && Number(match?.[2]) <= (version === 4 ? 32 : 128);
}
