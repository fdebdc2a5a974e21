// Waiting for "whichever of these the site shows next" after a submit: a next step, an error,
// a challenge. Playwright's or() waits for any of them without a fixed sleep.
import type { Locator, Page } from "playwright";
import { inertLine } from "../secrets/inert.js";

/**
 * Waits for any of the candidates, then names the first one (in the order given) that shows.
 * Put the likely one first: each look at a role or text locator walks the whole page, which on
 * an account with hundreds of tokens costs tens of milliseconds.
 */
export async function whichAppears<K extends string>(candidates: Record<K, Locator>, timeoutMs?: number): Promise<K> {
  const entries = Object.entries(candidates) as Array<[K, Locator]>;
  const any = entries.map(([, locator]) => locator).reduce((all, locator) => all.or(locator));
  // first(): several candidates may be visible at once (an error list and a heading); any will do.
  await any.first().waitFor({ state: "visible", ...(timeoutMs ? { timeout: timeoutMs } : {}) });
  for (const [key, locator] of entries) {
    if (await locator.first().isVisible()) return key;
  }
  // The match disappeared between the wait and the check (a redirect); look again.
  return whichAppears(candidates, timeoutMs);
}

/** Visible texts of an error list, for a one-line message: inert, since the page wrote them. */
export async function texts(locator: Locator): Promise<string> {
  return (await locator.allInnerTexts())
    .map((t) => inertLine(t).trim())
    .filter(Boolean)
    .join(" ");
}

/** How long a site may take to answer a submitted form before rotate gives up on it. */
const ANSWER_TIMEOUT_MS = 60_000;

/**
 * Submits a form and waits for the site's answer to the POST itself, so a server error or a
 * rate limit is reported as such at once instead of as a missing element later. `submit` may
 * take long (a human doing the step by hand), so the answer is awaited without a timeout of its
 * own until `submit` is done.
 */
export async function submitForm(page: Page, submit: () => Promise<unknown>, what: string): Promise<void> {
  const answered = page.waitForResponse((r) => r.request().isNavigationRequest() && r.request().method() === "POST", { timeout: 0 });
  answered.catch(() => undefined); // settled below, or abandoned when submit() fails
  await submit();
  let timer: NodeJS.Timeout | undefined;
  const tooLate = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`the site did not answer within ${ANSWER_TIMEOUT_MS / 1000}s while ${what}`)),
      ANSWER_TIMEOUT_MS,
    );
  });
  const status = (await Promise.race([answered, tooLate]).finally(() => clearTimeout(timer))).status();
  if (status === 429) throw new Error(`the site is rate-limiting ${what} (429): wait a few minutes, then rerun`);
  if (status >= 500) throw new Error(`the site failed while ${what} (${status}): try again later`);
  await page.waitForLoadState();
}
