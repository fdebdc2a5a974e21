// The floor on npm's default path: the registry's web login in the browser (the only step that
// needs one), then the tokens API over plain HTTP, as `npm login --auth-type=web` and `npm token`
// would, with the sign-in's one-time code sent with each call that needs one.
import type { Page } from "playwright";
import { codes, expectStatus, field, pushToCircleci, tokenName, type FloorJob, type Marks } from "./floor-job.js";
import { npmSignIn, shownAs, whoami } from "./floor-pages.js";

/** A page of the tokens list, as the registry answers it. */
interface TokenPage {
  objects: Array<{ key: string; token: string }>;
  urls?: { next?: string | null } | null;
}

/** Signs in at the login URL the registry hands out, then collects the session token. */
async function webLogin(page: Page, job: FloorJob, code: () => Promise<string>): Promise<string> {
  const started = await fetch(new URL("/-/v1/login", job.apiUrl), {
    method: "POST",
    headers: { "npm-auth-type": "web", "npm-command": "login", "Content-Type": "application/json" },
    body: "{}",
  });
  expectStatus(started, 200, "starting the web login");
  const urls = (await started.json()) as unknown;
  await npmSignIn(page, job, code, field(urls, "loginUrl"));
  // npm's page for this CLI login asks to press its button before the login completes.
  await page.getByRole("button", { name: "Login" }).click();
  await page.getByRole("heading", { name: "Logged in" }).waitFor();
  // The done URL has the token now.
  for (;;) {
    const done = await fetch(field(urls, "doneUrl"));
    if (done.status === 200) return field(await done.json(), "token");
    expectStatus(done, 202, "collecting the session token");
    await new Promise((resolve) => setTimeout(resolve, Number(done.headers.get("retry-after") ?? "1") * 1000));
  }
}

/** A signed-in session's calls to the registry (a code in npm-otp when given), and its end (npm logout). */
export async function npmSession(page: Page, job: FloorJob, code: () => Promise<string>) {
  const session = await webLogin(page, job, code);
  const call = (method: string, path: string, options: { otp?: string; body?: unknown } = {}) =>
    fetch(new URL(path, job.apiUrl), {
      method,
      headers: {
        Authorization: `Bearer ${session}`,
        "Content-Type": "application/json",
        ...(options.otp ? { "npm-otp": options.otp } : {}),
      },
      ...(options.body ? { body: JSON.stringify(options.body) } : {}),
    });
  // The session token dies with the run, as rotate's does.
  const end = async () => expectStatus(await call("DELETE", `/-/user/token/${encodeURIComponent(session)}`), 200, "ending the session");
  return { call, end };
}

type Call = Awaited<ReturnType<typeof npmSession>>["call"];

/** A write token that bypasses 2FA, on these packages and scopes, for 90 days: its value. */
export async function createToken(call: Call, job: FloorJob, token: { name: string; scope: string[]; otp: string }): Promise<string> {
  const isScope = (item: string) => item.startsWith("@") && !item.includes("/");
  const created = await call("POST", "/-/npm/v1/tokens", {
    otp: token.otp,
    body: {
      name: token.name,
      password: job.password,
      packages: token.scope.filter((item) => !isScope(item)),
      scopes: token.scope.filter(isScope),
      packages_and_scopes_permission: "read-write",
      expires: 90,
      bypass_2fa: true,
    },
  });
  expectStatus(created, 201, "creating the token");
  return field(await created.json(), "token");
}

export async function npmApi(page: Page, job: FloorJob, marks: Marks, heldLast4: string): Promise<void> {
  // One code for the sign-in and every call, as npm's registry takes it while it is valid.
  const code = codes(job, true);
  const { call, end } = await npmSession(page, job, code);
  marks.mark("sign-in");

  // The old token: the one whose shown first eight and last four fit the value CircleCI holds.
  const shown = shownAs(job.oldToken, heldLast4);
  const keys: string[] = [];
  for (let next: string | null | undefined = "/-/npm/v1/tokens?perPage=100"; next;) {
    const listed = await call("GET", next);
    expectStatus(listed, 200, "listing tokens");
    const page = (await listed.json()) as TokenPage;
    keys.push(...page.objects.filter((token) => token.token === shown).map((token) => token.key));
    next = page.urls?.next;
  }
  if (keys.length !== 1) throw new Error("the old token is not in the list exactly once");
  marks.mark("plan");

  const value = await createToken(call, job, { name: tokenName(job), scope: job.scope, otp: await code() });
  marks.mark("create");

  if ((await whoami(job, value)) !== 200) throw new Error("npm does not accept the new token");
  marks.mark("check-new");
  await pushToCircleci(job, value);
  marks.mark("verify-circleci");

  expectStatus(
    await call("DELETE", `/-/npm/v1/tokens/token/${encodeURIComponent(job.oldToken)}`, { otp: await code() }),
    204,
    "deleting the old token",
  );
  marks.mark("delete-old");
  if ((await whoami(job, job.oldToken)) !== 401) throw new Error("npm still accepts the old token");
  marks.mark("verify-old");

  await end();
}
