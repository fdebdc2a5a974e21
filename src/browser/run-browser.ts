// The run's browser, bound to its settings: found (a display checked first when it is to be
// visible) and launched isolated for one site, its step timeout the run's. Rotation, trust and
// `status --trust` all open theirs this way.
import { requireDisplay } from "./display.js";
import type { FoundBrowser } from "./finder.js";
import type { AssetOrigin } from "./guard.js";
import type { BrowserSession, LaunchOptions } from "./launch.js";
import type { BrowserSettings } from "../settings/run-settings.js";

export interface BrowserDeps {
  env: NodeJS.ProcessEnv;
  findBrowser(explicitPath?: string, options?: { headless?: boolean }): FoundBrowser;
  launchBrowser(options: LaunchOptions): Promise<BrowserSession>;
}

export interface RunBrowser {
  findBrowser: () => FoundBrowser;
  /** The isolated browser for a site; `headless` overrides the run's setting (a clean-up browser). */
  launchBrowser: (browser: FoundBrowser, site: { origins: string[]; assets: AssetOrigin[] }, headless?: boolean) => Promise<BrowserSession>;
}

export function runBrowser(deps: BrowserDeps, browser: BrowserSettings): RunBrowser {
  return {
    findBrowser: () => {
      if (!browser.headless) requireDisplay(deps.env);
      return deps.findBrowser(browser.path, { headless: browser.headless });
    },
    launchBrowser: (found, site, headless = browser.headless) =>
      deps.launchBrowser({
        browser: found,
        headless,
        allowedOrigins: site.origins,
        assetOrigins: site.assets,
        env: deps.env,
        timeoutMs: browser.stepTimeout * 1000,
      }),
  };
}
