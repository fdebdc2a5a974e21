// Every sensitive value (registry token, password, OTP code, CircleCI token) lives in a Secret.
// Printing, logging or serialising one shows a redacted form; the raw value comes out only
// through reveal(), at the few places that must send it. Every output path also runs through
// redact(), which knows all secrets created so far and the encodings they could travel in.
import { inspect } from "node:util";

/** Sensitive strings currently known to the process, each with what to print instead. */
const known = new Map<string, string>();

function register(value: string, replacement: string): void {
  if (value.length === 0) return;
  known.set(value, replacement);
}

/** The forms a secret could appear in when it leaks through an error or a request dump. */
function encodings(value: string): string[] {
  const forms = [
    value,
    encodeURIComponent(value),
    Buffer.from(value).toString("base64"),
    Buffer.from(value).toString("base64url"),
    JSON.stringify(value).slice(1, -1),
  ];
  return [...new Set(forms)];
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
    for (const form of encodings(value)) register(form, this.redacted());
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
    for (const form of encodings(derived)) register(form, `‹redacted ${this.label}›`);
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

/** Replaces every known secret (and its encodings) in text. Longest first, so a derived form wins. */
export function redact(text: string): string {
  let out = text;
  const values = [...known.keys()].sort((a, b) => b.length - a.length);
  for (const value of values) {
    if (out.includes(value)) out = out.split(value).join(known.get(value) ?? "‹redacted›");
  }
  return out;
}

/**
 * A one-line description of any thrown value, with secrets removed. Axios errors carry the
 * request's headers and body in `config`, so only their method, URL and status are used;
 * Playwright errors quote locators and filled values, so their message is redacted like any text.
 */
export function describeError(error: unknown): string {
  if (isAxiosLike(error)) {
    const method = error.config?.method?.toUpperCase() ?? "request";
    const url = error.config?.url ?? "";
    const status = error.response?.status;
    const what = status ? `answered ${status}` : `failed (${error.code ?? error.message})`;
    return redact(`${method} ${url} ${what}`);
  }
  if (error instanceof Error) {
    const firstLine = error.message.split("\n")[0] ?? error.name;
    const cause = error.cause === undefined ? "" : ` (cause: ${describeError(error.cause)})`;
    return redact(firstLine + cause);
  }
  return redact(String(error));
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
