// New account passwords: drawn from node:crypto, far longer than any site's minimum, and checked
// against the site's own rules before a single character is typed into its form.
import { randomInt } from "node:crypto";
import { Secret } from "./secret.js";

/** What a site demands of a new password (its documented rules, not its strength meter). */
export interface PasswordRules {
  /** The site's minimum; the generator never goes below MIN_LENGTH whatever the site allows. */
  minLength: number;
  maxLength: number;
  /** Account details the password must not contain (case-insensitive): username, email. */
  mustNotContain: string[];
}

/** The floor: at least 32 characters. */
export const MIN_LENGTH = 32;
const LENGTH = 40;

// Letters, digits and symbols that survive a terminal, a password manager's field and a shell
// paste unchanged: no space, quote, backslash, dollar or backtick.
const CLASSES = ["abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "0123456789", "!#%+-.:=?@^_~"];
const ALPHABET = CLASSES.join("");

/** Shorter account details would forbid random matches, not a guessable password. */
const MEANINGFUL = 3;

function draw(length: number): string {
  let out = "";
  for (let i = 0; i < length; i += 1) out += ALPHABET[randomInt(ALPHABET.length)];
  return out;
}

/** Why a candidate breaks the rules, or undefined when it keeps them all. */
function breaks(password: string, rules: PasswordRules): string | undefined {
  if (password.length < Math.max(rules.minLength, MIN_LENGTH)) return `shorter than ${Math.max(rules.minLength, MIN_LENGTH)} characters`;
  if (password.length > rules.maxLength) return `longer than ${rules.maxLength} characters`;
  if (!CLASSES.every((chars) => [...password].some((c) => chars.includes(c)))) return "missing a lower-case letter, capital, digit or symbol";
  const lower = password.toLowerCase();
  const contained = rules.mustNotContain.find((detail) => detail.length >= MEANINGFUL && lower.includes(detail.toLowerCase()));
  return contained === undefined ? undefined : "contains an account detail";
}

/**
 * A fresh password for the site. Candidates that break a rule are thrown away and drawn again,
 * so every accepted password is still uniformly random among those that keep the rules.
 */
export function generatePassword(rules: PasswordRules, label: string): Secret {
  const length = Math.max(LENGTH, rules.minLength);
  if (length > rules.maxLength) throw new Error(`the site allows at most ${rules.maxLength} characters, fewer than the ${length} rotate uses`);
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const candidate = draw(length);
    if (breaks(candidate, rules) === undefined) return new Secret(candidate, label);
  }
  throw new Error("could not draw a password that keeps the site's rules (are they contradictory?)");
}
