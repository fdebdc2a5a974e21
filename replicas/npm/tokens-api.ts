// The registry's tokens API, `/-/npm/v1/tokens` (docs/sites/npm.md, "Tokens API"): list with
// paging and the redacted token form, create with npm's validation and a one-time code, delete by
// key or full value. Only session tokens (from `npm login`) are accepted here.
import { Router, type Request, type Response } from "express";
import { z } from "zod";
import { isWrite, NO_ACCESS, writesAnything, type Account, type NpmDirectory, type StoredToken } from "./directory.js";
import { checkGrant, daysFrom, shortened, TEXTS, type GrantRequest } from "./grant-rules.js";
import type { NpmSettings } from "./settings.js";
import type { OtpGate } from "./otp-gate.js";
import { callerOf } from "./registry-auth.js";
import type { SessionTokens } from "./sessions.js";
import { redact, TOKEN_PATTERN, UUID_PATTERN } from "./token-format.js";

const TOKENS = "/-/npm/v1/tokens";
/** The example notice the API docs show on every response of this API. */
const NOTICE =
  "SECURITY NOTICE: Granular tokens now limited to 90 days with 2FA enforced by default. Update your CI/CD workflows to avoid disruption. Learn more: https://gh.io/npm-token-changes";
/** The list's default page size is documented; a ceiling is not, so the replica picks one [I]. */
const DEFAULT_PER_PAGE = 10;
const MAX_PER_PAGE = 100;

const PERMISSIONS = [NO_ACCESS, "read-only", "read-write"] as const;
/**
 * The documented text lists three values; since 2026-09-18 the registry also takes
 * `read-write-stage-only` (not for organizations), so its text presumably names it too [I].
 */
const PACKAGE_PERMISSION_TEXT = `Invalid packages_and_scopes_permission. Must be one of: ${[...PERMISSIONS, "read-write-stage-only"].join(", ")}`;
const ORG_PERMISSION_TEXT = `Invalid orgs_permission. Must be one of: ${PERMISSIONS.join(", ")}`;
// Texts npm does not document [I].
const PASSWORD_REQUIRED = "Password is required";
const WRONG_PASSWORD = "Invalid password";
const BAD_EXPIRES = "expires must be a number of days or an ISO 8601 date";
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/;

const stringList = (text: string) => z.array(z.string({ error: text }), { error: text });
const flag = (name: string) => z.boolean({ error: `${name} must be true or false` });

/**
 * Exactly the spellings npm documents, from its API docs (`token_description`, `cidr`,
 * `packages: ["*"]`) and from its own CLI (`description`, `cidr_whitelist`, `packages_all`); any
 * other field is refused, so a client's wrong guess fails a test rather than a real run [I].
 */
const CreateBody = z.strictObject({
  password: z.string({ error: PASSWORD_REQUIRED }).min(1, { error: PASSWORD_REQUIRED }),
  name: z.string({ error: TEXTS.nameRequired }),
  token_description: z.string().nullable().optional(),
  description: z.string().nullable().optional(),
  expires: z.union([z.number(), z.string()], { error: BAD_EXPIRES }).optional(),
  bypass_2fa: flag("bypass_2fa").optional(),
  cidr: stringList("cidr must be an array").nullable().optional(),
  cidr_whitelist: stringList("cidr_whitelist must be an array").nullable().optional(),
  packages: stringList("Packages must be an array").optional(),
  packages_all: flag("packages_all").optional(),
  scopes: stringList("Scopes must be an array").optional(),
  orgs: stringList("Organizations must be an array").optional(),
  packages_and_scopes_permission: z.enum([...PERMISSIONS, "read-write-stage-only"], { error: PACKAGE_PERMISSION_TEXT }).optional(),
  orgs_permission: z.enum(PERMISSIONS, { error: ORG_PERMISSION_TEXT }).optional(),
});
type CreateBody = z.infer<typeof CreateBody>;

const ListQuery = z.object({
  page: z.coerce.number().int().min(0).default(0),
  perPage: z.coerce.number().int().min(1).default(DEFAULT_PER_PAGE),
});

