// What Warehouse's upload permission check makes of a token's caveats (docs/sites/pypi.md,
// "Expiry caveat" and "Verifying a token on upload"): each caveat is compact JSON `[tag, …]`,
// deserialized by its tag and verified against the request; the first that fails ends the
// signature walk, and its reason is what the upload's 403 says after "Invalid API Token: ".
// Follows warehouse/macaroons/caveats/__init__.py (`verify`, and each caveat's `verify`) and
// _core.py (`deserialize`); written apart from rotate's own caveat code (flows/pypi/expiry.ts).
import { verifyChain, type ReadToken } from "./macaroon.js";

/** What a caveat is verified against: the request's time, the project uploaded to, the token's user. */
export interface UploadContext {
  now: Date;
  /** The project the upload names (normalized), with its id; a project that does not exist yet has a fresh one. */
  project: { id: string; name: string };
  userId: string;
}

export type Verdict = { ok: true } | { ok: false; reason: string };

/** `CaveatError`: the caveat's JSON is not a caveat Warehouse knows (_core.py `deserialize`). */
class CaveatError extends Error {}

const isStrictInt = (value: unknown): value is number => typeof value === "number" && Number.isInteger(value);
const isStrictStr = (value: unknown): value is string => typeof value === "string";
const isStrList = (value: unknown): value is string[] => Array.isArray(value) && value.every(isStrictStr);

/** Each caveat by tag: its fields' types (pydantic's strict ones) and its check, whose failure text is Warehouse's. */
const CAVEATS: Record<
  number,
  { fields: Array<(value: unknown) => boolean>; verify(fields: unknown[], context: UploadContext): string | undefined }
> = {
  // Expiration(expires_at, not_before): `now < not_before or now >= expires_at` fails.
  0: {
    fields: [isStrictInt, isStrictInt],
    verify: ([expiresAt, notBefore], { now }) => {
      const seconds = Math.floor(now.getTime() / 1000);
      return seconds < (notBefore as number) || seconds >= (expiresAt as number) ? "token is expired" : undefined;
    },
  },
  // ProjectName(normalized_names)
  1: {
    fields: [isStrList],
    verify: ([names], { project }) =>
      (names as string[]).includes(project.name) ? undefined : `project-scoped token is not valid for project: '${project.name}'`,
  },
  // ProjectID(project_ids)
  2: {
    fields: [isStrList],
    verify: ([ids], { project }) =>
      (ids as string[]).includes(project.id) ? undefined : `project-scoped token is not valid for project: '${project.name}'`,
  },
  // RequestUser(user_id)
  3: {
    fields: [isStrictStr],
    verify: ([userId], context) => (userId === context.userId ? undefined : "current user does not match user restriction in token"),
  },
  // OIDCPublisher(oidc_publisher_id): an upload with a user's token is never an OIDC-identified request.
  4: { fields: [isStrictStr], verify: () => "OIDC scoped token used outside of an OIDC identified request" },
};

/**
 * `deserialize` then the caveat's own `verify`: the failure text, or undefined when it holds.
 * Malformed JSON throws (json.loads raises outside CaveatError); Warehouse then says "unknown error".
 */
function verifyCaveat(bytes: Buffer, context: UploadContext): string | undefined {
  const data: unknown = JSON.parse(bytes.toString("utf8"));
  try {
    // A JSON object is Warehouse's legacy caveat form, adapted when it is one of three old shapes;
    // the replica never issued those, so every object is refused as an unadaptable one is.
    if (!Array.isArray(data)) throw new CaveatError("caveat must be an array");
    if (data.length === 0) throw new CaveatError("caveat array cannot be empty");
    const [tag, ...values] = data as unknown[];
    const caveat = typeof tag === "number" ? CAVEATS[tag] : undefined;
    if (!caveat) throw new CaveatError(`caveat has unknown tag: ${JSON.stringify(tag)}`);
    // Values past the caveat's fields are ignored, as `__deserialize__` reads only its fields.
    if (values.length < caveat.fields.length) throw new CaveatError("Not enough values");
    if (!caveat.fields.every((valid, i) => valid(values[i]))) throw new CaveatError("invalid values for fields");
    return caveat.verify(values, context);
  } catch (error) {
    if (error instanceof CaveatError) return error.message;
    throw error;
  }
}

/** `caveats.verify`: the signature chain from the token's root key, each caveat checked as it is reached. */
export function verifyToken(token: ReadToken, rootKey: Buffer, context: UploadContext): Verdict {
  const errors: string[] = [];
  const refuse = (reason: string): Verdict => ({ ok: false, reason });
  let outcome: ReturnType<typeof verifyChain>;
  try {
    outcome = verifyChain(token, rootKey, (caveat) => {
      const failure = verifyCaveat(caveat, context);
      if (failure !== undefined) errors.push(failure);
      return failure === undefined;
    });
  } catch {
    return refuse(errors.length > 0 ? errors.join(", ") : "unknown error");
  }
  if (outcome === "verified") return { ok: true };
  if (errors.length > 0) return refuse(errors.join(", "));
  return refuse("signatures do not match");
}
