// Every sensitive value (registry token, password, OTP code, CircleCI token) lives in a Secret.
// Printing, logging or serialising one shows a redacted form; the raw value comes out only
// through reveal(), at the few places that must send it. Every output path also runs through
// redact(), which knows all secrets created so far and the encodings they could travel in,
// recognises them after a page transformed them, and treats anything shaped like a registry
// token as a secret even before rotate has read it.
import { inspect } from "node:util";
import { inertLine } from "./inert.js";
import { skeleton } from "./text-skeleton.js";

/** Sensitive strings currently known to the process (in every encoding), each with what to print instead. */
const known = new Map<string, string>();
/**
 * The raw values alone, by their folded skeleton, for matching transformed and truncated
 * echoes: what to print instead, and how long a start of one must be to count (undefined:
 * only the whole value counts).
 */
const knownSkeletons = new Map<string, { replacement: string; fragmentFrom: number | undefined }>();

function register(value: string, replacement: string, options: { transformed: boolean }): void {
  if (value.length === 0) return;
  for (const form of encodings(value)) known.set(form, replacement);
  if (!options.transformed) return;
  const folded = skeleton(value, { fold: true }).text;
  if (folded.length > 0) knownSkeletons.set(folded, { replacement, fragmentFrom: fragmentFrom(folded) });
}

/**
 * The forms a secret could appear in when it leaks through an error or a request dump, or when a
 * hostile page encodes it on its way to an origin the browser guard lets through (docs/design.md,
 * "Asset origins"): the usual encodings, hex, and all of them reversed. Reversal counts only for
 * values long enough not to turn up by chance (a six-digit code reversed is just a number).
 */
function encodings(value: string): string[] {
  const of = (text: string) => [
    text,
    encodeURIComponent(text),
    // A submitted form: spaces become "+", and !'()* are escaped too.
    new URLSearchParams({ v: text }).toString().slice(2),
    Buffer.from(text).toString("base64"),
    Buffer.from(text).toString("base64url"),
    Buffer.from(text).toString("hex"),
    Buffer.from(text).toString("hex").toUpperCase(),
    JSON.stringify(text).slice(1, -1),
  ];
  const reversed = [...value].reverse().join("");
  return [...new Set([...of(value), ...(value.length >= FRAGMENTS_FROM ? of(reversed) : [])])];
}

/**
 * Registry tokens have formats of their own, and a page may show one (an alert saying "Token
 * created: …", a hostile script sending it off) before rotate has read it into a Secret.
 * npm: "npm_" + 36 base62 characters (docs/sites/npm.md, "Token format"). PyPI: "pypi-" +
 * base64url of a version-2 macaroon, whose first byte (2) always renders as "Ag"
 * (docs/sites/pypi.md, "Token format"); 16 more characters keep short look-alikes out.
 */
const TOKEN_SHAPES: Array<{ pattern: RegExp; replacement: string }> = [
  { pattern: /(?<![A-Za-z0-9])npm_[A-Za-z0-9]{36}/gi, replacement: "‹redacted npm token›" },
  { pattern: /(?<![A-Za-z0-9_-])pypi-Ag[A-Za-z0-9_-]{16,}/g, replacement: "‹redacted PyPI token›" },
];

/**
 * A truncated echo keeps the start of a secret; how much of it must show before it is cut out.
 * Shorter secrets (OTP codes, at 6 to 8 digits) only count whole: a fragment of those collides
 * with ports and dates.
 */
const FRAGMENTS_FROM = 8;

/** Starts every secret of a kind shares, so showing them reveals nothing (folded, as matched). */
const PUBLIC_HEADS = /^(npm_|pypi-|ccipat_)/;
/** A link (a password reset link): its origin and path are public, only the whole counts. */
const URL_LIKE = /^[a-z][a-z0-9+.-]*:\/\//;

/**
 * Eight characters past any public head, or fewer when the secret is so short that eight
 * would leave under four unknown. A start that long narrows any secret rotate handles to one
 * still out of reach (a 40-character token keeps 28 unknown, a 12-character password 4 or
 * more, with the sites' rate limits and second factor in front), while shorter runs (five
 * characters and less) occur by chance in ordinary output — port numbers, dates, words — and
 * would shred the messages the responder needs. npm's own token list shows a token's first
 * eight characters ("npm_" and four more): below this for every npm token.
 */
function fragmentFrom(folded: string): number | undefined {
  if (URL_LIKE.test(folded)) return undefined;
  const head = PUBLIC_HEADS.exec(folded)?.[0].length ?? 0;
  const rest = folded.length - head;
  if (rest < FRAGMENTS_FROM) return undefined;
  return head + Math.max(5, Math.min(8, rest - 4));
}

export class Secret {
  readonly #value: string;
  readonly label: string;
  readonly #showLast4: boolean;

  /**
   * @param label what the value is ("PyPI token", "CircleCI token", "npm password")
   * @param options.showLast4 print the last four characters in the redacted form; only for
   *   tokens, whose last four CircleCI shows anyway. Never for passwords or codes.
   */
  constructor(value: string, label: string, options: { showLast4?: boolean } = {}) {
    this.#value = value;
    this.label = label;
    this.#showLast4 = options.showLast4 ?? false;
    register(value, this.redacted(), { transformed: true });
  }

