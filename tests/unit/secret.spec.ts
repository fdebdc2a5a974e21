// The redactor: whatever path a secret takes towards output (string conversion, JSON, inspect,
// an axios error, a Playwright error), what comes out carries no secret.
import { inspect } from "node:util";
import axios, { AxiosError } from "axios";
import { expect, test } from "@playwright/test";
import express from "express";
import { listen } from "rotate-replicas";
import { readSecretByFormat } from "../../src/browser/page-secrets.js";
import { Secret, describeError, redact } from "../../src/secrets/secret.js";
import { skeleton } from "../../src/secrets/text-skeleton.js";

const fakeToken = () => `npm_${"A1b2C3d4E5".repeat(3)}${Math.random().toString(36).slice(2, 8).padEnd(6, "x")}`;

test("a Secret prints, serialises and inspects redacted", () => {
  const raw = fakeToken();
  const secret = new Secret(raw, "npm token", { showLast4: true });
  // A template literal is one of the ways a secret gets printed: it must redact too.
  // eslint-disable-next-line @typescript-eslint/restrict-template-expressions
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
  const text = [secret.reveal(), encodeURIComponent(secret.reveal()), Buffer.from(secret.reveal()).toString("base64"), basic].join(" | ");
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
      .then(
        () => undefined,
        (e: unknown) => e,
      );
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
    .then(
      () => undefined,
      (e: unknown) => e,
    );
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
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  expect((error as Error).message).toContain(password.reveal());
  expect(describeError(error)).not.toContain(password.reveal());
  expect(redact((error as Error).message)).not.toContain(password.reveal());
});

test.describe("redaction survives what a page does to an echoed secret", () => {
  const password = new Secret(`Tr0ub4dor&3-${Math.random().toString(36).slice(2, 10)}`, "npm password");
  const raw = password.reveal();
  const escape = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/'/g, "&#39;");
  const cases: Record<string, string> = {
    "HTML-escaped twice": escape(escape(raw)),
    "numeric character references": [...raw].map((c) => `&#x${c.codePointAt(0)?.toString(16)};`).join(""),
    "upper-cased": raw.toUpperCase(),
    "zero-width spaces between the characters": [...raw].join("\u200b"),
    "a non-breaking space and a soft hyphen inside": `${raw.slice(0, 5)}\u00a0${raw.slice(5, 9)}\u00ad${raw.slice(9)}`,
    "full-width letters (NFKC)": [...raw]
      .map((c) => (/[A-Za-z0-9]/.test(c) ? String.fromCodePoint((c.codePointAt(0) ?? 0) + 0xfee0) : c))
      .join(""),
    "split across lines": `${raw.slice(0, 7)}\n  ${raw.slice(7)}`,
    "truncated to its first 10 characters": `${raw.slice(0, 10)}…`,
  };
  for (const [transformation, echoed] of Object.entries(cases)) {
    test(`${transformation}`, () => {
      const shown = redact(`The password "${echoed}" is invalid.`);
      expect(shown).toBe(`The password "‹redacted npm password›${echoed.endsWith("…") ? "…" : ""}" is invalid.`);
    });
  }

  test("a start shorter than the minimum, and ordinary text, stay as they are", () => {
    const text = `port 127.0.0.1:41234, ${raw.slice(0, 4)} and NPM_TOKEN in gh/demo-org/widget ending …abcd`;
    expect(redact(text)).toBe(text);
  });

  test("a start everyone can see is not a secret: a link's origin, npm's eight-character display of a token", () => {
    const link = new Secret(`https://phish.example/account/reset-password/?token=${"k".repeat(40)}`, "reset link");
    expect(redact(`the pasted link goes to https://phish.example, not to PyPI: ${link.reveal()}`)).toBe(
      "the pasted link goes to https://phish.example, not to PyPI: ‹redacted reset link›",
    );
    const token = new Secret(`npm_${"Qw3".repeat(12)}`, "npm token", { showLast4: true });
    expect(redact(`old token ${token.reveal().slice(0, 8)}...${token.last4}`)).toBe(
      `old token ${token.reveal().slice(0, 8)}...${token.last4}`,
    );
    expect(redact(`echoed ${token.reveal().slice(0, 12)}…`)).toBe(`echoed ${token.redacted()}…`);
  });

  test("what was already cut out is not cut again", () => {
    const word = new Secret("not-the-password", "PyPI password");
    expect(redact(`${word.reveal()}: The password is invalid`)).toBe("‹redacted PyPI password›: The password is invalid");
    expect(redact(redact(word.reveal()))).toBe("‹redacted PyPI password›");
  });

  test("a token nobody registered is recognised by its shape, in an alert, escaped or upper-cased", () => {
    const npmToken = `npm_${"aB3".repeat(12)}`;
    const pypiToken = `pypi-AgEIcHlwaS5vcmcCJDk3${"x_Y-".repeat(20)}`;
    expect(redact(`Token created: ${npmToken}. Copy it now.`)).toBe("Token created: ‹redacted npm token›. Copy it now.");
    expect(redact(`<p>${npmToken.toUpperCase()}</p>`)).toBe("<p>‹redacted npm token›</p>");
    expect(redact(`token=${escape(pypiToken)}&x=1`)).toBe("token=‹redacted PyPI token›&x=1");
    // npm's own list shows first eight and last four: not a token, and not cut.
    expect(redact("npm_aB3a...aB3a")).toBe("npm_aB3a...aB3a");
  });
});

