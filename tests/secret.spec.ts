// The redactor: whatever path a secret takes towards output (string conversion, JSON, inspect,
// an axios error, a Playwright error), what comes out carries no secret.
import { inspect } from "node:util";
import axios, { AxiosError } from "axios";
import { expect, test } from "@playwright/test";
import express from "express";
import { listen } from "rotate-replicas";
import { Secret, describeError, redact } from "../src/secret.js";

const fakeToken = () => `npm_${"A1b2C3d4E5".repeat(3)}${Math.random().toString(36).slice(2, 8).padEnd(6, "x")}`;

test("a Secret prints, serialises and inspects redacted", () => {
  const raw = fakeToken();
  const secret = new Secret(raw, "npm token", { showLast4: true });
  for (const shown of [String(secret), `${secret}`, JSON.stringify({ secret }), inspect({ nested: { secret } })]) {
    expect(shown).not.toContain(raw);
    expect(shown).toContain(`…${raw.slice(-4)}`);
  }
  expect(secret.reveal()).toBe(raw);
});

test("a password's redacted form does not even show its last four", () => {
  const secret = new Secret("correct horse battery staple", "PyPI password");
  expect(String(secret)).toBe("‹redacted PyPI password›");
});

test("redact() removes a secret in its raw, URL-encoded, base64 and derived forms", () => {
  const secret = new Secret(`pypi-AgEI${"x/y+z=".repeat(4)}`, "PyPI token", { showLast4: true });
  const basic = secret.derive((raw) => `Basic ${Buffer.from(`__token__:${raw}`).toString("base64")}`);
  const text = [
    secret.reveal(),
    encodeURIComponent(secret.reveal()),
    Buffer.from(secret.reveal()).toString("base64"),
    basic,
  ].join(" | ");
  const cleaned = redact(text);
  expect(cleaned).not.toContain(secret.reveal());
  expect(cleaned).not.toContain(encodeURIComponent(secret.reveal()));
  expect(cleaned).not.toContain(Buffer.from(secret.reveal()).toString("base64"));
  expect(cleaned).not.toContain(basic.slice("Basic ".length));
});

test("an axios error carrying the token in its headers and body describes itself without it", async () => {
  const app = express();
  app.use(express.json());
  // The server echoes the body back, as some APIs do in their error answers.
  app.post("/envvar", (req, res) => void res.status(500).json({ message: "boom", echo: req.body }));
  const server = await listen(app);
  const circleToken = new Secret(`CCIPAT_${"a".repeat(22)}_${"0123456789abcdef0123456789abcdef01234567"}`, "CircleCI token");
  const value = new Secret(fakeToken(), "npm token", { showLast4: true });
  try {
    const error = await axios
      .post(`${server.url}/envvar`, { name: "NPM_TOKEN", value: value.reveal() }, { headers: { "Circle-Token": circleToken.reveal() } })
      .then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(AxiosError);
    // The raw error really does carry both secrets, so this test can fail.
    expect(inspect(error, { depth: 5 })).toContain(circleToken.reveal());
    expect(JSON.stringify((error as AxiosError).response?.data)).toContain(value.reveal());

    const described = describeError(error);
    expect(described).toContain("POST");
    expect(described).toContain("500");
    expect(described).not.toContain(circleToken.reveal());
    expect(described).not.toContain(value.reveal());
    expect(redact(inspect(error, { depth: 5 }))).not.toContain(circleToken.reveal());
    expect(redact(inspect(error, { depth: 5 }))).not.toContain(value.reveal());
  } finally {
    await server.close();
  }
});

test("a Playwright error that quotes a secret in its first line describes itself without it", async ({ page }) => {
  const password = new Secret(`hunter2-${Math.random().toString(36).slice(2)}`, "npm password");
  // Two matches make a strict-mode violation, whose first line quotes the locator (and so the secret).
  await page.setContent(`<p>${password.reveal()}</p><p>${password.reveal()}</p>`);
  const error = await page
    .getByText(password.reveal())
    .click({ timeout: 500 })
    .then(() => undefined, (e: unknown) => e);
  expect((error as Error).message.split("\n")[0]).toContain(password.reveal());
  expect(describeError(error)).not.toContain(password.reveal());
  expect(describeError(new Error("wrapped", { cause: error }))).not.toContain(password.reveal());
});

test("a Playwright timeout whose call log quotes a secret describes itself without it", async ({ page }) => {
  const password = new Secret(`hunter2-${Math.random().toString(36).slice(2)}`, "npm password");
  await page.setContent("<p>nothing to click</p>");
  const error = await page
    .getByLabel(password.reveal())
    .click({ timeout: 200 })
    .then(() => undefined, (e: unknown) => e);
  expect((error as Error).message).toContain(password.reveal());
  expect(describeError(error)).not.toContain(password.reveal());
  expect(redact((error as Error).message)).not.toContain(password.reveal());
});
