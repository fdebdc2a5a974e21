// CircleCI's writes, one at a time and spaced, so a fleet of rotations never becomes a burst of
// parallel writes that CircleCI turns into 429s (docs/sites/circleci.md, "Rate limits and
// retries"). CircleCI publishes no figure: its v3 guide says each endpoint has its own limit,
// given in the answers' RateLimit-Policy and RateLimit headers (the v2 guide names
// RateLimit-*/X-RateLimit-* too), "always read … rather than hard-coding assumed limits". So writes
// never overlap, and are spaced as the answers to writes say (none until one says); Retry-After on
// a 429 is honoured by the retries (http/retry.ts) while the next write waits its turn here.
// One pacer per CircleCI client, one client per run: every rotation of a fleet shares it.

export interface PacerDeps {
  now: () => number;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** A wait CircleCI asked for (no writes left until its limit resets), so the responder knows why. */
  onHold?: (waitMs: number) => void;
}

export interface PacerOptions {
  /** Start-to-start spacing of writes when CircleCI's answers say nothing stricter. */
  minIntervalMs?: number;
}

/** No figure of our own: CircleCI says to follow its headers rather than assume a limit. */
const DEFAULT_WRITE_INTERVAL_MS = 0;
/** A header cannot stall a run: spacing and holds it asks for are capped (a 429's Retry-After still applies). */
const MAX_INTERVAL_MS = 10_000;
const MAX_HOLD_MS = 120_000;

type Headers = Record<string, unknown>;

export class WritePacer {
  private queue: Promise<unknown> = Promise.resolve();
  /** When the next write may start. */
  private nextAt = 0;
  private learnedIntervalMs = 0;
  /** Milliseconds writes waited for their turn, all together. */
  pacedMs = 0;

  constructor(
    private readonly deps: PacerDeps,
    private readonly options: PacerOptions = {},
  ) {}

  /** The spacing now: the default, or what CircleCI's RateLimit-Policy asks for when stricter. */
  get intervalMs(): number {
    return Math.max(this.options.minIntervalMs ?? DEFAULT_WRITE_INTERVAL_MS, this.learnedIntervalMs);
  }

  /** Runs `write` after every earlier write has finished and its spacing has passed. */
  pace<T>(write: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const turn = this.queue.then(async () => {
      const wait = this.nextAt - this.deps.now();
      if (wait > 0) {
        this.pacedMs += wait;
        await this.deps.sleep(wait, signal);
      }
      this.nextAt = this.deps.now() + this.intervalMs;
      return write();
    });
    // A failed write does not stop the ones queued behind it.
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  /** Reads the rate-limit headers of an answer to a write. */
  observe(headers: Headers): void {
    const interval = policyIntervalMs(header(headers, "ratelimit-policy"));
    if (interval !== undefined) this.learnedIntervalMs = Math.min(interval, MAX_INTERVAL_MS);
    const hold = holdMs(headers, this.deps.now());
    if (hold === undefined || hold <= 0) return;
    const capped = Math.min(hold, MAX_HOLD_MS);
    const until = this.deps.now() + capped;
    if (until <= this.nextAt) return;
    this.nextAt = until;
    this.deps.onHold?.(capped);
  }
}

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  return typeof value === "string" && value.trim() !== "" ? value : undefined;
}

const numberIn = (text: string, pattern: RegExp): number | undefined => {
  const match = pattern.exec(text);
  return match?.[1] === undefined ? undefined : Number(match[1]);
};

/**
 * `RateLimit-Policy` in the IETF draft's forms, `100;w=60` or `"default";q=100;w=60`, several
 * policies comma-separated: the strictest gives the spacing (window / quota).
 */
export function policyIntervalMs(policy: string | undefined): number | undefined {
  if (!policy) return undefined;
  const intervals = policy.split(",").flatMap((item) => {
    const quota = numberIn(item, /(?:^|;)\s*q=(\d+)/) ?? numberIn(item, /^\s*(\d+)\s*(?:;|$)/);
    const window = numberIn(item, /;\s*w=(\d+)/);
    return quota && window ? [(window * 1000) / quota] : [];
  });
  return intervals.length > 0 ? Math.max(...intervals) : undefined;
}

/**
 * How long CircleCI asks writes to hold: none are left (remaining 0) until the reset. Read from
 * `RateLimit` (`limit=100, remaining=0, reset=12` or `"default";r=0;t=12`), `RateLimit-Remaining`
 * and `-Reset`, and `X-RateLimit-Remaining` and `-Reset`; when the families disagree the lower
 * limit applies, so the longest hold wins.
 */
export function holdMs(headers: Headers, now: number): number | undefined {
  const holds: number[] = [];
  const combined = header(headers, "ratelimit");
  if (combined) {
    const remaining = numberIn(combined, /(?:remaining=|;\s*r=)(\d+)/);
    const reset = numberIn(combined, /(?:reset=|;\s*t=)(\d+)/);
    if (remaining === 0 && reset !== undefined) holds.push(reset * 1000);
  }
  for (const prefix of ["ratelimit", "x-ratelimit"]) {
    const remaining = header(headers, `${prefix}-remaining`);
    const reset = header(headers, `${prefix}-reset`);
    if (remaining === undefined || reset === undefined || Number(remaining) !== 0 || !Number.isFinite(Number(reset))) continue;
    // Seconds to the reset, or (some X-RateLimit-Reset) the reset as a Unix time.
    const seconds = Number(reset);
    holds.push(seconds > 1e9 ? seconds * 1000 - now : seconds * 1000);
  }
  return holds.length > 0 ? Math.max(...holds) : undefined;
}
