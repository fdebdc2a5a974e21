// Waiting for "whichever of these the site shows next" after a submit: a next step, an error,
// a challenge. Playwright's or() waits for any of them without a fixed sleep.
import type { Locator, Page } from "playwright";

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

/** Visible texts of an error list, for a one-line message. */
export async function texts(locator: Locator): Promise<string> {
  return (await locator.allInnerTexts()).map((t) => t.trim()).filter(Boolean).join(" ");
}

/**
 * Submits a form and waits for the site's answer to the POST itself, so a server error or a
 * rate limit is reported as such at once instead of as a missing element later.
 */
export async function submitForm(page: Page, submit: () => Promise<unknown>, what: string): Promise<void> {
  const answered = page.waitForResponse((r) => r.request().isNavigationRequest() && r.request().method() === "POST");
  await submit();
  const status = (await answered).status();
  if (status === 429) throw new Error(`the site is rate-limiting ${what} (429): wait a few minutes, then rerun`);
  if (status >= 500) throw new Error(`the site failed while ${what} (${status}): try again later`);
  await page.waitForLoadState();
}
