// A clock the replicas run on and the test moves by hand, with the TOTP code for its current
// 30-second step (replicas refuse a step's code twice, so tests advance between sign-ins).
import { Secret, TOTP } from "otpauth";

export class TestClock {
  private t = Date.parse("2026-11-24T08:00:00Z");

  /** @param defaultTotpSecret whose code `code()` gives when asked for nobody in particular */
  constructor(private readonly defaultTotpSecret: string) {}

  now = () => new Date(this.t);

  advance(seconds: number): void {
    this.t += seconds * 1000;
  }

  code(totpSecret = this.defaultTotpSecret): string {
    return TOTP.generate({ secret: Secret.fromBase32(totpSecret), timestamp: this.t });
  }
}
