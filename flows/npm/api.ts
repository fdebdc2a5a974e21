// npm's tokens through the registry's API, as `npm token` does it (docs/sites/npm.md, "Tokens
// API"): list (every page), create exactly what the settings say, delete by key or by value. The
// sign-in, one-time codes and the session's end are session.ts's.
import type { AxiosResponse } from "axios";
import { z } from "zod";
import { RegistryError } from "../../src/errors.js";
import { inert } from "../../src/secrets/inert.js";
import type { CreatedToken, RegistryAccount, TokenSummary } from "../../src/rotation/capability.js";
import { Secret } from "../../src/secrets/secret.js";
import { expiryGiven } from "./policy.js";
import { encodePackage, http, NpmSession, type NpmCtx } from "./session.js";
import type { NpmSettings } from "./settings.js";

const ListedTokenAnswer = z.object({
  key: z.string(),
  name: z.string().nullish(),
  token: z.string(),
  expiry: z.string().nullish(),
  created: z.string().nullish(),
  // Null while active (docs/sites/npm.md, "List"); npm's invalidation of 2026-05-19 left tokens that stopped before their expiry.
  revoked: z.string().nullish(),
  readonly: z.boolean().nullish(),
  bypass_2fa: z.boolean().nullish(),
  permissions: z.array(z.object({ action: z.string() }).partial()).nullish(),
  // What it covers: `{type: "package", name}` ("*" for all), a scope as `{type: "scope", name: "@scope"}` [I].
  scopes: z.array(z.object({ type: z.string(), name: z.string() }).partial()).nullish(),
  // The stage-only kind (2026-09-18) post-dates the API docs; the field that shows it in a list is inferred [I].
  publish_policy: z.string().nullish(),
});
const TokenPage = z.object({ objects: z.array(ListedTokenAnswer), urls: z.object({ next: z.string().nullish() }).partial().nullish() });
const CreatedAnswer = z.object({ key: z.string(), name: z.string().nullish(), token: z.string(), expiry: z.string().nullish() });

/** The redacted form in lists: the first eight characters, three dots, the last four. */
const REDACTED = /^(npm_\w{4})\.\.\.(\w{4})$/;
const MAX_LIST_PAGES = 100;

const dateOf = (text: string | null | undefined) => {
  const date = text ? new Date(text) : undefined;
  return date && !Number.isNaN(date.getTime()) ? date : undefined;
};

/**
 * Why a listed token cannot be what CircleCI publishes these packages with: read-only, or a write
 * token whose list of packages and scopes leaves one out. Undefined when the list does not say
 * (no permissions or no scopes shown): then it might be.
 */
function cannotPublish(item: z.infer<typeof ListedTokenAnswer>, packages: string[]): string | undefined {
  const writes = (item.permissions ?? []).some((p) => p.action === "write");
  if (item.readonly === true || (item.permissions && item.permissions.length > 0 && !writes)) return "read-only";
  const scopes = item.scopes ?? [];
  if (scopes.length === 0) return undefined;
  const covers = (wanted: string) =>
    scopes.some(
      ({ name }) => name === "*" || name === wanted || (name?.startsWith("@") && !name.includes("/") && wanted.startsWith(`${name}/`)),
    );
  const missing = packages.filter((wanted) => !covers(wanted));
  return missing.length > 0 ? `does not cover ${missing.join(", ")}` : undefined;
}

/** A token as the list shows it, with what it may do. */
export interface ListedToken extends TokenSummary {
  /** "read and write, bypasses 2FA", "read-only", … */
  kind: string;
  /** A write token that skips 2FA: npm ends direct publishing with these in January 2027. */
  bypassPublisher: boolean;
}

function kindOf(item: z.infer<typeof ListedTokenAnswer>): { kind: string; bypassPublisher: boolean } {
  const writes = !item.readonly && (item.permissions ?? []).some((p) => p.action === "write");
  const stageOnly = item.publish_policy === "stage_only";
  const parts = [
    writes ? (stageOnly ? "read and write (stage only)" : "read and write") : "read-only",
    ...(item.bypass_2fa ? ["bypasses 2FA"] : []),
  ];
  return { kind: parts.join(", "), bypassPublisher: writes && !stageOnly && Boolean(item.bypass_2fa) };
}

/** The tokens API of one signed-in session: list (every page), delete by key or by value. */
export class NpmTokensApi {
  constructor(readonly session: NpmSession) {}

  async list(): Promise<ListedToken[]> {
    const tokens: ListedToken[] = [];
    const seen = new Set<string>();
    let next: string | undefined = "/-/npm/v1/tokens?perPage=100";
    while (next) {
      if (seen.has(next) || seen.size >= MAX_LIST_PAGES)
        throw new RegistryError("the npm registry's token list does not end (a page repeats): try again later, or use --via website");
      seen.add(next);
      const response = await this.session.request("GET", next, "listing tokens");
      const page = TokenPage.safeParse(response.data);
      if (response.status !== 200 || !page.success)
        throw new RegistryError(`the npm registry answered ${response.status} to the token list: try again later, or use --via website`);
      for (const item of page.data.objects) {
        const shown = REDACTED.exec(item.token);
        const [expires, created, revoked] = [dateOf(item.expiry), dateOf(item.created), dateOf(item.revoked)];
        tokens.push({
          id: item.key,
          name: inert(item.name ?? item.token),
          ...(shown ? { shownPrefix: shown[1], last4: shown[2] } : {}),
          ...(expires ? { expires } : {}),
          ...(created ? { created } : {}),
          ...(revoked ? { revoked } : {}),
          ...kindOf(item),
          cannotPublish: (packages) => cannotPublish(item, packages),
        });
      }
      // `next` may be relative; the session resolves it against the registry.
      next = page.data.urls?.next ?? undefined;
    }
    return tokens;
  }

