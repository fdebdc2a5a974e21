// The registry account's credentials for one run: from the environment when set (non-interactive
// runs, drills), else asked with a masked prompt. Never from flags or the config file. A refused
// password or code is asked again (three tries in all) when it came from a prompt. A one-time code
// that worked may be handed out again while the site keeps taking it (npm's registry does, for
// several calls while the code is valid); once refused, the next one is asked for with the reason.
// A computed code the site refused is followed by a newer one.
import type { Ask } from "../ask.js";
import type { Credentials, OtpRefusal } from "../rotation/capability.js";
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
/** Said with the next question when a code that worked is refused: it is no typo, the app's next code is needed. */
const SPENT = "that code has expired or was already used: wait for your app's next code";

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
  /** The code in use, and how often it was handed out: more than once means it had worked. */
  let inUse: { code: Secret; handedOut: number } | undefined;
  let spent = false;
  const tally = { asked: 0, waitedMs: 0 };

  const freshOtp = async (): Promise<Secret> => {
    tally.asked++;
    if (firstOtp) {
      const code = firstOtp;
      firstOtp = undefined;
      totp?.markUsed(code);
      return code;
    }
    const started = Date.now();
    try {
      if (totp) return await totp.next();
      const why = spent ? ` (${SPENT})` : "";
      return await source.ask.code(
        `${source.title} one-time code from your authenticator app${why}:`,
        `${source.title} one-time code`,
        `set ${prefix}TOTP_SECRET so rotate can compute codes`,
      );
    } finally {
      spent = false;
      tally.waitedMs += Date.now() - started;
    }
  };

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
    async otp(options = {}) {
      if (options.reuse && inUse) {
        inUse.handedOut++;
        return inUse.code;
      }
      const code = await freshOtp();
      inUse = { code, handedOut: 1 };
      return code;
    },
    otpInUse() {
      if (inUse) inUse.handedOut++;
      return inUse?.code;
    },
    passwordRefused() {
      if (password === givenPassword || !source.ask.canPrompt || passwordTries >= TRIES) return false;
      passwordTries++;
      password = undefined;
      return true;
    },
    // A code that worked and is refused now is spent: the next one is asked for with the reason. A
    // computed code refused at once is most often one a run just before used (a rerun after Ctrl-C:
    // the sites take each code once), so a newer one is tried; a wrong TOTP secret fails all three.
    otpRefused(): OtpRefusal {
      const refused = inUse;
      inUse = undefined;
      if (refused && refused.handedOut > 1) {
        spent = true;
        return "spent";
      }
      if (otpTries >= TRIES || (!totp && !source.ask.canPrompt)) return false;
      otpTries++;
      return "retry";
    },
    otpTally: () => ({ ...tally }),
  };
}
