// npm's token format (docs/sites/npm.md, "Token format and redaction"): "npm_" + 36 base62 characters whose last six are a
// CRC32 checksum in base62, and the redacted form the lists show (docs/sites/npm.md, "Token format and redaction").
import { randomInt } from "node:crypto";
import CRC32 from "crc-32";

// The alphabet's order is not published; digits, upper, lower is the common base62 order [I].
const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const ENTROPY_LENGTH = 30;
const CHECKSUM_LENGTH = 6;

function base62(value: number): string {
  let out = "";
  do {
    out = BASE62.charAt(value % 62) + out;
    value = Math.floor(value / 62);
  } while (value > 0);
  return out;
}

export function newTokenValue(): string {
  const entropy = Array.from({ length: ENTROPY_LENGTH }, () => BASE62.charAt(randomInt(62))).join("");
  return `npm_${entropy}${base62(CRC32.str(entropy) >>> 0).padStart(CHECKSUM_LENGTH, "0")}`;
}

/** A whole token value (never the redacted form). */
export const TOKEN_PATTERN = /^npm_[A-Za-z0-9]{36}$/;
/** A token's key, a trust configuration's id, a web login's id: UUIDs. */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** "npm_aBcD...7890": the first 8 characters with the prefix, then the last 4 (docs/sites/npm.md, "Token format and redaction"). */
export function redact(token: string): string {
  return `${token.slice(0, 8)}...${token.slice(-4)}`;
}