test("the skeleton of plain ASCII (the fast path) is the one the general path makes", () => {
  const samples = [
    "Usage: rotate [options] [command]\n\n  npm_AbC123 pypi-xyz\tCCIPAT_x \x1b[2K\r done\x7f",
    "",
    "  \n\n",
    `npm_${"A1b2C3d4E5".repeat(3)}abcdef  Token  ends …`.replace("…", "."),
  ];
  for (const text of samples) {
    // A non-ASCII character at the end sends the same text through the general path.
    for (const fold of [false, true]) {
      const fast = skeleton(text, { fold });
      const general = skeleton(`${text}é`, { fold });
      expect(general.text.startsWith(fast.text)).toBe(true);
      for (let from = 0; from <= fast.text.length; from++) {
        for (let to = from + 1; to <= fast.text.length; to++) expect(fast.span(from, to)).toEqual(general.span(from, to));
      }
    }
  }
});

test.describe("readSecretByFormat: the token by its format, wherever the page shows it", () => {
  const NPM = { label: "npm token", pattern: /npm_[A-Za-z0-9]{36}/, timeoutMs: 2_000 };
  const token = () => `npm_${Math.random().toString(36).slice(2, 8)}${"Zx9".repeat(10)}`;

  test("in a text node, next to the list's redacted forms", async ({ page }) => {
    const value = token();
    await page.setContent(`<table><tr><td>npm_abcd...wxyz</td></tr></table><p>Your token: <code>${value}</code></p>`);
    const secret = await readSecretByFormat(page, NPM);
    expect(secret.reveal()).toBe(value);
    expect(String(secret)).toBe(`‹redacted npm token …${value.slice(-4)}›`);
  });

  test("in a read-only field's value, shown after the page loaded", async ({ page }) => {
    const value = token();
    await page.setContent(
      `<label>New token <input readonly id="t"></label><script>setTimeout(() => document.querySelector("#t").value = ${JSON.stringify(value)}, 100)</script>`,
    );
    expect((await readSecretByFormat(page, NPM)).reveal()).toBe(value);
  });

  test("two different tokens are a finding, and the error quotes neither", async ({ page }) => {
    const [one, two] = [token(), token()];
    await page.setContent(`<code>${one}</code><input value="${two}">`);
    const error = await readSecretByFormat(page, NPM).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toBe("the page shows 2 different values shaped like a npm token; rotate takes none of them");
  });

  test("none shown: a timeout that quotes no value", async ({ page }) => {
    await page.setContent("<p>npm_tooshort</p>");
    const error = await readSecretByFormat(page, { ...NPM, timeoutMs: 300 }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toMatch(/Timeout 300ms exceeded/);
  });
});
