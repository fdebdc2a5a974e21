// The one-time codes rotate computes from a TOTP secret: three per moment, oldest first, never one
// about to leave the server's window, and a wait only when all three are used.
import { expect, test } from "@playwright/test";
import * as OTPAuth from "otpauth";
import { Secret } from "../../src/secrets/secret.js";
import { TotpSource } from "../../src/secrets/totp.js";
import { Ask } from "../../src/ask.js";
import { credentialsFrom } from "../../src/settings/credentials.js";
import { fakeIO, ScriptedPrompter } from "../support/fakes.js";

const SECRET = new OTPAuth.Secret({ size: 20 }).base32;
const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(SECRET) });
const STEP_MS = 30_000;
/** The step a code belongs to, as a server would find it (window ±1 around `at`). */
const stepOf = (code: string, at: number) => {
  const delta = totp.validate({ token: code, timestamp: at, window: 1 });
  return delta === null ? null : Math.floor(at / STEP_MS) + delta;
};

function source(start: number) {
  const clock = { now: start, slept: [] as number[] };
  const codes = new TotpSource(
    new Secret(SECRET, "code"),
    "code",
    () => clock.now,
    async (ms) => {
      clock.slept.push(ms);
      clock.now += ms;
    },
  );
  return { codes, clock };
}

test("three codes at once, oldest first, then a wait for the next step", async () => {
  const start = 1_000 * STEP_MS + 10_000; // 10 s into a step: every candidate has time left
  const { codes, clock } = source(start);
  const steps = [];
  for (let i = 0; i < 4; i++) steps.push(stepOf((await codes.next()).reveal(), clock.now));
  expect(steps).toEqual([999, 1000, 1001, 1002]);
  expect(clock.slept).toHaveLength(1);
});

test("near the end of a step the oldest code is skipped: it would expire on its way to the server", async () => {
  const start = 1_000 * STEP_MS + 28_000; // 2 s left: the previous step's code dies with this one
  const { codes, clock } = source(start);
  const first = (await codes.next()).reveal();
  expect(stepOf(first, clock.now)).toBe(1000);
  // Still good a few seconds later, on the server's side of a slow page.
  expect(stepOf(first, clock.now + 4_000)).toBe(1000);
});

test("--otp with a TOTP secret: the given code counts as used for its step, so the next computed code is newer", async () => {
  const credentials = credentialsFrom({
    id: "npm",
    title: "npm",
    env: { ROTATE_NPM_TOTP_SECRET: SECRET },
    ask: new Ask(fakeIO(false), new ScriptedPrompter([])),
    firstOtp: new Secret(totp.generate(), "npm one-time code"),
  });
  const given = (await credentials.otp()).reveal();
  const computed = (await credentials.otp()).reveal();
  const now = Date.now();
  expect(stepOf(computed, now)).toBeGreaterThan(stepOf(given, now) ?? Infinity);
});

test("a given code this secret does not make counts for the current step", async () => {
  const start = 1_000 * STEP_MS + 10_000;
  const { codes, clock } = source(start);
  codes.markUsed(new Secret("000000", "code"));
  expect(stepOf((await codes.next()).reveal(), clock.now)).toBe(1001);
});
