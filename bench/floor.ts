// The floor the benchmark compares rotate with: the same page actions done by a bare Playwright
// script, with nothing around them (no config, no CircleCI, no checks, no journal, no prompts).
// Sign in with a one-time code, create a token, delete the old one, close. Run as a child
// process, like rotate, so both pay for starting Node and Chromium:
//   node dist/bench/floor.js < job.json
// The job (the drill world's made-up credentials) comes on stdin, never in argv.
import * as OTPAuth from "otpauth";
import { chromium, type Page } from "playwright";
import { z } from "zod";

const Account = { websiteUrl: z.url(), username: z.string(), password: z.string(), totpSecret: z.string(), executablePath: z.string() };
const Job = z.discriminatedUnion("registry", [
  z.object({ registry: z.literal("pypi"), project: z.string(), oldTokenName: z.string(), ...Account }),
  z.object({ registry: z.literal("npm"), packages: z.array(z.string()), oldTokenId: z.string(), ...Account }),
]);
type Job = z.infer<typeof Job>;
type PypiJob = Extract<Job, { registry: "pypi" }>;
type NpmJob = Extract<Job, { registry: "npm" }>;

const code = (job: Job) => new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(job.totpSecret), digits: 6, period: 30 }).generate();
const at = (job: Job, path: string) => new URL(path, job.websiteUrl).toString();
const tokenName = () => `floor ${new Date().toISOString()}`;

async function pypi(page: Page, job: PypiJob): Promise<void> {
  await page.goto(at(job, "/account/login/"));
  await page.getByLabel(/^Username/).fill(job.username);
  await page.locator("#login-form").getByLabel(/^Password/).fill(job.password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByLabel(/Enter authentication code/).fill(code(job));
  await page.locator("#totp-auth-form").getByRole("button", { name: "Verify" }).click();
  await page.waitForURL((url) => !url.pathname.startsWith("/account/"));

  await page.goto(at(job, "/manage/account/token/"));
  await page.getByLabel("Token name").fill(tokenName());
  await page.getByLabel("Scope").selectOption(`scope:project:${job.project}`);
  await page.getByRole("button", { name: "Create token" }).click();
  await page.locator("#provisioned-key code").filter({ hasText: /^\s*pypi-[\w-]{20,}\s*$/ }).innerText();

  await page.goto(at(job, "/manage/account/"));
  const row = page.locator("#api-tokens tbody tr").filter({ hasText: job.oldTokenName });
  const id = await row.locator('input[name="macaroon_id"]').getAttribute("value");
  await row.getByRole("button", { name: /options/i }).click();
  await row.getByRole("link", { name: "Remove token" }).click();
  const modal = page.locator(`#remove-API-token--${id}`);
  await modal.locator('input[name="confirm_password"]').fill(job.password);
  await modal.getByRole("button", { name: "Remove API token" }).click();
  await page.locator(".notification-bar__message").filter({ hasText: "Deleted API token" }).waitFor();
}

async function npm(page: Page, job: NpmJob): Promise<void> {
  await page.goto(at(job, "/login"));
  await page.getByLabel(/^username/i).fill(job.username);
  await page.getByLabel(/^password$/i).fill(job.password);
  await page.getByRole("button", { name: /^sign in$/i }).click();
  await page.getByLabel(/one-time password/i).fill(code(job));
  await page.getByRole("button", { name: /^verify$/i }).click();
  await page.waitForURL((url) => !url.pathname.startsWith("/login"));

  await page.goto(at(job, "/settings/~/tokens/granular-access-tokens/new"));
  await page.getByLabel("Token name").fill(tokenName());
  await page.getByLabel(/bypass two-factor/i).check();
  const packages = page.getByRole("group", { name: "Packages and scopes" });
  await packages.getByText(/^no access$/i).click();
  await packages.getByRole("option", { name: /^read and write( \(publish and stage\))?$/i }).click();
  await packages.getByRole("radio", { name: "Only select packages and scopes" }).check();
  for (const item of job.packages) {
    await packages.getByLabel("Select packages and scopes", { exact: true }).fill(item);
    await packages.getByRole("option", { name: item, exact: true }).click();
  }
  const expiration = page.getByRole("group", { name: "Expiration" });
  await expiration.getByRole("button").click();
  await expiration.getByRole("option", { name: "90 days", exact: true }).click();
  await page.getByRole("button", { name: /^generate token$/i }).click();
  await page.locator("code").filter({ hasText: /^\s*npm_[A-Za-z0-9]{36}\s*$/ }).innerText();

  await page.goto(at(job, "/settings/~/tokens"));
  const row = page.getByRole("row").filter({ hasText: job.oldTokenId });
  page.once("dialog", (dialog) => void dialog.accept());
  await row.getByRole("button", { name: /delete/i }).click();
  await row.waitFor({ state: "detached" });
}

async function main(): Promise<void> {
  let input = "";
  for await (const chunk of process.stdin) input += String(chunk);
  const job = Job.parse(JSON.parse(input));
  const browser = await chromium.launch({ executablePath: job.executablePath, headless: true });
  try {
    const page = await (await browser.newContext()).newPage();
    if (job.registry === "pypi") await pypi(page, job);
    else await npm(page, job);
  } finally {
    await browser.close();
  }
}

await main();
