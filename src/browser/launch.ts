// The isolated browser: a fresh off-the-record context in a throw-away directory (browser-
// profile.ts), nothing recorded (no trace, video, screenshot, HAR or storage state), Chromium's
// sandbox on unless running as root, one guard over every request of the context
// (guard.ts), and under it a proxy that refuses whatever Chromium would send past the
// guard (refusing-proxy.ts). Playwright is loaded here, lazily, so `rotate --help` is fast.
import type { Browser, Page } from "playwright";
import { playwright, type FoundBrowser } from "./finder.js";
import { openGuardedContext, originOf, type AssetOrigin, type GuardedContext, type Refusal } from "./guard.js";
import { createProfile, useSandbox } from "./profile.js";
import { keepCoreDumpsOff } from "./core-dumps.js";
import { bypassRules, startRefusingProxy } from "./refusing-proxy.js";
import { containsSecret } from "../secrets/secret.js";
import { waitedInVain } from "./waits.js";

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
  // WebRTC may use only what goes through the proxy (which refuses everything): no STUN or TURN
  // over UDP, where a page could put data in the packets.
  "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
];

/** Where a request that reached the refusing proxy was going: its origin, or the host of a tunnel. */
function proxiedTarget(request: string): string {
  const [method, target] = request.split(" ");
  return method === "CONNECT" ? (target ?? "?") : (originOf(target ?? "") ?? "?");
}

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
  /** The registry's own origins: the only ones a page may be, or send anything to. */
  allowedOrigins: string[];
  /** Origins the registry's pages load assets from: subresources only, never a secret. */
  assetOrigins?: AssetOrigin[];
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

/** What the responder reads when the guard stopped the run: what was refused, and that nothing went there. */
function refusalMessage(refusal: Refusal): string {
  const { to, redirectOf } = refusal;
  if (redirectOf) {
    return `${redirectOf.origin} answered the ${redirectOf.method} of ${redirectOf.path} with a redirect to ${to}, which is not the registry's site; rotate refused to follow it, so nothing was sent to ${to} (phishing, or a hijacked redirect)`;
  }
  if (refusal.carriedSecret) {
    return `a page tried to send a secret to ${to} (${refusal.channel}), which is not the registry's site; rotate refused it, so nothing reached ${to}, and stopped (a hostile script on the page, or phishing)`;
  }
  return `the browser was sent to ${to}, which is not the registry's site; rotate refused to open it and stopped before typing anything there (phishing, or a hijacked redirect)`;
}

export async function launchIsolated(options: LaunchOptions): Promise<BrowserSession> {
  const { chromium } = playwright();
  keepCoreDumpsOff();
  let blocked: Refusal | undefined;
  const lost = new AbortController();
  // The guard (and the proxy under it) refuse; this stops the run and remembers the first reason.
  const stop = (refusal: Refusal) => {
    blocked ??= refusal;
    lost.abort();
  };
  const proxy = await startRefusingProxy((request) => {
    if (containsSecret(request))
      stop({ to: proxiedTarget(request), channel: "a request the browser sent on its own", carriedSecret: true, stops: true });
  });
  const allowed = [...options.allowedOrigins, ...(options.assetOrigins ?? []).map((asset) => asset.origin)]
    .map(originOf)
    .filter((o) => o !== undefined);
  const profile = createProfile(options.env);
  let browser: Browser;
  try {
    browser = await profile.asTmpdir(() =>
      chromium.launch({
        executablePath: options.browser.executablePath,
        headless: options.headless,
        args: [...CHROMIUM_ARGS, `--proxy-server=${proxy.server}`, `--proxy-bypass-list=${bypassRules(allowed)}`],
        env: profile.env,
        chromiumSandbox: useSandbox(),
        // rotate handles Ctrl-C itself: clean-up needs the browser until it is done.
        handleSIGINT: false,
        handleSIGTERM: false,
        handleSIGHUP: false,
      }),
    );
  } catch (error) {
    profile.remove();
    await proxy.close();
    if (useSandbox() && error instanceof Error && /sandbox/i.test(error.message)) {
      throw new Error(
        `${options.browser.executablePath} could not start its sandbox, and rotate runs no browser without it: use a browser whose sandbox works on this system (--browser-path, e.g. your distribution's chromium or Chrome), or allow it unprivileged user namespaces`,
      );
    }
    throw error;
  }
  let disconnected = false;
  let closing = false;
  browser.on("disconnected", () => {
    disconnected = true;
    lost.abort();
  });
  let guarded: GuardedContext;
  try {
    guarded = await openGuardedContext(browser, {
      siteOrigins: options.allowedOrigins,
      assetOrigins: (options.assetOrigins ?? []).map((asset) => asset.origin),
      // The page stays open: the guard goes on refusing whatever else it tries. Closing it
      // would end the guard's say over its requests (see refusing-proxy.ts).
      onRefused: (refusal) => {
        if (refusal.stops) stop(refusal);
      },
    });
  } catch (error) {
    await browser.close();
    profile.remove();
    await proxy.close();
    throw error;
  }
  const { context } = guarded;
  context.setDefaultTimeout(options.timeoutMs);
  context.setDefaultNavigationTimeout(options.timeoutMs);

  const newPage = async () => {
    const page = await guarded.newPage();
    // A background tab gets no animation frames, and Playwright's clicks wait for them.
    await page.bringToFront();
    return page;
  };

  const page = await newPage();
  // What the page last answered, so a wait that runs out can say so (a 500, a 429).
  let lastStatus: number | undefined;
  page.on("response", (response) => {
    if (response.request().isNavigationRequest() && response.frame() === page.mainFrame()) lastStatus = response.status();
  });
  // The responder closing the window means "stop": the run stops at once and cleans up.
  page.on("close", () => {
    if (!closing) lost.abort();
  });

  return {
    page,
    lost: lost.signal,
    newPage,
    explain(error) {
      if (blocked) return new NavigationBlockedError(refusalMessage(blocked));
      if (
        disconnected ||
        page.isClosed() ||
        (error instanceof Error &&
          /Target page, context or browser has been closed|Browser closed|browser has disconnected/i.test(error.message))
      ) {
        return new BrowserClosedError("the browser window was closed before the step finished");
      }
      return waitedInVain(error, { url: page.url(), ...(lastStatus === undefined ? {} : { status: lastStatus }) }) ?? error;
    },
    async close() {
      closing = true;
      await context.close().catch(() => undefined);
      // Closing the browser removes Playwright's directories; the profile's root goes after.
      await browser.close().catch(() => undefined);
      profile.remove();
      await proxy.close();
    },
  };
}
