// Warehouse's failed-login limiters (`limits` moving windows, docs/sites/pypi.md, "Login rate limits"): only failures
// are hit; once a window is full every check fails until its oldest hit ages out.
export interface Limit {
  count: number;
  windowSeconds: number;
}

/** "10 per 5 minutes" for passwords (`user.login`). */
export const PASSWORD_LIMITS: Limit[] = [{ count: 10, windowSeconds: 300 }];
/** "5 per 5 minutes, 20 per hour, 50 per day" for TOTP (`2fa.user`). */
export const TWO_FACTOR_LIMITS: Limit[] = [
  { count: 5, windowSeconds: 300 },
  { count: 20, windowSeconds: 3600 },
  { count: 50, windowSeconds: 86400 },
];

export class RateLimiter {
  private readonly hits = new Map<string, number[]>();

  constructor(
    private readonly limits: Limit[],
    private readonly now: () => Date,
  ) {}

  hit(key: string): void {
    this.hits.set(key, [...this.recent(key), this.now().getTime()]);
  }

  /** Seconds until the key may try again, or undefined when it is not locked out. */
  lockedOutFor(key: string): number | undefined {
    const now = this.now().getTime();
    const recent = this.recent(key);
    let until: number | undefined;
    for (const limit of this.limits) {
      const inWindow = recent.filter((t) => now - t < limit.windowSeconds * 1000);
      const oldest = inWindow[0];
      if (oldest === undefined || inWindow.length < limit.count) continue;
      until = Math.max(until ?? 0, oldest + limit.windowSeconds * 1000);
    }
    return until === undefined ? undefined : Math.ceil((until - now) / 1000);
  }

  private recent(key: string): number[] {
    const longest = Math.max(...this.limits.map((l) => l.windowSeconds)) * 1000;
    const now = this.now().getTime();
    return (this.hits.get(key) ?? []).filter((t) => now - t < longest);
  }
}

/** Warehouse's `humanize(resets_in)` (the `humanize` package's naturaldelta), e.g. "4 minutes". */
export function humanizeSeconds(seconds: number): string {
  // (inferred) naturaldelta floors to the largest unit and says "a minute" for one of them.
  const units: [number, string][] = [
    [3600, "hour"],
    [60, "minute"],
    [1, "second"],
  ];
  for (const [size, name] of units) {
    const n = Math.floor(seconds / size);
    if (n >= 1) return n === 1 ? `${name === "hour" ? "an" : "a"} ${name}` : `${n} ${name}s`;
  }
  return "a moment";
}
