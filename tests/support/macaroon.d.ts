// Types for the parts of the `macaroon` package (go-macaroon/js-macaroon, libmacaroons-compatible)
// the specs use as an outside witness of the V2 binary format: rotate and its replica each have
// their own macaroon code, and this third implementation must agree with both.
declare module "macaroon" {
  export interface Macaroon {
    readonly location: string;
    readonly identifier: Uint8Array;
    readonly signature: Uint8Array;
    readonly caveats: Array<{ identifier: Uint8Array; location?: string }>;
    addFirstPartyCaveat(caveatId: Uint8Array | string): void;
    /** Throws when the signature chain or a caveat `check` refuses (check returns an error text, or null). */
    verify(rootKey: Uint8Array, check: (caveat: Uint8Array) => string | null): void;
    exportBinary(): Uint8Array;
    clone(): Macaroon;
  }
  export function newMacaroon(options: {
    identifier: string | Uint8Array;
    location?: string;
    rootKey: Uint8Array | string;
    version?: 1 | 2;
  }): Macaroon;
  export function importMacaroon(data: Uint8Array | string | object): Macaroon;
  const all: { newMacaroon: typeof newMacaroon; importMacaroon: typeof importMacaroon };
  export default all;
}
