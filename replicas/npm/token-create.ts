// Generating a granular access token on the npm replica (docs/sites/npm.md, "Granular token form"): the form's
// fields as posted, the checks with the create-token API's own error texts, and the redirect to
// the list that shows the new token once.
import { Router, type Request, type Response } from "express";
import { z } from "zod";
import { NO_ACCESS } from "./directory.js";
import { checkGrant, daysFrom, shortened, type GrantRequest } from "./grant-rules.js";
import { escalationGate, header, ownSettings, signedIn, type SiteContext } from "./guards.js";
import { csrfToken, sessionOf } from "./session.js";
import { EXPIRATION_LABELS, tokenFormPage, type ExpirationChoice, type GatFormState } from "./token-form.js";
import { LIST_PATH, NEW_TOKEN_PATH, settingsPath } from "./token-list.js";

const DAY_MS = 86_400_000;

const list = z
  .union([z.string(), z.array(z.string())])
  .optional()
  .transform((value) => [
    ...new Set(
      [value ?? []]
        .flat()
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ]);

/** The field names are the replica's own; the real form's DOM is unconfirmed (docs/sites/npm.md, "Granular token form" "Not confirmed"). */
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
  .transform((form): GatFormState => ({
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
  }));

/** A fresh form: nothing granted, neither radio chosen, "30 days" (the default a script saw, docs/sites/npm.md, "Granular token form"). */
function blankForm(): GatFormState {
  return GatForm.parse({});
}

export function tokenCreateRoutes(ctx: SiteContext): Router {
  const router = Router();
  const page = (req: Request, res: Response, state: GatFormState, errors: string[] = []) => {
    const account = signedIn(res);
    return res.status(errors.length > 0 ? 400 : 200).send(
      tokenFormPage({
        shape: ctx.settings.pageShape,
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
    const checked = checkGrant(requestOf(form.data, ctx.now()), account, ctx.now(), ctx.directory.canAddToken(account));
    if ("errors" in checked) return page(req, res, form.data, checked.errors);
    sessionOf(req).newToken = ctx.directory.addToken(
      account,
      shortened(checked.grant, ctx.settings.shortenWriteTokensToDays, ctx.now()),
    ).value;
    res.redirect(303, settingsPath(LIST_PATH, account.username));
  });

  return router;
}

/** The form's choices as a grant request; the rules are the API's (grant-rules.ts). */
function requestOf(form: GatFormState, now: Date): GrantRequest {
  const days = expiryDays(form, now);
  return {
    name: form.name,
    description: form.description,
    packagesPermission: form.packagesPermission,
    packagesAll: form.packagesAll === true,
    packages: form.packages,
    scopes: form.scopes,
    orgsPermission: form.orgsPermission,
    orgs: form.orgs,
    bypass2fa: form.bypass2fa,
    cidr: form.cidr,
    expires: typeof days === "number" ? daysFrom(now, days) : days,
  };
}

/**
 * Days until expiry, or why the choice cannot be read. A custom date counts whole UTC days from
 * today ("at least 1 day in the future", docs/sites/npm.md "Token pages"); the token then lives
 * that many days from now [I].
 */
function expiryDays(form: GatFormState, now: Date): number | string {
  if (form.expires !== "custom") return Number(form.expires);
  const picked = /^\d{4}-\d{2}-\d{2}$/.test(form.expirationDate) ? Date.parse(`${form.expirationDate}T00:00:00Z`) : Number.NaN;
  if (Number.isNaN(picked)) return "Choose a custom expiration date.";
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return Math.round((picked - today) / DAY_MS);
}
