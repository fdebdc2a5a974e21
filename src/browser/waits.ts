// A wait that ran out is said in the responder's terms, never in Playwright's: "locator.waitFor:
// Timeout 5000ms exceeded." tells neither what rotate was waiting for, nor on which page, nor what
// to do next. Every such failure becomes one line: what rotate waited for, on which page (origin
// and path only: a query may hold a secret), what that page answered, and the next step.
import { SiteChangedError } from "../errors.js";
import { inertLine } from "../secrets/inert.js";

/** Playwright's own timeouts are TimeoutErrors, whatever waited (a locator, a navigation, a function). */
export function isTimeout(error: unknown): boolean {
  return error instanceof Error && error.name === "TimeoutError";
}

/** What the page the flow was on showed last. */
export interface PageSeen {
  url: string;
  /** The status its last navigation answered, when there was one. */
  status?: number;
}

function shortUrl(url: string): string {
  if (!URL.canParse(url)) return inertLine(url);
  const parsed = new URL(url);
  return parsed.protocol.startsWith("http") ? `${parsed.origin}${parsed.pathname}` : parsed.protocol.replace(/:$/, "");
}

/** From a Playwright timeout's call log: the page it was loading, or the element it waited for. */
function fromCallLog(message: string): { loading: string } | { element: string } | undefined {
  const loading = /navigating to "([^"]+)"/.exec(message)?.[1];
  if (loading) return { loading: shortUrl(loading) };
  const element = /waiting for (.+?)(?: to be (?:visible|attached|hidden|detached|enabled|stable))?\s*$/m.exec(message)?.[1];
  if (!element) return undefined;
  // A chain of alternatives ("whichever the site shows next") says nothing a person can use.
  return { element: element.includes(".or(") || element.length > 80 ? "the page to show what comes next" : inertLine(element) };
}

function nextStep(status: number | undefined): string {
  if (status === 429) return "the site is limiting requests; wait a few minutes, then run again";
  if (status !== undefined && status >= 500) return "the site has a problem; check its status page, wait a few minutes, then run again";
  if (status !== undefined && status >= 400)
    return "the site refused that page; check the address settings and the account, then run again";
  return "the page may have changed; run again without --headless to see it, and do this step by hand if rotate still cannot";
}

/**
 * The failure of a step that waited in vain, in the responder's terms; undefined when the error
 * is not a wait that ran out (it is then reported as it is).
 */
export function waitedInVain(error: unknown, page: PageSeen): SiteChangedError | undefined {
  const what =
    error instanceof SiteChangedError && error.waitedFor
      ? { element: error.waitedFor }
      : isTimeout(error)
        ? fromCallLog((error as Error).message)
        : undefined;
  if (!what)
    return isTimeout(error) ? new SiteChangedError(`rotate waited in vain on ${shortUrl(page.url)}: ${nextStep(page.status)}`) : undefined;
  if ("loading" in what) {
    return new SiteChangedError(
      `waited for ${what.loading} to load, and it never finished: the site does not answer; check the network and the site's status page, then run again`,
    );
  }
  const answered = page.status !== undefined && page.status >= 400 ? `, which answered ${page.status}` : "";
  return new SiteChangedError(
    `waited for ${what.element} on ${shortUrl(page.url)}${answered}, in vain: ${nextStep(page.status)}`,
    what.element,
  );
}