  /** The raw value. Call only where it must be sent: a form field, an HTTP header or body. */
  reveal(): string {
    return this.#value;
  }

  get last4(): string {
    return this.#value.slice(-4);
  }

  /**
   * Builds a string that carries the secret in another form (a Basic auth header, say) and
   * registers it, so the derived form is redacted too.
   */
  derive(build: (raw: string) => string): string {
    const derived = build(this.#value);
    // Exact forms only: a header or a Basic value is not what a page would echo back.
    register(derived, `‹redacted ${this.label}›`, { transformed: false });
    return derived;
  }

  redacted(): string {
    return this.#showLast4 ? `‹redacted ${this.label} …${this.last4}›` : `‹redacted ${this.label}›`;
  }

  toString(): string {
    return this.redacted();
  }

  toJSON(): string {
    return this.redacted();
  }

  [inspect.custom](): string {
    return this.redacted();
  }
}

interface Cut {
  start: number;
  end: number;
  replacement: string;
}

/** Replaces the cuts (original positions) in text; overlapping cuts merge under the first's label. */
function applyCuts(text: string, cuts: Cut[]): string {
  if (cuts.length === 0) return text;
  const sorted = [...cuts].sort((a, b) => a.start - b.start || b.end - a.end);
  let out = "";
  let at = 0;
  for (const cut of sorted) {
    if (cut.end <= at) continue;
    if (cut.start >= at) out += text.slice(at, cut.start) + cut.replacement;
    at = cut.end;
  }
  return out + text.slice(at);
}

/** Known secrets after the page transformed them: whole, or a start of one long enough to matter. */
function transformedCuts(text: string): Cut[] {
  if (knownSkeletons.size === 0) return [];
  const folded = skeleton(text, { fold: true });
  const haystack = folded.text;
  const cuts: Cut[] = [];
  for (const [secret, { replacement, fragmentFrom: min = secret.length }] of knownSkeletons) {
    const head = secret.slice(0, min);
    for (let at = haystack.indexOf(head); at >= 0; at = haystack.indexOf(head, at + 1)) {
      let length = min;
      while (length < secret.length && haystack[at + length] === secret[length]) length++;
      const [start, end] = folded.span(at, at + length);
      cuts.push({ start, end, replacement });
    }
  }
  return cuts;
}

/** Anything shaped like a registry token, also when escaped or with invisible characters inside. */
function tokenShapedCuts(text: string): Cut[] {
  const plain = skeleton(text, { fold: false });
  return TOKEN_SHAPES.flatMap(({ pattern, replacement }) =>
    [...plain.text.matchAll(pattern)].map((match) => {
      const [start, end] = plain.span(match.index, match.index + match[0].length);
      return { start, end, replacement };
    }),
  );
}

const MARKER = /‹redacted[^›]*›/g;

/** Replaces every known secret (and its encodings and transformations), and anything shaped like a token. */
export function redact(text: string): string {
  let out = text;
  // Longest first, so a derived form wins over the secret it contains.
  const values = [...known.keys()].sort((a, b) => b.length - a.length);
  for (const value of values) {
    if (out.includes(value)) out = out.split(value).join(known.get(value) ?? "‹redacted›");
  }
  // What was already cut out stays as it is: its label may spell a word a secret contains.
  const markers = [...out.matchAll(MARKER)].map((m) => [m.index, m.index + m[0].length] as const);
  const cuts = [...transformedCuts(out), ...tokenShapedCuts(out)].filter(
    (cut) => !markers.some(([start, end]) => cut.start < end && start < cut.end),
  );
  return applyCuts(out, cuts);
}

/** Whether text carries a secret in any form redact() would cut out. */
export function containsSecret(text: string): boolean {
  return redact(text) !== text;
}

/**
 * A one-line description of any thrown value, with secrets removed and made inert (an error
 * may quote a page or a server). Axios errors carry the request's headers and body in
 * `config`, so only their method, URL and status are used; Playwright errors quote locators
 * and filled values, so their message is redacted like any text.
 */
export function describeError(error: unknown): string {
  if (isAxiosLike(error)) {
    const method = error.config?.method?.toUpperCase() ?? "request";
    const url = error.config?.url ?? "";
    const status = error.response?.status;
    const what = status ? `answered ${status}` : `failed (${error.code ?? error.message})`;
    return redact(inertLine(`${method} ${url} ${what}`));
  }
  if (error instanceof Error) {
    const firstLine = error.message.split("\n")[0] ?? error.name;
    const cause = error.cause === undefined ? "" : ` (cause: ${describeError(error.cause)})`;
    return redact(inertLine(firstLine) + cause);
  }
  return redact(inertLine(String(error)));
}

interface AxiosLike {
  isAxiosError: true;
  message: string;
  code?: string;
  config?: { method?: string; url?: string };
  response?: { status?: number };
}

function isAxiosLike(error: unknown): error is AxiosLike {
  return typeof error === "object" && error !== null && (error as { isAxiosError?: unknown }).isAxiosError === true;
}
