// The npm end of trusted publishing as the runbook sees it: a preflight that needs no sign-in
// (each package exists, the account maintains it, the site and the registry answer, a browser is
// there), then a session signed in through the registry's web login in the isolated browser,
// whose end revokes the session token and closes the browser.
import { RegistryError } from "../../src/errors.js";
import { describeError } from "../../src/secrets/secret.js";
import type { FoundBrowser } from "../../src/browser/finder.js";
import type { TrustSession, TrustSide, TrustSideOptions } from "../../src/trust/capability.js";
import { NpmSession, type NpmCtx } from "./session.js";
import type { NpmSettings } from "./settings.js";
import { NpmTrustApi, packageMaintainers } from "./trust.js";

export function npmTrustSide(settings: NpmSettings, options: TrustSideOptions): TrustSide {
  const { signal } = options;
  let found: FoundBrowser | undefined;
  const launch = (browser: FoundBrowser, headless?: boolean) => options.launchBrowser(browser, [settings.websiteUrl], headless);

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
      found = options.findBrowser();
      for (const url of [settings.websiteUrl, new URL("/-/ping", settings.registryUrl).toString()]) await options.reachable(url);
      return `${username} maintains ${packages.join(", ")}`;
    },

    async signIn(): Promise<TrustSession> {
      const browser = found ?? options.findBrowser();
      const session = await launch(browser);
      try {
        const ctx: NpmCtx = {
          settings,
          credentials: options.credentials,
          steps: options.steps,
          signal,
          browser: session,
          relaunch: () => launch(browser, true),
          skipTwoFactor: options.skipTwoFactor,
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
