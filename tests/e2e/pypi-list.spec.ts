// PyPI's token list as flows/pypi/ reads it, in real Chromium against the pypi.org replica: a
// busy account's 200 tokens come back exactly as the site holds them, from the page's markup
// fetched at the inventory and from the page a delete's redirect shows, whatever the window's
// width or the page's stylesheet does to the mobile-only "Name" label inside each name cell.
import { expect, test, type Page } from "@playwright/test";
import { startPypiReplica, type PypiReplica, type PypiUser } from "rotate-replicas";
import { pypi } from "../../flows/pypi/index.js";
import { Ask } from "../../src/ask.js";
import type { BrowserSession } from "../../src/browser/launch.js";
import { credentialsFrom } from "../../src/settings/credentials.js";
import { Progress } from "../../src/rotation/progress.js";
import type { FlowContext, RegistryAccount } from "../../src/rotation/capability.js";
import { createSteps } from "../../src/rotation/steps.js";
import { fakeIO, ScriptedPrompter } from "../support/fakes.js";

const USER: PypiUser = {
  username: "busy-publisher",
  password: "correct horse battery staple",
  email: "busy@example.org",
  totpSecret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
  projects: ["widget", "widget-docs"],
};
const TOKENS = 200;

/** 200 tokens a day apart (whole seconds: the page shows no milliseconds), with names that look like markup or like the label. */
function seed(replica: PypiReplica): void {
  const start = Date.parse("2026-01-01T00:00:00Z");
  for (let i = 0; i < TOKENS; i++) {
    const description =
      i === 7 ? "Name <b>bold</b> & co" : i === 8 ? "two  spaces  inside" : `PYPI_TOKEN gh/demo-org/project-${i} 2026-01-01T00:00Z`;
    replica.issueToken(USER.username, { description, project: USER.projects[i % 2], created: new Date(start + i * 86_400_000) });
  }
}

/** The flow, signed in on this test's page, as the runbook would hold it. */
async function signedIn(page: Page, replica: PypiReplica): Promise<RegistryAccount> {
  const configured = await pypi.configure({
    flags: { pypiUrl: replica.url, pypiUploadUrl: replica.uploadUrl, pypiProject: "widget", pypiUser: USER.username },
    env: {},
    file: {},
    filePath: undefined,
  });
  const io = fakeIO(false);
  const ask = new Ask(io, new ScriptedPrompter([]));
  const browser: BrowserSession = {
    page,
    lost: new AbortController().signal,
    newPage: () => page.context().newPage(),
    explain: (error) => error,
    close: async () => undefined,
  };
  const ctx: FlowContext = {
    credentials: credentialsFrom({
      id: "pypi",
      title: "PyPI",
      username: USER.username,
      env: { ROTATE_PYPI_PASSWORD: USER.password, ROTATE_PYPI_TOTP_SECRET: USER.totpSecret },
      ask,
    }),
    steps: createSteps(new Progress(io), { headed: false, stepTimeoutMs: 10_000 }),
    signal: new AbortController().signal,
    browser,
    relaunch: () => Promise.reject(new Error("no second browser in this spec")),
    clock: () => new Date(),
  };
  return configured.flow.signIn(ctx);
}

/** What the replica holds, in the shape the flow reports it. */
function held(replica: PypiReplica) {
  return replica.tokens(USER.username).map((t) => ({ id: t.id, name: t.description, created: t.created }));
}

const layouts: Array<{ name: string; viewport: { width: number; height: number }; css: (page: Page) => Promise<unknown> }> = [
  {
    name: "a phone-width window, where pypi.org's stylesheet shows the label",
    viewport: { width: 360, height: 740 },
    // The replica hides the label at every width; pypi.org shows it on narrow screens.
    css: (page) =>
      page.addInitScript(() =>
        document.addEventListener("DOMContentLoaded", () => {
          const style = document.createElement("style");
          style.textContent = "@media (max-width: 600px) { .table__mobile-label { display: block } }";
          document.head.append(style);
        }),
      ),
  },
  {
    name: "the page without its stylesheet",
    viewport: { width: 1280, height: 800 },
    css: (page) =>
      page.addInitScript(() =>
        document.addEventListener("DOMContentLoaded", () => document.querySelectorAll("style").forEach((style) => style.remove())),
      ),
  },
];

for (const layout of layouts) {
  test.describe(layout.name, () => {
    test.use({ viewport: layout.viewport });

    test(`all ${TOKENS} tokens are read with their names, ids and dates, in the site's order`, async ({ page }) => {
      const replica = await startPypiReplica({ users: [USER] });
      try {
        seed(replica);
        await layout.css(page);
        const account = await signedIn(page, replica);
        const listed = await account.listTokens();
        expect(listed).toHaveLength(TOKENS);
        expect(listed).toEqual(held(replica));
        const doomed = listed[0];
        if (!doomed) throw new Error("the seeded list is empty");
        await account.deleteToken(doomed);
        // The label really is on screen here: what a person sees in the name cell is not the name.
        await expect(page.locator("#api-tokens tbody tr").first().locator("th")).toHaveText(/^Name\s*\S/);
        expect(await account.listTokens()).toEqual(held(replica));
      } finally {
        await replica.close();
      }
    });
  });
}

test("the inventory loads no page to read the list; after a delete, the list its redirect shows is the check", async ({ page }) => {
  const replica = await startPypiReplica({ users: [USER] });
  try {
    seed(replica);
    const loads: string[] = [];
    page.on("request", (request) => {
      if (request.isNavigationRequest()) loads.push(`${request.method()} ${new URL(request.url()).pathname}`);
    });
    const account = await signedIn(page, replica);
    loads.length = 0;
    const before = await account.listTokens();
    expect(loads, "the inventory fetches the list's markup without loading the page").toEqual([]);
    const doomed = before[3];
    if (!doomed) throw new Error("the seeded list is too short");
    await account.deleteToken(doomed);
    const after = await account.listTokens();
    expect(after).toEqual(held(replica));
    expect(after.map((t) => t.id)).toEqual(before.filter((t) => t.id !== doomed.id).map((t) => t.id));
    // One visit to the page, the delete, and the page its redirect shows; no reload to check.
    expect(loads).toEqual(["GET /manage/account/", "POST /manage/account/token/", "GET /manage/account/"]);
  } finally {
    await replica.close();
  }
});