  /** By the full value when the responder gave it (exact), else by the list's key; never the redacted form. */
  async delete(token: TokenSummary, value?: Secret): Promise<void> {
    const id = value ? value.derive((raw) => encodeURIComponent(raw)) : encodeURIComponent(token.id);
    const response = await this.session.request("DELETE", `/-/npm/v1/tokens/token/${id}`, `deleting token "${token.name}"`);
    if (response.status !== 204 && response.status !== 200)
      throw new RegistryError(`npm refused to delete token "${token.name}" (${response.status}${errorText(response)})`);
  }
}

/** Signs in by the registry's web login; the account then works through the tokens API. */
export async function signInThroughApi(ctx: NpmCtx): Promise<RegistryAccount> {
  return new NpmApiAccount(ctx, await NpmSession.open(ctx));
}

/** The signed-in account, through the registry's tokens API with the session token. */
export class NpmApiAccount implements RegistryAccount {
  private readonly tokens: NpmTokensApi;

  constructor(
    private readonly ctx: NpmCtx,
    private readonly session: NpmSession,
  ) {
    this.tokens = new NpmTokensApi(session);
  }

  async checkScope(): Promise<void> {
    const client = http(this.ctx.settings.registryUrl);
    const username = await this.ctx.credentials.username();
    for (const item of this.ctx.settings.packages.filter((p) => !isScope(p))) {
      const answer = await client.get(this.session.url(`/${encodePackage(item)}`), { signal: this.ctx.signal });
      if (answer.status === 404) throw new RegistryError(`npm has no package ${item}: check --npm-packages`);
      const maintainers = z.object({ maintainers: z.array(z.object({ name: z.string() })) }).safeParse(answer.data);
      if (answer.status === 200 && maintainers.success && !maintainers.data.maintainers.some((m) => m.name === username)) {
        throw new RegistryError(
          `npm account ${username} cannot grant ${item} (it is not a maintainer): check --npm-packages, or have an owner add the account as a maintainer`,
        );
      }
    }
  }

  /** The same session, making tokens of another rotation's settings (a fleet signs in once). */
  withSettings(settings: NpmSettings): NpmApiAccount {
    return new NpmApiAccount({ ...this.ctx, settings }, this.session);
  }

  listTokens(): Promise<TokenSummary[]> {
    return this.tokens.list();
  }

  async createToken(name: string): Promise<CreatedToken> {
    const { settings } = this.ctx;
    const body = {
      name,
      password: (await this.ctx.credentials.password()).reveal(),
      // `description` and `cidr_whitelist` are the spellings npm's own client sends and the
      // registry demonstrably accepts (docs/sites/npm.md, "Field names").
      description: "CircleCI publishing token, made by rotate",
      packages: settings.packages.filter((p) => !isScope(p)),
      scopes: settings.packages.filter(isScope),
      packages_and_scopes_permission: settings.permission === "publish" ? "read-write" : "read-write-stage-only",
      expires: settings.expiresDays,
      bypass_2fa: true,
      ...(settings.ipRanges ? { cidr_whitelist: settings.ipRanges } : {}),
    };
    const response = await this.session.request("POST", "/-/npm/v1/tokens", "creating the token", { body });
    const created = CreatedAnswer.safeParse(response.data);
    if (response.status !== 201 || !created.success)
      throw new RegistryError(`npm refused to create the token (${response.status}${errorText(response)}): nothing was created`);
    const value = new Secret(created.data.token, "npm token", { showLast4: true });
    // The expiry npm's list gives the token, read back: not the one asked for, nor only the create's answer.
    const listed = (await this.tokens.list()).find((t) => t.id === created.data.key);
    const expires = listed?.expires ?? dateOf(created.data.expiry);
    const given = expiryGiven(settings, expires, new Date());
    if (given) this.ctx.steps.note(given);
    const shown = REDACTED.exec(`${value.reveal().slice(0, 8)}...${value.last4}`);
    return {
      summary: {
        id: created.data.key,
        name,
        ...(shown ? { shownPrefix: shown[1], last4: shown[2] } : {}),
        ...(expires ? { expires } : {}),
      },
      value,
      ...(expires ? { expires } : {}),
    };
  }

  deleteToken(token: TokenSummary, value?: Secret): Promise<void> {
    return this.tokens.delete(token, value);
  }

  /** HTTP calls need no browser: clean-up works even when the window is gone, and after Ctrl-C. */
  forCleanUp(): Promise<RegistryAccount> {
    const session = this.session.forCleanUp();
    return Promise.resolve(new NpmApiAccount(session.ctx, session));
  }

  signOut(): Promise<void> {
    return this.session.signOut();
  }
}

function errorText(response: AxiosResponse): string {
  const parsed = z
    .object({ error: z.string() })
    .or(z.object({ message: z.string() }))
    .safeParse(response.data);
  if (!parsed.success) return "";
  return `: ${inert("error" in parsed.data ? parsed.data.error : parsed.data.message)}`;
}

/** "@scope" alone is a scope; "@scope/name" and "name" are packages. */
function isScope(item: string): boolean {
  return item.startsWith("@") && !item.includes("/");
}
