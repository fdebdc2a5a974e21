// The isolated browser: a fresh off-the-record context in a throw-away profile, nothing
// recorded (no trace, video, screenshot, HAR or storage state), and a main frame that may only
// visit the registry's own origins. Playwright is loaded here, lazily, so `rotate --help` is fast.
import type { Browser, BrowserContext, Page } from "playwright";
import type { FoundBrowser } from "./browser-finder.js";

// The closed network here floods Chromium with refused connections without the first four;
// the rest keep crash reports, keyrings and first-run state off the disk.
const CHROMIUM_ARGS = [
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
  "--disable-sync",
  "--disable-breakpad",
  "--disable-crash-reporter",
  "--no-default-browser-check",
  "--password-store=basic",
  "--disable-features=AutofillServerCommunication,MediaRouter,OptimizationHints,Translate",
];

/** The page went somewhere the registry does not live: phishing, or a hijacked redirect. */
export class NavigationBlockedError extends Error {
  override name = "NavigationBlockedError";
}

/** The responder closed the browser window, or the browser crashed. */
export class BrowserClosedError extends Error {
  override name = "BrowserClosedError";
}

export interface BrowserSession {
  page: Page;
  /** Aborted when the window is closed, the browser dies, or the navigation guard stops a page. */
  lost: AbortSignal;
  /** A second tab in the same signed-in context (clean-up runs there while a step may hang). */
  newPage(): Promise<Page>;
  /** Turns a Playwright failure into what really happened, when the session knows better. */
  explain(error: unknown): unknown;
  close(): Promise<void>;
}

export interface LaunchOptions {
  browser: FoundBrowser;
  headless: boolean;
  allowedOrigins: string[];
  /** Environment for the browser process; secrets must already be removed (see browserEnv). */
  env: NodeJS.ProcessEnv;
  /** Step timeout for locators and navigation. */
  timeoutMs: number;
}

/** The environment the browser process gets: nothing that looks like a credential. */
export function browserEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const sensitive = /TOKEN|PASSWORD|SECRET|OTP|CREDENTIAL|^ROTATE_|^NPM_CONFIG_/i;
  return Object.fromEntries(Object.entries(env).filter(([name]) => !sensitive.test(name)));
}

function originOf(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.origin : undefined;
  } catch {
    return undefined;
  }
}

export async function launchIsolated(options: LaunchOptions): Promise<BrowserSession> {
  const { chromium } = await import("playwright");
  const browser: Browser = await chromium.launch({
    executablePath: options.browser.executablePath,
    headless: options.headless,
    args: CHROMIUM_ARGS,
    env: options.env,
    // rotate handles Ctrl-C itself: clean-up needs the browser until it is done.
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  });
  let context: BrowserContext;
  try {
    // newContext() is off-the-record: cookies and cache stay in memory and die with it.
    context = await browser.newContext({
      acceptDownloads: false,
      serviceWorkers: "block",
      locale: "en-US",
    });
  } catch (error) {
    await browser.close();
    throw error;
  }
  context.setDefaultTimeout(options.timeoutMs);
  context.setDefaultNavigationTimeout(options.timeoutMs);

  const allowed = new Set(options.allowedOrigins.map((url) => originOf(url)).filter(Boolean));
  let blocked: string | undefined;
  let disconnected = false;
  let closing = false;
  const lost = new AbortController();
  browser.on("disconnected", () => {
    disconnected = true;
    lost.abort();
  });

  const guard = async (page: Page) => {
    // Stop navigations before they load; route() does not see redirects, so framenavigated
    // catches those as they commit, before a flow can type into the page.
    await page.route("**/*", (route) => {
      const request = route.request();
      const origin = originOf(request.url());
      if (request.isNavigationRequest() && request.frame() === page.mainFrame() && origin && !allowed.has(origin)) {
        blocked ??= request.url();
        return route.abort("blockedbyclient");
      }
      return route.continue();
    });
    page.on("framenavigated", (frame) => {
      const origin = originOf(frame.url());
      if (frame === page.mainFrame() && origin && !allowed.has(origin)) {
        blocked ??= frame.url();
        void page.close().catch(() => undefined);
      }
    });
  };

  const newPage = async () => {
    const page = await context.newPage();
    await guard(page);
    // A background tab gets no animation frames, and Playwright's clicks wait for them.
    await page.bringToFront();
    return page;
  };

  const page = await newPage();
  // The responder closing the window means "stop": the run stops at once and cleans up.
  page.on("close", () => {
    if (!closing) lost.abort();
  });

  return {
    page,
    lost: lost.signal,
    newPage,
    explain(error) {
      if (blocked) {
        return new NavigationBlockedError(
          `the browser was sent to ${originOf(blocked) ?? blocked}, which is not the registry's site; rotate stopped before typing anything there (phishing, or a hijacked redirect)`,
        );
      }
      if (disconnected || page.isClosed() || (error instanceof Error && /Target page, context or browser has been closed|Browser closed|browser has disconnected/i.test(error.message))) {
        return new BrowserClosedError("the browser window was closed before the step finished");
      }
      return error;
    },
    async close() {
      closing = true;
      await context.close().catch(() => undefined);
      // Closing the browser removes its temporary profile directory.
      await browser.close().catch(() => undefined);
    },
  };
}
