// One-time codes as a run's credentials hand them out: a code that worked is handed out again while
// the site takes it (npm's registry does), and once refused the next one is asked for with the
// reason; a code refused at once is a typo (asked again, three tries) or, computed, one a run just
// before used (a newer one is tried; three refused mean a wrong TOTP secret). A code given with
// --otp counts as used, so a computed one never repeats it.
import { expect, test } from "@playwright/test";
import * as OTPAuth from "otpauth";
import { Ask } from "../../src/ask.js";
import { credentialsFrom } from "../../src/settings/credentials.js";
import { Secret } from "../../src/secrets/secret.js";
import { otherOnes, skipWindowChoice } from "../../src/rotation/skip-window.js";
import { fakeIO, ScriptedPrompter } from "../support/fakes.js";

const SECRET = new OTPAuth.Secret({ size: 20 }).base32;
const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(SECRET) });
const stepOf = (code: string) => {
  const delta = totp.validate({ token: code, window: 1 });
  return delta === null ? null : Math.floor(Date.now() / 30_000) + delta;
};

function typed(script: Array<[RegExp, string]>) {
  const prompter = new ScriptedPrompter(script);
  const credentials = credentialsFrom({ id: "npm", title: "npm", env: {}, ask: new Ask(fakeIO(true), prompter) });
  return { prompter, credentials };
}

test("a typed code that worked is handed out again; refused then, the next is asked for with the reason, and no try is counted", async () => {
  const { prompter, credentials } = typed([
    [/^npm one-time code from your authenticator app:$/, "111111"],
    [
      /^npm one-time code from your authenticator app \(that code has expired or was already used: wait for your app's next code\):$/,
      "222222",
    ],
    [/^npm one-time code from your authenticator app:$/, "333333"],
    [/^npm one-time code from your authenticator app:$/, "444444"],
  ]);
  expect((await credentials.otp({ reuse: true })).reveal()).toBe("111111");
  expect(credentials.otpInUse()?.reveal()).toBe("111111");
  expect((await credentials.otp({ reuse: true })).reveal()).toBe("111111");
  expect(credentials.otpRefused()).toBe("spent");
  expect(credentials.otpInUse()).toBeUndefined();
  expect((await credentials.otp({ reuse: true })).reveal()).toBe("222222");
  // Refused at its first use: a typo. Asked again, three tries in all.
  expect(credentials.otpRefused()).toBe("retry");
  expect((await credentials.otp()).reveal()).toBe("333333");
  expect(credentials.otpRefused()).toBe("retry");
  expect((await credentials.otp()).reveal()).toBe("444444");
  expect(credentials.otpRefused()).toBe(false);
  expect(prompter.done).toBe(true);
  expect(credentials.otpTally().asked).toBe(4);
});

test("without reuse every call gets a fresh code (PyPI takes each code once)", async () => {
  const { credentials } = typed([
    [/one-time code/, "111111"],
    [/one-time code/, "222222"],
  ]);
  expect((await credentials.otp()).reveal()).toBe("111111");
  expect((await credentials.otp()).reveal()).toBe("222222");
});

test("computed codes: reused until refused, then the next step's; a fresh one refused is followed by a newer one (a run just before may have used it)", async () => {
  const credentials = credentialsFrom({
    id: "npm",
    title: "npm",
    env: { ROTATE_NPM_TOTP_SECRET: SECRET },
    ask: new Ask(fakeIO(false), new ScriptedPrompter([])),
  });
  const first = (await credentials.otp({ reuse: true })).reveal();
  expect(credentials.otpInUse()?.reveal()).toBe(first);
  expect(credentials.otpRefused()).toBe("spent");
  const next = (await credentials.otp({ reuse: true })).reveal();
  expect(stepOf(next)).toBeGreaterThan(stepOf(first) ?? Infinity);
  expect(credentials.otpRefused()).toBe("retry");
  const newer = (await credentials.otp({ reuse: true })).reveal();
  expect(stepOf(newer)).toBeGreaterThan(stepOf(next) ?? Infinity);
  expect(credentials.otpTally().asked).toBe(3);
});

test("--otp with a TOTP secret: the given code is reused until refused, and the computed one after it is newer", async () => {
  const given = totp.generate();
  const credentials = credentialsFrom({
    id: "npm",
    title: "npm",
    env: { ROTATE_NPM_TOTP_SECRET: SECRET },
    ask: new Ask(fakeIO(false), new ScriptedPrompter([])),
    firstOtp: new Secret(given, "npm one-time code"),
  });
  expect((await credentials.otp({ reuse: true })).reveal()).toBe(given);
  expect(credentials.otpInUse()?.reveal()).toBe(given);
  expect(credentials.otpRefused()).toBe("spent");
  const computed = (await credentials.otp({ reuse: true })).reveal();
  expect(computed).not.toBe(given);
  expect(stepOf(computed)).toBeGreaterThan(stepOf(given) ?? Infinity);
});

test("npm's offer to skip 2FA for a while: asked once per run, only with several packages and a terminal", async () => {
  const prompter = new ScriptedPrompter([[/skip two-factor authentication for the next 5 minutes/, true]]);
  const several = skipWindowChoice(new Ask(fakeIO(true), prompter), "npm", otherOnes(2, "set up", "package"));
  expect(await several(5)).toBe(true);
  expect(await several(5)).toBe(true);
  expect(prompter.done).toBe(true);
  // One package gains nothing from it; without a terminal nobody can say yes.
  expect(await skipWindowChoice(new Ask(fakeIO(true), new ScriptedPrompter([])), "npm", otherOnes(1, "set up", "package"))(5)).toBe(false);
  expect(await skipWindowChoice(new Ask(fakeIO(false), new ScriptedPrompter([])), "npm", otherOnes(2, "set up", "package"))(5)).toBe(false);
});
