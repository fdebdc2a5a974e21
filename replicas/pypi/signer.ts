// Warehouse's TokenService: itsdangerous URLSafeTimedSerializer values, one salt per purpose
// ("two_factor", "remember_device", "confirm_login"), each checked against a max age
// (docs/sites/pypi.md, "Two-factor page (TOTP)"). Ours is HMAC-SHA256 over JSON with a per-replica random key.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

export type Unsigned = { status: "valid"; payload: unknown; issuedAt: Date } | { status: "expired" } | { status: "invalid" };

export class TimedSigner {
  private readonly secret = randomBytes(32);

  constructor(private readonly now: () => Date) {}

  sign(salt: string, payload: unknown): string {
    const body = `${Buffer.from(JSON.stringify(payload)).toString("base64url")}.${this.now().getTime().toString(36)}`;
    return `${body}.${this.mac(salt, body).toString("base64url")}`;
  }

  verify(salt: string, token: string, maxAgeSeconds: number): Unsigned {
    const cut = token.lastIndexOf(".");
    const body = token.slice(0, cut);
    const [encoded, stamp] = body.split(".");
    const signature = Buffer.from(token.slice(cut + 1), "base64url");
    const expected = this.mac(salt, body);
    if (cut < 0 || !encoded || !stamp || signature.length !== expected.length || !timingSafeEqual(signature, expected)) {
      return { status: "invalid" };
    }
    const issuedAt = new Date(parseInt(stamp, 36));
    if (this.now().getTime() - issuedAt.getTime() > maxAgeSeconds * 1000) return { status: "expired" };
    try {
      return { status: "valid", payload: JSON.parse(Buffer.from(encoded, "base64url").toString("utf8")), issuedAt };
    } catch {
      return { status: "invalid" };
    }
  }

  private mac(salt: string, body: string): Buffer {
    const key = createHmac("sha256", this.secret).update(salt).digest();
    return createHmac("sha256", key).update(body).digest();
  }
}