export function tokensApiRoutes(deps: {
  directory: NpmDirectory;
  sessions: SessionTokens;
  otp: OtpGate;
  settings: NpmSettings;
  now: () => Date;
}): Router {
  const router = Router();
  router.use(TOKENS, (_req, res, next) => {
    res.setHeader("npm-notice", NOTICE);
    next();
  });
  /** "`/tokens` endpoint: Only accepts `npmSessionToken`"; a granular token gets the same 401 [I]. */
  const sessionAccount = (req: Request, res: Response): Account | undefined => {
    const caller = callerOf(req, deps.directory, deps.sessions);
    if (caller?.kind === "session") return caller.account;
    res.status(401).json({ error: "Unauthorized" });
    return undefined;
  };

  router.get(TOKENS, (req, res) => {
    const account = sessionAccount(req, res);
    if (!account) return;
    const query = ListQuery.safeParse(req.query);
    if (!query.success) return res.status(400).json({ error: "page and perPage must be whole numbers (perPage at least 1)" });
    const perPage = Math.min(query.data.perPage, MAX_PER_PAGE);
    const { page } = query.data;
    const all = deps.directory.tokensOf(account);
    const shown = all.slice(page * perPage, (page + 1) * perPage);
    // `urls` is always there (npm's client reads `urls.next` unchecked); `next` is relative here,
    // which the docs leave open [I], so a client must resolve it against the registry.
    const more = (page + 1) * perPage < all.length;
    res.json({
      objects: shown.map((t) => ({ ...tokenObject(t, redact(t.value)), readonly: isReadOnly(t) })),
      total: all.length,
      urls: more ? { next: `${TOKENS}?page=${page + 1}&perPage=${perPage}` } : {},
    });
  });

  router.post(TOKENS, (req, res) => {
    const account = sessionAccount(req, res);
    if (!account) return;
    const body = CreateBody.safeParse(req.body);
    if (!body.success) return res.status(400).json({ error: firstProblem(body.error) });
    const request = grantRequest(body.data, deps.now());
    if (typeof request === "string") return res.status(400).json({ error: request });
    const checked = checkGrant(request, account, deps.now(), deps.directory.canAddToken(account));
    if ("errors" in checked) return res.status(400).json({ error: checked.errors[0] });
    // The password is checked before the one-time code, so a mistyped password costs no code [I].
    if (body.data.password !== account.password) return res.status(401).json({ error: WRONG_PASSWORD });
    if (!deps.otp.passes(req, res, account, { command: "token", key: "error" })) return;
    const created = deps.directory.addToken(account, shortened(checked.grant, deps.settings.shortenWriteTokensToDays, deps.now()));
    res.status(201).json(tokenObject(created, created.value));
  });

  router.delete(`${TOKENS}/token/:token`, (req, res) => {
    const account = sessionAccount(req, res);
    if (!account) return;
    const given = String(req.params.token);
    const by = UUID_PATTERN.test(given) ? { key: given } : TOKEN_PATTERN.test(given) ? { value: given } : undefined;
    if (!by) return res.status(400).json({ message: "invalid token" });
    if (!deps.otp.passes(req, res, account, { command: "token", key: "error" })) return;
    const found = deps.directory.findToken(account, by);
    // A value that matches nothing: "could not delete token" (documented); an unknown key: 404 [I].
    if (!found)
      return "value" in by
        ? res.status(400).json({ message: "could not delete token" })
        : res.status(404).json({ message: "Token not found" });
    deps.directory.deleteTokens(account, [found.key]);
    res.status(204).end();
  });

  return router;
}

function firstProblem(error: z.ZodError): string {
  const [issue] = error.issues;
  if (!issue) return "Invalid request body";
  if (issue.code === "unrecognized_keys") return `Unknown field "${issue.keys[0] ?? ""}"`;
  // A body that is not an object at all.
  if (issue.path.length === 0) return "Invalid request body";
  return issue.message;
}

