// The project's rotation history (src/history.ts), on a journal driven by hand: a line per
// destination as CircleCI is confirmed holding the new token (so a run that stops later still
// leaves a true record), names and last four only, and drill lines left out when read back.
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "@playwright/test";
import { History, HISTORY_FILE, historyRecorder } from "../../src/rotation/history.js";
import { Journal } from "../../src/rotation/journal.js";

const VALUE = `pypi-AgEIcHlwaS5vcmcCJ${"x".repeat(120)}abcd`;

function inProject<T>(work: (configPath: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), "rotate-history-"));
  try {
    const configPath = join(dir, "rotate.config.json");
    writeFileSync(configPath, "{}");
    return work(configPath);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("a line per destination as each is verified; a run that fails after the first still records it", () => {
  inProject((configPath) => {
    const history = History.beside(configPath);
    expect(history.path).toBe(join(configPath, "..", HISTORY_FILE));
    let now = Date.parse("2026-12-07T10:00:00Z");
    const recorder = historyRecorder(history, { by: "alice", drill: false });
    const journal = new Journal(
      "PyPI",
      "rotate pypi",
      [
        { envVar: "PYPI_TOKEN", target: "gh/acme/widget", where: "project gh/acme/widget", state: "unchanged" },
        { envVar: "PYPI_TOKEN", target: "gh/acme/widget@publishing", where: 'context "publishing"', state: "unchanged" },
      ],
      () => new Date((now += 1000)),
      recorder.listener,
    );
    const expires = new Date("2027-01-06T10:00:00Z");
    journal.advance({ step: "create-requested", name: "PYPI_TOKEN gh/acme/widget 2026-12-07T10:00Z" });
    journal.advance({
      step: "create",
      token: { id: "id-1", name: "PYPI_TOKEN gh/acme/widget 2026-12-07T10:00Z" },
      last4: VALUE.slice(-4),
      expires,
    });
    journal.advance({ step: "check-new" });
    journal.advance({ step: "push", destination: 0 });
    expect(recorder.written()).toBe(0);
    journal.advance({ step: "verify-circleci", destination: 0 });
    journal.advance({ step: "push-failed", destination: 1, why: "CircleCI answered 403" });
    journal.advance({ step: "failure", why: "CircleCI did not take the new token" });

    expect(recorder.written()).toBe(1);
    const text = readFileSync(history.path, "utf8");
    expect(text).not.toContain(VALUE.slice(0, -4));
    expect(
      text
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line)),
    ).toEqual([
      {
        at: "2026-12-07T10:00:05.000Z",
        registry: "PyPI",
        envVar: "PYPI_TOKEN",
        target: "gh/acme/widget",
        where: "project gh/acme/widget",
        tokenName: "PYPI_TOKEN gh/acme/widget 2026-12-07T10:00Z",
        last4: "abcd",
        created: "2026-12-07T10:00:02.000Z",
        expires: expires.toISOString(),
        by: "alice",
        drill: false,
      },
    ]);
    expect(history.rotations()).toHaveLength(1);
  });
});

test("read back: drill lines and damaged lines are left out", () => {
  inProject((configPath) => {
    const history = History.beside(configPath);
    const line = { at: "2026-12-07T10:00:00Z", registry: "npm", envVar: "NPM_TOKEN", target: "gh/a/b", where: "project gh/a/b" };
    const rest = {
      tokenName: "NPM_TOKEN gh/a/b 2026-12-07T10:00Z",
      last4: "wxyz",
      created: "2026-12-07T10:00:00Z",
      expires: null,
      by: "bob",
    };
    history.append({ ...line, ...rest, drill: true });
    appendFileSync(history.path, '{"at": "cut short by a merge conflict\n');
    history.append({ ...line, ...rest, drill: false });
    expect(history.rotations()).toEqual([{ ...line, ...rest, drill: false }]);
  });
});
