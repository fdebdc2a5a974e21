// The registry account's credentials for one run: from the environment when set (non-interactive
// runs, drills), else asked with a masked prompt. Never from flags or the config file. A refused
// password or code is asked again (three tries in all) when it came from a prompt; a computed code
// the site refused is followed by a newer one.
import type { Ask } from "../ask.js";
import type { Credentials } from "../rotation/capability.js";
import { Secret } from "../secrets/secret.js";
import { TotpSource } from "../secrets/totp.js";

export interface CredentialSource {
  /** Registry id, upper-cased into env names: ROTATE_PYPI_PASSWORD. */
  id: string;
  title: string;
  username?: string;
  env: NodeJS.ProcessEnv;
  ask: Ask;
  /** A code given once on the command line (--otp): used for the first challenge only. */
  firstOtp?: Secret;
  /** The password piped in on stdin (--password-stdin), ahead of the environment. */
  password?: Secret;
}

const TRIES = 3;

export function credentialsFrom(source: CredentialSource): Credentials {
  const prefix = `ROTATE_${source.id.toUpperCase()}_`;
  const fromEnv = (name: string, label: string) => {
    const value = source.env[prefix + name];
    return value ? new Secret(value, label) : undefined;
  };
  const totpSecret = fromEnv("TOTP_SECRET", `${source.title} TOTP secret`);
  const totp = totpSecret ? new TotpSource(totpSecret, `${source.title} one-time code`) : undefined;
  const givenPassword = source.password ?? fromEnv("PASSWORD", `${source.title} password`);
  let password = givenPassword;
  let username = source.username ?? source.env[`${prefix}USERNAME`];
  let firstOtp = source.firstOtp;
  let passwordTries = 1;
  let otpTries = 1;

  return {
    async username() {
      username ??= await source.ask.text(`${source.title} username:`, `pass --${source.id}-user or set ${prefix}USERNAME`);
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
      if (firstOtp) {
        const code = firstOtp;
        firstOtp = undefined;
        return code;
      }
      if (totp) return totp.next();
      return source.ask.code(
        `${source.title} one-time code from your authenticator app:`,
        `${source.title} one-time code`,
        `set ${prefix}TOTP_SECRET so rotate can compute codes`,
      );
    },
    passwordRefused() {
      if (password === givenPassword || !source.ask.canPrompt || passwordTries >= TRIES) return false;
      passwordTries++;
      password = undefined;
      return true;
    },
    // A computed code the site refused is most often one a run just before used (a rerun after
    // Ctrl-C: the sites take each code once), so a newer one is tried; a wrong TOTP secret fails all three.
    otpRefused() {
      if (otpTries >= TRIES || (!totp && !source.ask.canPrompt)) return false;
      otpTries++;
      return true;
    },
  };
}
