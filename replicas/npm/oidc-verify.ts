// Checking a CircleCI OIDC id token the way a relying party does: an RS256 JWT whose issuer is one
// the replica was told to trust, whose key is found by OpenID discovery (`<iss>/.well-known/
// openid-configuration` → `jwks_uri`), for our audience, and not expired. Node's own crypto does
// the signature; zod reads every document fetched.
import { createPublicKey, verify, type JsonWebKey } from "node:crypto";
import { z } from "zod";
import { UUID_PATTERN } from "./token-format.js";

const FETCH_TIMEOUT_MS = 5_000;

const Header = z.object({ alg: z.literal("RS256"), kid: z.string().optional() });
const Payload = z.looseObject({
  iss: z.string(),
  aud: z.union([z.string(), z.array(z.string())]),
  exp: z.number(),
  nbf: z.number().optional(),
});
const Discovery = z.looseObject({ issuer: z.string(), jwks_uri: z.url() });
const Jwks = z.object({
  keys: z.array(
    z.looseObject({
      kty: z.string(),
      kid: z.string().optional(),
      n: z.string().optional(),
      e: z.string().optional(),
      alg: z.string().optional(),
    }),
  ),
});

export type VerifiedToken = { claims: Record<string, unknown> } | { refused: string };

export class OidcIssuers {
  private readonly bases = new Set<string>();

  /** Issuers look like `<base>/org/<org-id>` (CircleCI's form, `https://oidc.circleci.com/org/<org-id>`). */
  trust(issuerBase: string): void {
    this.bases.add(issuerBase.replace(/\/+$/, ""));
  }

  trusts(issuer: string): boolean {
    return [...this.bases].some((base) => issuer.startsWith(`${base}/org/`) && UUID_PATTERN.test(issuer.slice(`${base}/org/`.length)));
  }
}

export async function verifyIdToken(jwt: string, expect: { issuers: OidcIssuers; audience: string; now: Date }): Promise<VerifiedToken> {
  const [headerPart, payloadPart, signaturePart, ...extra] = jwt.split(".");
  if (!headerPart || !payloadPart || !signaturePart || extra.length > 0) return { refused: "not a JWT" };
  const header = Header.safeParse(decodeJson(headerPart));
  const payload = Payload.safeParse(decodeJson(payloadPart));
  if (!header.success || !payload.success) return { refused: "not an RS256 JWT with iss, aud and exp" };
  const claims = payload.data;
  if (!expect.issuers.trusts(claims.iss)) return { refused: `issuer ${claims.iss} is not trusted` };

  const key = await issuerKey(claims.iss, header.data.kid);
  if (typeof key === "string") return { refused: key };
  const signed = Buffer.from(`${headerPart}.${payloadPart}`);
  if (!verify("RSA-SHA256", signed, createPublicKey({ key, format: "jwk" }), Buffer.from(signaturePart, "base64url")))
    return { refused: "bad signature" };

  const audiences = [claims.aud].flat();
  if (!audiences.includes(expect.audience)) return { refused: `audience ${audiences.join(",")} is not ${expect.audience}` };
  const nowSeconds = expect.now.getTime() / 1000;
  if (claims.exp <= nowSeconds) return { refused: "expired" };
  if (claims.nbf !== undefined && claims.nbf > nowSeconds) return { refused: "not valid yet" };
  return { claims };
}

/** The issuer's signing key by OpenID discovery, or why it cannot be had. */
async function issuerKey(issuer: string, kid: string | undefined): Promise<JsonWebKey | string> {
  const discovery = Discovery.safeParse(await fetchJson(`${issuer}/.well-known/openid-configuration`));
  if (!discovery.success || discovery.data.issuer !== issuer) return "no OpenID configuration for the issuer";
  const jwks = Jwks.safeParse(await fetchJson(discovery.data.jwks_uri));
  if (!jwks.success) return "no JWKS for the issuer";
  const rsa = jwks.data.keys.filter((k) => k.kty === "RSA" && (k.alg === undefined || k.alg === "RS256"));
  const key = kid === undefined ? (rsa.length === 1 ? rsa[0] : undefined) : rsa.find((k) => k.kid === kid);
  return key ?? "no matching key in the issuer's JWKS";
}

async function fetchJson(url: string): Promise<unknown> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    return response.ok ? await response.json() : undefined;
  } catch {
    return undefined;
  }
}

function decodeJson(part: string): unknown {
  try {
    return JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
  } catch {
    return undefined;
  }
}
