// PyPI API tokens: "pypi-" + base64url (no padding) of a pymacaroons V2 binary macaroon
// (docs/sites/pypi.md, "Token format"), signed from a root key the replica keeps per token, as
// Warehouse keeps `Macaroon.key`. Reading one back yields its identifier, the macaroon UUID that
// the delete form's `macaroon_id` wants, so a token's row can be found offline; verifying one walks
// the HMAC chain as pymacaroons' Verifier does (caveats.ts says what each caveat means).
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

const PREFIX = "pypi-";
const VERSION = 2;
// Packet field types of the V2 binary format (pymacaroons serializers/binary_serializer.py).
const EOS = 0;
const LOCATION = 1;
const IDENTIFIER = 2;
const SIGNATURE = 6;

export interface Macaroon {
  location: string;
  identifier: string;
  /** First-party caveat identifiers, e.g. `[1,["my-pkg"]]`. */
  caveats: string[];
}

/** A token read back: its caveats as the bytes they were signed over, and its signature. */
export interface ReadToken {
  location: string;
  identifier: string;
  caveats: Buffer[];
  signature: Buffer;
}

/** `Macaroon.key`: 32 random bytes per token (warehouse/macaroons/models.py, `_generate_key`). */
export function newRootKey(): Buffer {
  return randomBytes(32);
}

export function serializeToken(macaroon: Macaroon, rootKey: Buffer): string {
  const parts = [Buffer.of(VERSION), packet(LOCATION, macaroon.location), packet(IDENTIFIER, macaroon.identifier), Buffer.of(EOS)];
  for (const caveat of macaroon.caveats) parts.push(packet(IDENTIFIER, caveat), Buffer.of(EOS));
  parts.push(
    Buffer.of(EOS),
    packet(
      SIGNATURE,
      sign(
        rootKey,
        macaroon.identifier,
        macaroon.caveats.map((c) => Buffer.from(c)),
      ),
    ),
  );
  return PREFIX + Buffer.concat(parts).toString("base64url");
}

/** Parses a token the way Warehouse's `find_from_raw` must before its DB lookup; undefined if malformed. */
export function parseToken(token: string): ReadToken | undefined {
  if (!token.startsWith(PREFIX) || !/^[A-Za-z0-9_-]+$/.test(token.slice(PREFIX.length))) return undefined;
  const reader = new PacketReader(Buffer.from(token.slice(PREFIX.length), "base64url"));
  if (reader.byte() !== VERSION) return undefined;
  const header = reader.section();
  const identifier = header?.get(IDENTIFIER);
  if (!header || identifier === undefined) return undefined;
  const caveats: Buffer[] = [];
  for (let caveat = reader.section(); caveat && caveat.size > 0; caveat = reader.section()) {
    const id = caveat.get(IDENTIFIER);
    if (id === undefined) return undefined;
    caveats.push(id);
  }
  const signature = reader.packet();
  if (signature?.type !== SIGNATURE || signature.data.length !== 32 || !reader.done()) return undefined;
  return {
    location: header.get(LOCATION)?.toString("utf8") ?? "",
    identifier: identifier.toString("utf8"),
    caveats,
    signature: signature.data,
  };
}

/** The macaroon id (a UUID string on PyPI) carried by a token, or undefined if it is not a PyPI token. */
export function macaroonId(token: string): string | undefined {
  return parseToken(token)?.identifier;
}

/**
 * pymacaroons' `Verifier.verify`: the signature recomputed from the root key over the identifier
 * and each caveat in turn. A caveat `satisfied` refuses ends the walk (its
 * MacaroonUnmetCaveatException), as does one it throws on; a walk that reaches the end compares
 * signatures in constant time.
 */
export function verifyChain(token: ReadToken, rootKey: Buffer, satisfied: (caveat: Buffer) => boolean): "verified" | "unmet" | "forged" {
  let signature = chained(derivedKey(rootKey), token.identifier);
  for (const caveat of token.caveats) {
    if (!satisfied(caveat)) return "unmet";
    signature = chained(signature, caveat);
  }
  return timingSafeEqual(signature, token.signature) ? "verified" : "forged";
}

function packet(type: number, value: string | Buffer): Buffer {
  const data = typeof value === "string" ? Buffer.from(value, "utf8") : value;
  return Buffer.concat([Buffer.of(type), varint(data.length), data]);
}

function varint(value: number): Buffer {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest & 0x7f) | 0x80);
    rest >>>= 7;
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}

/** pymacaroons' `generate_derived_key`: the root key as given is first keyed into a fixed-length one. */
function derivedKey(rootKey: Buffer): Buffer {
  return chained(Buffer.from("macaroons-key-generator"), rootKey);
}

/** One link of libmacaroons' chain: HMAC-SHA256 keyed by the previous signature. */
function chained(key: Buffer, data: Buffer | string): Buffer {
  return createHmac("sha256", key).update(data).digest();
}

// Over the identifier, then over each caveat in turn.
function sign(rootKey: Buffer, identifier: string, caveats: Buffer[]): Buffer {
  return caveats.reduce((signature, caveat) => chained(signature, caveat), chained(derivedKey(rootKey), identifier));
}

class PacketReader {
  private offset = 0;
  constructor(private readonly bytes: Buffer) {}

  done(): boolean {
    return this.offset === this.bytes.length;
  }

  byte(): number | undefined {
    return this.offset < this.bytes.length ? this.bytes[this.offset++] : undefined;
  }

  /** One packet, or `{type: EOS}` for an end-of-section marker; undefined when truncated. */
  packet(): { type: number; data: Buffer } | undefined {
    const type = this.byte();
    if (type === undefined || type === EOS) return type === undefined ? undefined : { type, data: Buffer.alloc(0) };
    const length = this.varint();
    if (length === undefined || this.offset + length > this.bytes.length) return undefined;
    const data = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return { type, data };
  }

  /** The packets up to the next EOS, by field type; an empty map is the end of the caveat list. */
  section(): Map<number, Buffer> | undefined {
    const fields = new Map<number, Buffer>();
    for (let p = this.packet(); p; p = this.packet()) {
      if (p.type === EOS) return fields;
      fields.set(p.type, p.data);
    }
    return undefined;
  }

  private varint(): number | undefined {
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const b = this.byte();
      if (b === undefined) return undefined;
      value += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return value;
    }
    return undefined;
  }
}
