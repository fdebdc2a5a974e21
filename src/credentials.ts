// The registry account's credentials for one run: from the environment when set (non-interactive
// runs, drills), else asked with a masked prompt. Never from flags or the config file.
import type { Ask } from "./ask.js";
import type { Credentials } from "./flow.js";
import { Secret } from "./secret.js";
import { TotpSource } from "./totp.js";

export interface CredentialSource {
  /** Registry id, upper-cased into env names: ROTATE_PYPI_PASSWORD. */
  id: string;
  title: string;
  username?: string;
  env: NodeJS.ProcessEnv;
  ask: Ask;
}

export function credentialsFrom(source: CredentialSource): Credentials {
  const prefix = `ROTATE_${source.id.toUpperCase()}_`;
  const fromEnv = (name: string, label: string) => {
    const value = source.env[prefix + name];
    return value ? new Secret(value, label) : undefined;
  };
  const totpSecret = fromEnv("TOTP_SECRET", `${source.title} TOTP secret`);
  const totp = totpSecret ? new TotpSource(totpSecret, `${source.title} one-time code`) : undefined;
  let password: Secret | undefined = fromEnv("PASSWORD", `${source.title} password`);
  let username = source.username ?? source.env[`${prefix}USERNAME`];

  return {
    async username() {
      username ??= await source.ask.text(
        `${source.title} username:`,
        `pass --${source.id}-user or set ${prefix}USERNAME`,
      );
      return username;
    },
    async password() {
      password ??= await source.ask.secret(
        `${source.title} password:`,
        `${source.title} password`,
        `set ${prefix}PASSWORD in the environment`,
      );
      return password;
    },
    async otp() {
      if (totp) return totp.next();
      return source.ask.secret(
        `${source.title} one-time code from your authenticator app:`,
        `${source.title} one-time code`,
        `set ${prefix}TOTP_SECRET so rotate can compute codes`,
      );
    },
  };
}
