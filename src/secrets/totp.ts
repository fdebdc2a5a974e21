// One-time codes computed from a TOTP secret (drills, tests, non-interactive runs).
// Registries reject a code that was already accepted, and some reject any code older than the
// last one (docs/sites/pypi.md, "The 2FA page"; docs/sites/npm.md, "Second steps"). Servers accept
// the codes of the steps either side of now, so a run has three codes at any moment: handed out
// oldest first, each newer than the last, and only when all three are used does it wait. A code
// about to fall out of the server's window is skipped: it could expire on its way there.
import * as OTPAuth from "otpauth";
import { Secret } from "./secret.js";

const PERIOD_SECONDS = 30;
/** The least time a code handed out must stay good: typing it, a slow page, a busy machine. */
const MARGIN_MS = 5_000;

export class TotpSource {
  private readonly totp: OTPAuth.TOTP;
  private lastUsed = -Infinity;

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

  /**
   * A code the responder gave (--otp) was used for its step: the next computed code must be newer,
   * or the site refuses it as a reuse or as older than the last one. A code this secret does not
   * make (a typo, another account) counts for the current step.
   */
  markUsed(code: Secret): void {
    const step = Math.floor(this.now() / 1000 / PERIOD_SECONDS);
    const given = [step + 1, step, step - 1].find(
      (candidate) => this.totp.generate({ timestamp: candidate * PERIOD_SECONDS * 1000 }) === code.reveal(),
    );
    this.lastUsed = Math.max(this.lastUsed, given ?? step);
  }

  async next(): Promise<Secret> {
    for (;;) {
      const step = Math.floor(this.now() / 1000 / PERIOD_SECONDS);
      // The server takes a step's code until its own clock is two steps on.
      const goodFor = (candidate: number) => (candidate + 2) * PERIOD_SECONDS * 1000 - this.now();
      const free = [step - 1, step, step + 1].find((candidate) => candidate > this.lastUsed && goodFor(candidate) >= MARGIN_MS);
      if (free !== undefined) {
        this.lastUsed = free;
        return new Secret(this.totp.generate({ timestamp: free * PERIOD_SECONDS * 1000 }), this.label);
      }
      await this.sleep((step + 1) * PERIOD_SECONDS * 1000 - this.now() + 50);
    }
  }
}
