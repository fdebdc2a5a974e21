// The floor on the sites' pages: what a person who knows pypi.org (or npmjs.com) would script
// with Playwright and nothing else, on the page rotate's isolated browser opens. Each table is
// read in one evaluation; no page is loaded that the previous step already shows.
import type { Page } from "playwright";
import { codes, namePrefix, pushToCircleci, tokenName, type FloorJob, type Marks } from "./floor-job.js";

const at = (job: FloorJob, path: string) => new URL(path, job.websiteUrl).toString();

/** The upload endpoint's verdict on a token: 400 = it exists, 403 = it does not. */
export async function uploadProbe(job: FloorJob, token: string): Promise<number> {
  const response = await fetch(job.apiUrl, {
    method: "POST",
    headers: {
      Authorization: `Basic ${Buffer.from(`__token__:${token}`).toString("base64")}`,
      "Content-Type": "application/x-www-form-urlencoded",
    },
    body: new URLSearchParams({ ":action": "file_upload", protocol_version: "1" }).toString(),
  });
  return response.status;
}

/** pypi.org's sign-in with a one-time code, up to the account page and its token table (ids and names, read in one evaluation). */
export async function pypiSignIn(page: Page, job: FloorJob, code: () => Promise<string>): Promise<Array<{ id: string; name: string }>> {
  await page.goto(at(job, "/manage/account/"));
  await page.getByLabel(/^Username/).fill(job.username);
  await page
    .locator("#login-form")
    .getByLabel(/^Password/)
    .fill(job.password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByLabel(/Enter authentication code/).fill(await code());
  await page.locator("#totp-auth-form").getByRole("button", { name: "Verify" }).click();
  await page.getByRole("heading", { name: "Account settings" }).waitFor();
  return page.locator("#api-tokens tbody tr").evaluateAll((rows) =>
    rows.map((row) => {
      const cell = row.querySelector('th[scope="row"]')?.cloneNode(true) as Element | undefined;
      cell?.querySelectorAll(".table__mobile-label").forEach((label) => label.remove());
      return { id: row.querySelector('input[name="macaroon_id"]')?.getAttribute("value") ?? "", name: cell?.textContent?.trim() ?? "" };
    }),
  );
}

/** The token form: a project-scoped token, its value read from the page that shows it once. */
export async function pypiCreate(page: Page, job: FloorJob, name: string, project: string): Promise<string> {
  await page.goto(at(job, "/manage/account/token/"));
  await page.getByLabel("Token name").fill(name);
  await page.getByLabel("Scope").selectOption(`scope:project:${project}`);
  await page.getByRole("button", { name: "Create token" }).click();
  return (
    await page
      .locator("#provisioned-key code")
      .filter({ hasText: /^\s*pypi-[\w-]{20,}\s*$/ })
      .innerText()
  ).trim();
}

/** A token's row on the account page: its remove modal, the password, the flash that says it is gone. */
export async function pypiDelete(page: Page, job: FloorJob, id: string): Promise<void> {
  await page.goto(at(job, "/manage/account/"));
  const row = page.locator("#api-tokens tbody tr").filter({ has: page.locator(`input[name="macaroon_id"][value="${id}"]`) });
  await row.getByRole("button", { name: /options/i }).click();
  await row.getByRole("link", { name: "Remove token" }).click();
  const modal = page.locator(`#remove-API-token--${id}`);
  await modal.locator('input[name="confirm_password"]').fill(job.password);
  await modal.getByRole("button", { name: "Remove API token" }).click();
  await page.locator(".notification-bar__message").filter({ hasText: "Deleted API token" }).waitFor();
}

export async function pypiPages(page: Page, job: FloorJob, marks: Marks): Promise<void> {
  const code = codes(job);
  const tokens = await pypiSignIn(page, job, code);
  marks.mark("sign-in");

  // The old token: the newest one made for this destination (the list shows no values).
  const old = tokens.find((token) => token.name.startsWith(namePrefix(job)));
  if (!old) throw new Error("no token of this destination in the list");
  marks.mark("plan");

  const value = await pypiCreate(page, job, tokenName(job), job.scope[0] ?? "");
  marks.mark("create");

  if ((await uploadProbe(job, value)) !== 400) throw new Error("PyPI does not accept the new token");
  marks.mark("check-new");
  await pushToCircleci(job, value);
  marks.mark("verify-circleci");

  await pypiDelete(page, job, old.id);
  marks.mark("delete-old");

  // The delete's redirect shows the list: the row is gone there, and the upload endpoint refuses the value.
  if ((await page.locator(`#api-tokens input[name="macaroon_id"][value="${old.id}"]`).count()) !== 0)
    throw new Error("PyPI still lists the old token");
  if ((await uploadProbe(job, job.oldToken)) !== 403) throw new Error("PyPI still accepts the old token");
  marks.mark("verify-old");
}

/** The registry's whoami for a token: 200 and the name = live, 401 = gone. */
export async function whoami(job: FloorJob, token: string): Promise<number> {
  const response = await fetch(new URL("/-/whoami", job.apiUrl), { headers: { Authorization: `Bearer ${token}` } });
  if (response.status === 200 && ((await response.json()) as { username?: string }).username !== job.username)
    throw new Error("whoami names someone else");
  return response.status;
}

/** npm's sign-in form and its one-time-code step, up to the page it sends a signed-in person to. */
export async function npmSignIn(page: Page, job: FloorJob, code: () => Promise<string>, startUrl: string): Promise<void> {
  await page.goto(startUrl);
  await page.getByLabel(/^username/i).fill(job.username);
  await page.getByLabel(/^password$/i).fill(job.password);
  await page.getByRole("button", { name: /^sign in$/i }).click();
  await page.getByLabel(/one-time password/i).fill(await code());
  await page.getByRole("button", { name: /^verify$/i }).click();
  await page.waitForURL((url) => !url.pathname.startsWith("/login/otp"));
}

/** As npm lists a token: its first eight and last four characters. */
export const shownAs = (value: string, last4 = value.slice(-4)) => `${value.slice(0, 8)}...${last4}`;

export async function npmWebsite(page: Page, job: FloorJob, marks: Marks, heldLast4: string): Promise<void> {
  const code = codes(job);
  await npmSignIn(page, job, code, at(job, "/login"));
  marks.mark("sign-in");

  // The old token: the one whose shown first eight and last four fit the value CircleCI holds.
  await page.goto(at(job, "/settings/~/tokens"));
  const shown = shownAs(job.oldToken, heldLast4);
  const redacted = await page.locator("tbody tr td code").evaluateAll((cells) => cells.map((cell) => cell.textContent?.trim() ?? ""));
  if (redacted.filter((text) => text === shown).length !== 1) throw new Error("the old token is not in the list exactly once");
  marks.mark("plan");

  await page.goto(at(job, "/settings/~/tokens/granular-access-tokens/new"));
  await page.getByLabel("Token name").fill(tokenName(job));
  await page.getByLabel(/bypass two-factor/i).check();
  const packages = page.getByRole("group", { name: "Packages and scopes" });
  await packages.getByText(/^no access$/i).click();
  await packages.getByRole("option", { name: /^read and write( \(publish and stage\))?$/i }).click();
  await packages.getByRole("radio", { name: "Only select packages and scopes" }).check();
  for (const item of job.scope) {
    await packages.getByLabel("Select packages and scopes", { exact: true }).fill(item);
    await packages.getByRole("option", { name: item, exact: true }).click();
  }
  const expiration = page.getByRole("group", { name: "Expiration" });
  await expiration.getByRole("button").click();
  await expiration.getByRole("option", { name: "90 days", exact: true }).click();
  await page.getByRole("button", { name: /^generate token$/i }).click();
  const value = (
    await page
      .locator("code")
      .filter({ hasText: /^\s*npm_[A-Za-z0-9]{36}\s*$/ })
      .innerText()
  ).trim();
  marks.mark("create");

  if ((await whoami(job, value)) !== 200) throw new Error("npm does not accept the new token");
  marks.mark("check-new");
  await pushToCircleci(job, value);
  marks.mark("verify-circleci");

  // The list is on screen, under the new token: delete the old row with its × and the browser's confirm.
  const row = page.getByRole("row").filter({ hasText: shown });
  page.once("dialog", (dialog) => void dialog.accept());
  await row.getByRole("button", { name: /delete/i }).click();
  await row.waitFor({ state: "detached" });
  marks.mark("delete-old");

  if ((await whoami(job, job.oldToken)) !== 401) throw new Error("npm still accepts the old token");
  marks.mark("verify-old");
}