/** The body as a grant request, or why it cannot be one (two spellings that disagree, a bad expiry). */
function grantRequest(body: CreateBody, now: Date): GrantRequest | string {
  const description = oneOf(body, "description", "token_description");
  const cidr = oneOf(body, "cidr_whitelist", "cidr");
  if (description === CONFLICT || cidr === CONFLICT)
    return "description/token_description or cidr/cidr_whitelist given twice with different values";
  const named = body.packages ?? [];
  const packagesAll = body.packages_all === true || named.includes("*");
  const packages = named.filter((p) => p !== "*");
  const scopes = body.scopes ?? [];
  const orgs = body.orgs ?? [];
  // "default read-only when packages/scopes non-empty, else no-access"; the same for orgs.
  const packagesPermission =
    body.packages_and_scopes_permission ?? (packagesAll || packages.length + scopes.length > 0 ? "read-only" : NO_ACCESS);
  const orgsPermission = body.orgs_permission ?? (orgs.length > 0 ? "read-only" : NO_ACCESS);
  return {
    name: body.name.trim(),
    description: description ?? "",
    packagesPermission,
    packagesAll,
    packages,
    scopes,
    orgsPermission,
    orgs,
    bypass2fa: body.bypass_2fa === true,
    cidr: cidr ?? [],
    // "Read-write: max 90 days, default 7. Read-only: no max, default 30."
    expires: expiry(body.expires ?? (writesAnything({ packagesPermission, orgsPermission }) ? 7 : 30), now),
  };
}

const CONFLICT = Symbol("conflict");

function oneOf<K extends "description" | "token_description" | "cidr" | "cidr_whitelist">(
  body: CreateBody,
  a: K,
  b: K,
): NonNullable<CreateBody[K]> | undefined | typeof CONFLICT {
  const [first, second] = [body[a] ?? undefined, body[b] ?? undefined];
  if (first !== undefined && second !== undefined && JSON.stringify(first) !== JSON.stringify(second)) return CONFLICT;
  return (first ?? second) as NonNullable<CreateBody[K]> | undefined;
}

function expiry(expires: number | string, now: Date): Date | string {
  if (typeof expires === "number") return Number.isInteger(expires) ? daysFrom(now, expires) : BAD_EXPIRES;
  const at = ISO_DATE.test(expires) ? Date.parse(expires) : Number.NaN;
  return Number.isNaN(at) ? BAD_EXPIRES : new Date(at);
}

const isReadOnly = (t: StoredToken) => !writesAnything(t);

/**
 * A token as the API shows it: `token` is the full value once (on create), else the redacted
 * form. How `permissions` and `scopes` spell a scope, all packages or stage-only is not
 * documented [I]: a scope is `{type: "scope"}`, all packages `{type: "package", name: "*"}`, and
 * stage-only adds `publish_policy: "stage_only"` (the registry "normalizes it to" that, npm/cli #9948).
 */
function tokenObject(t: StoredToken, token: string) {
  const permissions = [
    ...(t.packagesPermission === NO_ACCESS ? [] : [{ name: "package", action: isWrite(t.packagesPermission) ? "write" : "read" }]),
    ...(t.orgsPermission === NO_ACCESS ? [] : [{ name: "org", action: t.orgsPermission === "read-write" ? "write" : "read" }]),
  ];
  const scopes = [
    ...(t.packagesAll
      ? [{ type: "package", name: "*" }]
      : t.packages.map((name) => ({ type: /^@[^/]+$/.test(name) ? "scope" : "package", name }))),
    ...t.orgs.map((name) => ({ type: "org", name })),
  ];
  return {
    key: t.key,
    name: t.name,
    description: t.description || null,
    token,
    expiry: t.expires.toISOString(),
    cidr: t.cidr.length > 0 ? [...t.cidr] : null,
    bypass_2fa: t.bypass2fa,
    revoked: t.revoked?.toISOString() ?? null,
    created: t.created.toISOString(),
    updated: null,
    accessed: null,
    permissions,
    scopes,
    ...(t.packagesPermission === "read-write-stage-only" ? { publish_policy: "stage_only" } : {}),
  };
}
