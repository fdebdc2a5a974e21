// The npm end of trusted publishing as the runbook sees it: a preflight that needs no sign-in
// (each package exists, the account maintains it, the site and the registry answer, a browser is
// there), then a session signed in through the registry's web login in the isolated browser,
// whose end revokes the session token and closes the browser.
import { NpmSession, type NpmCtx } from "../../flows/npm/session.js";
import { NpmTrustApi, packageMaintainers } from "../../flows/npm/trust.js";
import type { NpmSettings } from "../../flows/npm/flow.js";
import { npm } from "../../flows/npm/index.js";
import type { FoundBrowser } from "../browser/finder.js";
import { requireDisplay } from "../browser/display.js";
import { RegistryError } from "../errors.js";
import { describeError } from "../secrets/secret.js";
import type { Credentials } from "../registry.js";
import type { BrowserSettings } from "../settings/run-settings.js";
import type { Runtime } from "../runtime.js";
import type { Steps } from "../rotation/steps.js";
import type { NpmTrustSession, TrustDeps } from "./runbook.js";

export interface NpmSideOptions {
  settings: NpmSettings;
  browser: BrowserSettings;
  credentials: Credentials;
  steps: Steps;
  signal: AbortSignal;
  runtime: Pick<Runtime, "env" | "findBrowser" | "launchBrowser" | "reachable">;
}

export function npmSide(options: NpmSideOptions): TrustDeps["npm"] {
  const { settings, runtime, signal } = options;
  let found: FoundBrowser | undefined;
  const launch = (browser: FoundBrowser, headless: boolean) =>
    runtime.launchBrowser({
      browser,
      headless,
      allowedOrigins: [settings.websiteUrl],
      assetOrigins: npm.assetOrigins,
      env: runtime.env,
      timeoutMs: options.browser.stepTimeout * 1000,
    });

  return {
    async preflight(packages) {
      const username = await options.credentials.username();
      for (const pkg of packages) {
        const maintainers = await packageMaintainers(settings.registryUrl, pkg, signal);
        if (!maintainers)
          throw new RegistryError(
            `npm has no package ${pkg}: trusted publishing needs a published package (publish it once with a token first), or check --npm-packages`,
          );
        if (!maintainers.includes(username)) {
          throw new RegistryError(
            `npm account ${username} does not maintain ${pkg}, so it cannot manage its trusted publishers: check --npm-user and --npm-packages, or have an owner add the account`,
          );
        }
      }
      if (!options.browser.headless) requireDisplay(runtime.env);
      found = runtime.findBrowser(options.browser.path, { headless: options.browser.headless });
      for (const url of [settings.websiteUrl, new URL("/-/ping", settings.registryUrl).toString()]) await runtime.reachable(url);
      return `${username} maintains ${packages.join(", ")}`;
    },

    async signIn(): Promise<NpmTrustSession> {
      const browser = found ?? runtime.findBrowser(options.browser.path, { headless: options.browser.headless });
      const session = await launch(browser, options.browser.headless);
      try {
        const ctx: NpmCtx = {
          settings,
          credentials: options.credentials,
          steps: options.steps,
          signal,
          browser: session,
          relaunch: () => launch(browser, true),
        };
        const npm = await NpmSession.open(ctx);
        let closed = false;
        return {
          account: new NpmTrustApi(npm),
          lost: session.lost,
          explain: (error) => session.explain(error),
          async close() {
            if (closed) return;
            closed = true;
            // The logout is not tied to Ctrl-C's signal: the session token must not outlive the run.
            await npm.signOut().catch((error: unknown) => options.steps.note(describeError(error)));
            await session.close();
          },
        };
      } catch (error) {
        await session.close();
        throw session.explain(error);
      }
    },
  };
}
