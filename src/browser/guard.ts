// One guard for the whole browser context: every request of every page, popup, frame and
// worker (documents, fetch and XHR, beacons, images, forms, downloads) and every WebSocket may
// reach only the registry's own origins, and the few asset origins its pages are known to need.
// Everything else is refused before it leaves. Requests to allowed origins are sent by the
// guard itself without following redirects, so a redirect is inspected before the browser
// follows it: a redirect elsewhere (a 307 that would carry the sign-in form off-site, say) is
// refused, and the browser never sends the body there. Popups are closed, service workers
// blocked and downloads refused. What Chromium sends without asking Playwright meets the
// refusing proxy (refusing-proxy.ts).
import type { Browser, BrowserContext, Page, Request, Route, WebSocketRoute } from "playwright";
import { containsSecret } from "../secrets/secret.js";

/** An origin the registry's pages load assets from, with the public fact that says so. */
export interface AssetOrigin {
  origin: string;
  /** What the real site loads from it. */
  why: string;
  /** Where that is documented or shown. */
  source: string;
}

/** A request the guard refused, described without its URL's path or query (they may hold a secret). */
export interface Refusal {
  /** The origin it was going to. */
  to: string;
  /** "a fetch", "a page", "a WebSocket", … */
  channel: string;
  /** Set when the refused request was a redirect answer from an allowed origin. */
  redirectOf?: { method: string; origin: string; path: string };
  carriedSecret: boolean;
  /** The run must stop: a secret was on its way out, or a page was being sent elsewhere. */
  stops: boolean;
}

export interface GuardOptions {
  siteOrigins: string[];
  assetOrigins: string[];
  onRefused(refusal: Refusal): void;
}

export interface GuardedContext {
  context: BrowserContext;
  /** Opens a page of rotate's own; any other page the context gets is a popup, and is closed. */
  newPage(): Promise<Page>;
}

/** The origin of an http(s) or ws(s) URL, WebSockets counted as their page origin's scheme. */
export function originOf(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    const scheme = { "http:": "http:", "https:": "https:", "ws:": "http:", "wss:": "https:" }[parsed.protocol];
    return scheme ? `${scheme}//${parsed.host}` : undefined;
  } catch {
    return undefined;
  }
}

const CHANNELS: Record<string, string> = {
  document: "a page",
  xhr: "an XMLHttpRequest",
  fetch: "a fetch",
  ping: "a beacon",
  image: "an image",
  websocket: "a WebSocket",
  eventsource: "an event stream",
  script: "a script",
  stylesheet: "a stylesheet",
  font: "a font",
  media: "a media request",
};

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** 307 and 308 make the browser send the same method and body again, to the new place. */
const KEEPS_BODY = new Set([307, 308]);

function pageOf(request: Request): Page | undefined {
  try {
    return request.frame().page();
  } catch {
    return undefined; // a worker's request has no frame
  }
}

function isTopLevel(request: Request): boolean {
  try {
    return request.isNavigationRequest() && request.frame().parentFrame() === null;
  } catch {
    return false;
  }
}

function carriesSecret(request: Request): boolean {
  const body = request.postDataBuffer();
  const texts = [request.url(), ...Object.entries(request.headers()).map(([name, value]) => `${name}: ${value}`)];
  if (body) texts.push(body.toString("utf8"), body.toString("latin1"));
  return texts.some(containsSecret);
}

/** A fresh off-the-record context (cookies and cache stay in memory and die with it), guarded. */
export async function openGuardedContext(browser: Browser, options: GuardOptions): Promise<GuardedContext> {
  const context = await browser.newContext({ acceptDownloads: false, serviceWorkers: "block", locale: "en-US" });
  try {
    return { context, ...(await guard(context, options)) };
  } catch (error) {
    await context.close();
    throw error;
  }
}

async function guard(context: BrowserContext, options: GuardOptions): Promise<Omit<GuardedContext, "context">> {
  const site = new Set(options.siteOrigins.map(originOf).filter(Boolean));
  const assets = new Set(options.assetOrigins.map(originOf).filter(Boolean));

  /** A registry origin takes anything; an asset origin only subresources that carry no secret. */
  const admits = (origin: string | undefined, topLevel: boolean, secret: boolean) =>
    origin !== undefined && (site.has(origin) || (assets.has(origin) && !topLevel && !secret));

  const own = new WeakSet<Page>();
  /** It stops the run when a secret was on its way out, or one of rotate's pages was being sent elsewhere. */
  const refuse = (refusal: Omit<Refusal, "stops">, topLevel: boolean, page: Page | undefined) => {
    const ours = page !== undefined && own.has(page);
    const stops =
      refusal.carriedSecret || (topLevel && ours) || (ours && refusal.redirectOf !== undefined && refusal.redirectOf.method !== "GET");
    options.onRefused({ ...refusal, stops });
  };

  const handle = async (route: Route) => {
    const request = route.request();
    const to = originOf(request.url());
    const topLevel = isTopLevel(request);
    const secret = carriesSecret(request);
    const channel = CHANNELS[request.resourceType()] ?? `a request (${request.resourceType()})`;
    if (!admits(to, topLevel, secret)) {
      await route.abort("blockedbyclient");
      refuse({ to: to ?? request.url().split(":")[0] ?? "?", channel, carriedSecret: secret }, topLevel, pageOf(request));
      return;
    }
    const response = await route.fetch({ maxRedirects: 0, timeout: 0 });
    const location = response.headers()["location"];
    if (REDIRECTS.has(response.status()) && location !== undefined) {
      const next = new URL(location, request.url()).toString();
      const keepsBody = KEEPS_BODY.has(response.status()) && request.postDataBuffer() !== null;
      const nextSecret = containsSecret(next) || (keepsBody && secret);
      if (!admits(originOf(next), topLevel, nextSecret)) {
        await route.abort("blockedbyclient");
        const from = new URL(request.url());
        refuse(
          {
            to: originOf(next) ?? next.split(":")[0] ?? "?",
            channel,
            carriedSecret: nextSecret,
            redirectOf: { method: request.method(), origin: from.origin, path: from.pathname },
          },
          topLevel,
          pageOf(request),
        );
        return;
      }
    }
    await route.fulfill({ response });
  };

  await context.route("**/*", async (route) => {
    try {
      await handle(route);
    } catch {
      // The page or context closed while the request was on its way, or the site did not
      // answer: the browser sees a failed request, as it would without the guard.
      await route.abort("failed").catch(() => undefined);
    }
  });

  await context.routeWebSocket(/.*/, (ws: WebSocketRoute) => {
    const to = originOf(ws.url());
    if (to !== undefined && site.has(to)) {
      ws.connectToServer();
      return;
    }
    // Not connected anywhere: the page talks to this stand-in, which looks at what it would have sent.
    const refuseSocket = (carriedSecret: boolean) => {
      options.onRefused({ to: to ?? "?", channel: "a WebSocket", carriedSecret, stops: carriedSecret });
      void ws.close({ code: 1008, reason: "refused by rotate" }).catch(() => undefined);
    };
    if (containsSecret(ws.url())) return refuseSocket(true);
    ws.onMessage((message) => refuseSocket(containsSecret(typeof message === "string" ? message : message.toString("latin1"))));
  });

  let expected = 0;
  context.on("page", (page) => {
    if (expected > 0) {
      expected--;
      own.add(page);
      return;
    }
    // A popup (window.open, a link or form with target=_blank): its requests meet the route
    // above, or the refusing proxy under it; the window itself has no business in this run.
    void page.close().catch(() => undefined);
  });

  return {
    async newPage() {
      expected++;
      return context.newPage();
    },
  };
}
