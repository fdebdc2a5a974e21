// Keys typed while rotate works and no question is open are neither echoed nor kept: a password
// typed a moment early would otherwise be shown in clear by the terminal. Colour has nothing to do
// with echo, so this holds with NO_COLOR (and in a pipe's stderr) as well (issue 21).
import { PassThrough } from "node:stream";
import { expect, test } from "@playwright/test";
import { Progress } from "../../src/rotation/progress.js";
import { keyQuiet } from "../../src/secrets/quiet-keys.js";
import { fakeIO } from "../support/fakes.js";

test("a step swallows typed keys without colours too (NO_COLOR, stderr not a terminal)", async () => {
  const quiet: boolean[] = [];
  const io = { ...fakeIO(false), color: false, quietKeys: (on: boolean) => void quiet.push(on) };
  await new Progress(io).step("Sign in to npm", async () => expect(quiet).toEqual([true]));
});

test("quieting acts on a terminal's stdin only, and gives the terminal back", () => {
  const raw: boolean[] = [];
  const terminal = Object.assign(new PassThrough(), { isTTY: true, setRawMode: (on: boolean) => void raw.push(on) });
  const quiet = keyQuiet(terminal, () => undefined);
  quiet.set(true);
  quiet.set(false);
  expect(raw).toEqual([true, false]);

  const untouched: boolean[] = [];
  const pipe = Object.assign(new PassThrough(), { setRawMode: (on: boolean) => void untouched.push(on) });
  keyQuiet(pipe, () => undefined).set(true);
  expect(untouched).toEqual([]);
});
