// New account passwords a human can copy: drawn from node:crypto, in groups of five joined by
// dashes, from letters and digits with no look-alikes (0/O/o, 1/l/I) and no shell-hostile
// punctuation, and checked against the site's own rules before a character is typed.
//
// Strength: 45 random characters from 56 symbols is 45 × log2(56) ≈ 261 bits, more than the 249
// bits of the 40 characters from 75 symbols it replaces. The dashes sit at fixed places and add none.
import { randomInt } from "node:crypto";
import { Secret } from "../secrets/secret.js";

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
const GROUPS = 9;
const GROUP_SIZE = 5;
const SEPARATOR = "-";

// No 0 O o, 1 l I: a person reading the password aloud or retyping it cannot confuse them.
const LOWER = "abcdefghijkmnpqrstuvwxyz";
const UPPER = "ABCDEFGHJKLMNPQRSTUVWXYZ";
const DIGITS = "23456789";
const ALPHABET = LOWER + UPPER + DIGITS;

/** Shorter account details would forbid random matches, not a guessable password. */
const MEANINGFUL = 3;

/** Random bits in a password of this shape: what the spec states and checks. */
export const PASSWORD_BITS = GROUPS * GROUP_SIZE * Math.log2(ALPHABET.length);

function draw(groups: number): string {
  return Array.from({ length: groups }, () => Array.from({ length: GROUP_SIZE }, () => ALPHABET[randomInt(ALPHABET.length)]).join("")).join(
    SEPARATOR,
  );
}

/** Why a candidate breaks the rules, or undefined when it keeps them all. */
function breaks(password: string, rules: PasswordRules): string | undefined {
  if (password.length < Math.max(rules.minLength, MIN_LENGTH)) return `shorter than ${Math.max(rules.minLength, MIN_LENGTH)} characters`;
  if (password.length > rules.maxLength) return `longer than ${rules.maxLength} characters`;
  // Sites that ask for every kind of character get them: the dashes are the symbol.
  if (![LOWER, UPPER, DIGITS].every((chars) => [...password].some((c) => chars.includes(c))))
    return "missing a lower-case letter, capital or digit";
  const lower = password.toLowerCase();
  const contained = rules.mustNotContain.find((detail) => detail.length >= MEANINGFUL && lower.includes(detail.toLowerCase()));
  return contained === undefined ? undefined : "contains an account detail";
}

/**
 * A fresh password for the site. Candidates that break a rule are thrown away and drawn again,
 * so every accepted password is still uniformly random among those that keep the rules.
 */
export function generatePassword(rules: PasswordRules, label: string): Secret {
  // More groups when a site's minimum asks for more; never fewer than GROUPS.
  const groups = Math.max(GROUPS, Math.ceil((rules.minLength + 1) / (GROUP_SIZE + 1)));
  const length = groups * (GROUP_SIZE + 1) - 1;
  if (length > rules.maxLength)
    throw new Error(`the site allows at most ${rules.maxLength} characters, fewer than the ${length} rotate uses`);
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const candidate = draw(groups);
    if (breaks(candidate, rules) === undefined) return new Secret(candidate, label);
  }
  throw new Error("could not draw a password that keeps the site's rules (are they contradictory?)");
}
