// An expiry for the PyPI token CircleCI gets. PyPI's token form has none, but a PyPI token is a
// macaroon, and any holder may add a first-party caveat without asking PyPI; Warehouse checks its
// `Expiration` caveat on every upload (docs/sites/pypi.md, "Expiry caveat"). So rotate appends one
// to the token the page showed, in memory, and only the restricted token ever leaves the process.
//
// Hand-written on node:crypto rather than taken from the `macaroon` package: appending one caveat
// is a walk over the V2 packets and one HMAC, while the package brings sjcl and tweetnacl (2.9 MB
// that `npm pack` would ship) for third-party caveats rotate never uses, has no types, and copies
// the key material into its own bit arrays. The tests check these bytes against that package. The
// replica verifies with code of its own (replicas/pypi/macaroon.ts), so a slip here cannot hide there.
import { createHmac } from "node:crypto";
import type { CreatedToken } from "../../src/rotation/capability.js";
import { SiteChangedError } from "../../src/errors.js";
import { Secret } from "../../src/secrets/secret.js";

const PREFIX = "pypi-";
const VERSION = 2;
// Field types of the V2 binary format (libmacaroons' spec; pymacaroons' binary_serializer.py writes the same).
const EOS = 0;
const LOCATION = 1;
const IDENTIFIER = 2;
const VERIFICATION_ID = 4;
const SIGNATURE = 6;
const SIGNATURE_BYTES = 32;
/** Warehouse's `Expiration` caveat: `[0, expires_at, not_before]`, Unix seconds (warehouse/macaroons/caveats/__init__.py). */
const EXPIRATION_TAG = 0;
/**
 * How far before now the token becomes valid. Warehouse refuses a token before `not_before`, and
 * the responder's clock may run ahead of PyPI's; the token did not exist before now anyway.
 */
const CLOCK_ALLOWANCE_S = 3600;
const DAY_S = 86_400;

/** Where the caveat list ends (its closing EOS) and the signature, or undefined when the bytes are not a V2 macaroon. */
function layout(bytes: Buffer): { caveatsEnd: number; signature: Buffer } | undefined {
  let at = 1;
  const varint = (): number | undefined => {
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const byte = bytes[at++];
      if (byte === undefined) return undefined;
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
    }
    return undefined;
  };
  /** One section's field types, in order, up to its EOS; undefined when truncated or out of order. */
  const section = (allowed: number[]): number[] | undefined => {
    const types: number[] = [];
    for (;;) {
      const type = bytes[at++];
      if (type === undefined) return undefined;
      if (type === EOS) return types;
      const last = types.at(-1) ?? 0;
      const length = varint();
      if (!allowed.includes(type) || type <= last || length === undefined || at + length > bytes.length) return undefined;
      types.push(type);
      at += length;
    }
  };
  if (bytes[0] !== VERSION) return undefined;
  if (!section([LOCATION, IDENTIFIER])?.includes(IDENTIFIER)) return undefined;
  // Caveats until an empty section.
  while (bytes[at] !== EOS) {
    if (at >= bytes.length || !section([LOCATION, IDENTIFIER, VERIFICATION_ID])?.includes(IDENTIFIER)) return undefined;
  }
  const caveatsEnd = at++;
  if (bytes[at++] !== SIGNATURE || varint() !== SIGNATURE_BYTES || at + SIGNATURE_BYTES !== bytes.length) return undefined;
  return { caveatsEnd, signature: bytes.subarray(at) };
}

function packet(type: number, data: Buffer): Buffer {
  const length: number[] = [];
  for (let rest = data.length; ; rest >>>= 7) {
    if (rest < 0x80) {
      length.push(rest);
      break;
    }
    length.push((rest & 0x7f) | 0x80);
  }
  return Buffer.concat([Buffer.of(type), Buffer.from(length), data]);
}

/** The macaroon inside a PyPI token, when the text is exactly "pypi-" and its unpadded base64url. */
function macaroonBytes(token: string): Buffer | undefined {
  if (!token.startsWith(PREFIX)) return undefined;
  const bytes = Buffer.from(token.slice(PREFIX.length), "base64url");
  return bytes.toString("base64url") === token.slice(PREFIX.length) ? bytes : undefined;
}

export interface ExpiryWindow {
  notBefore: Date;
  expiresAt: Date;
}

/** From an hour before `now` (clocks differ) to `days` days after it, in whole seconds. */
export function expiryWindow(now: Date, days: number): ExpiryWindow {
  const seconds = Math.floor(now.getTime() / 1000);
  return { notBefore: new Date((seconds - CLOCK_ALLOWANCE_S) * 1000), expiresAt: new Date((seconds + days * DAY_S) * 1000) };
}

/**
 * The token with an `Expiration` caveat appended: every byte PyPI gave stays as it was, the
 * caveat goes last, and the new signature is HMAC-SHA256 keyed by the old one over the caveat
 * (libmacaroons' first-party caveat, which pymacaroons' Verifier recomputes).
 */
export function withExpiry(token: Secret, window: ExpiryWindow): Secret {
  const bytes = macaroonBytes(token.reveal());
  const found = bytes && layout(bytes);
  if (!bytes || !found) {
    throw new SiteChangedError(
      'the token PyPI showed is not the version-2 macaroon its format says (docs/sites/pypi.md, "Token format"), so rotate cannot add the expiry: rerun without --expires-days',
    );
  }
  const unix = (date: Date) => Math.floor(date.getTime() / 1000);
  // Compact JSON, as Warehouse's own serialize() writes it: json.dumps(..., separators=(",", ":")).
  const caveat = Buffer.from(JSON.stringify([EXPIRATION_TAG, unix(window.expiresAt), unix(window.notBefore)]));
  const signature = createHmac("sha256", found.signature).update(caveat).digest();
  const restricted = Buffer.concat([
    bytes.subarray(0, found.caveatsEnd),
    packet(IDENTIFIER, caveat),
    Buffer.of(EOS, EOS),
    packet(SIGNATURE, signature),
  ]);
  return new Secret(PREFIX + restricted.toString("base64url"), token.label, { showLast4: true });
}

/** The token as CircleCI will get it: expiring `days` days from `now`. The unrestricted value goes no further. */
export function expiringToken(created: CreatedToken, days: number, now: Date): CreatedToken {
  const window = expiryWindow(now, days);
  return { summary: created.summary, value: withExpiry(created.value, window), expires: window.expiresAt };
}
