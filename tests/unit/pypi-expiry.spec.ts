// The expiry rotate adds to a PyPI token (flows/pypi/expiry.ts), held against an outside witness:
// js-macaroon (the `macaroon` package), a libmacaroons-compatible implementation rotate does not
// use, and pymacaroons' own published signatures. rotate's bytes must be what that library makes,
// and Warehouse's caveat must read `[0, expires_at, not_before]` (warehouse/macaroons/caveats).
import { expect, test } from "@playwright/test";
import macaroon, { type Macaroon } from "macaroon";
import { expiryWindow, withExpiry } from "../../flows/pypi/expiry.js";
import { SiteChangedError } from "../../src/errors.js";
import { Secret } from "../../src/secrets/secret.js";

// pymacaroons' tests/test_notes.md: this key, location and identifier sign to e3d9e029…, and with
// the caveat "test = caveat" to 197bac7a…; libmacaroons agrees.
const ROOT_KEY = Buffer.from("this is our super secret key; only we should know it");
const tokenOf = (m: Macaroon) => `pypi-${Buffer.from(m.exportBinary()).toString("base64url")}`;
const bytesOf = (token: string) => Buffer.from(token.slice("pypi-".length), "base64url");

/** A token shaped as PyPI makes one (location, UUID identifier, project caveats), signed by the witness. */
function pypiLikeToken(): Macaroon {
  const m = macaroon.newMacaroon({ identifier: "we used our secret key", location: "http://mybank/", rootKey: ROOT_KEY, version: 2 });
  expect(Buffer.from(m.signature).toString("hex")).toBe("e3d9e02908526c4c0039ae15114115d97fdd68bf2ba379b342aaf0f617d0552f");
  m.addFirstPartyCaveat('[1,["widget"]]');
  m.addFirstPartyCaveat('[2,["8b1c0b1e-7a3f-4c1e-9a51-2f6f3b1d9c42"]]');
  return m;
}

const WINDOW = expiryWindow(new Date("2026-12-07T10:00:00.500Z"), 30);

test("the window: an hour before now (clocks differ) to 30 days after it, whole seconds", () => {
  expect(WINDOW.notBefore.toISOString()).toBe("2026-12-07T09:00:00.000Z");
  expect(WINDOW.expiresAt.toISOString()).toBe("2027-01-06T10:00:00.000Z");
});

test("the restricted token is the one the witness makes by adding the same caveat, and verifies with the root key", () => {
  const original = pypiLikeToken();
  const restricted = withExpiry(new Secret(tokenOf(original), "PyPI token"), WINDOW).reveal();

  const caveat = `[0,${WINDOW.expiresAt.getTime() / 1000},${WINDOW.notBefore.getTime() / 1000}]`;
  expect(caveat).toBe("[0,1799229600,1796634000]");
  const byWitness = original.clone();
  byWitness.addFirstPartyCaveat(caveat);
  expect(restricted).toBe(tokenOf(byWitness));

  // Every byte PyPI gave stays: the original's caveats come through, the expiry goes last.
  const read = macaroon.importMacaroon(bytesOf(restricted));
  expect(read.caveats.map((c) => Buffer.from(c.identifier).toString())).toEqual([
    '[1,["widget"]]',
    '[2,["8b1c0b1e-7a3f-4c1e-9a51-2f6f3b1d9c42"]]',
    caveat,
  ]);
  expect(Buffer.from(read.identifier).toString()).toBe("we used our secret key");
  const seen: string[] = [];
  read.verify(ROOT_KEY, (c) => {
    seen.push(Buffer.from(c).toString());
    return null;
  });
  expect(seen).toHaveLength(3);
  // A caveat changed after signing no longer verifies.
  const tampered = Buffer.from(bytesOf(restricted).toString("latin1").replace(caveat, "[0,1899229600,1796634000]"), "latin1");
  expect(() => macaroon.importMacaroon(tampered).verify(ROOT_KEY, () => null)).toThrow(/signature mismatch|verification failed/i);
});

test("the restricted token is a new Secret: redacted, last four of its own value, and not the original", () => {
  const original = new Secret(tokenOf(pypiLikeToken()), "PyPI token", { showLast4: true });
  const restricted = withExpiry(original, WINDOW);
  expect(restricted.reveal()).not.toBe(original.reveal());
  expect(restricted.label).toBe("PyPI token");
  expect(String(restricted)).toBe(`‹redacted PyPI token …${restricted.reveal().slice(-4)}›`);
  expect(JSON.stringify({ restricted })).not.toContain(restricted.reveal());
});

test("a value that is not exactly a V2 macaroon is refused, never half-restricted", () => {
  const good = tokenOf(pypiLikeToken());
  const raw = bytesOf(good);
  const token = (bytes: Buffer) => `pypi-${bytes.toString("base64url")}`;
  const bad = [
    "npm_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    `${good}=`, // padded
    `${good}!`,
    token(Buffer.concat([raw, Buffer.of(0)])), // bytes after the signature
    token(raw.subarray(0, raw.length - 1)), // a short signature
    token(Buffer.concat([Buffer.of(1), raw.subarray(1)])), // another version
    token(raw.subarray(0, 20)),
  ];
  for (const value of bad) expect(() => withExpiry(new Secret(value, "PyPI token"), WINDOW), value).toThrow(SiteChangedError);
});
