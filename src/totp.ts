// One-time codes computed from a TOTP secret (drills, tests, non-interactive runs).
// Registries reject a code that was already accepted (Warehouse: replay of the last code,
// reference/pypi.md §2a), so a code is never handed out twice: if this 30-second step's code
// was used, the next step's code is used instead (servers accept ±1 step), and only if that
// was used too does it wait for time to move on.
import * as OTPAuth from "otpauth";
import { Secret } from "./secret.js";

const PERIOD_SECONDS = 30;

export class TotpSource {
  private readonly totp: OTPAuth.TOTP;
  private readonly used = new Set<number>();

  constructor(
    secret: Secret,
    private readonly label: string,
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {
    this.totp = new OTPAuth.TOTP({
      secret: OTPAuth.Secret.fromBase32(secret.reveal().replace(/\s+/g, "").toUpperCase()),
      algorithm: "SHA1",
      digits: 6,
      period: PERIOD_SECONDS,
    });
  }

  async next(): Promise<Secret> {
    for (;;) {
      const step = Math.floor(this.now() / 1000 / PERIOD_SECONDS);
      const free = [step, step + 1].find((candidate) => !this.used.has(candidate));
      if (free !== undefined) {
        this.used.add(free);
        return new Secret(this.totp.generate({ timestamp: free * PERIOD_SECONDS * 1000 }), this.label);
      }
      await this.sleep((step + 1) * PERIOD_SECONDS * 1000 - this.now() + 50);
    }
  }
}
