// The page a CLI login ends on (docs/sites/npm.md, "What the person sees"): after the password and
// the code, npm's page for this login (/login/cli/<id>) may ask the person to press a button before
// the CLI is logged in (npm's CLI notes tell users to "click the login button on the website" [I]).
// rotate started this login itself, so it presses that button: the one control whose words log the
// CLI in, never one that cancels or denies. Only when the page offers no single such control does
// the person choose, told exactly what the page shows.
import type { Locator, Page } from "playwright";
import { inertLine } from "../../src/secrets/inert.js";
import type { Secret } from "../../src/secrets/secret.js";
import type { Steps } from "../../src/rotation/steps.js";

/** What a control that logs the CLI in says; one that also cancels, denies or declines is never it. */
export const LOGS_THE_CLI_IN =
  /^(?!.*\b(cancel|deny|decline|reject|refuse|not now|log ?out|sign ?out)\b).*\b(log ?in|sign ?in|continue|authori[sz]e|allow|confirm|approve)\b/i;

/** The buttons and links the page shows, by what each says, for an instruction that names them. */
async function shownControls(page: Page): Promise<string[]> {
  const names = await page
    .getByRole("button")
    .or(page.getByRole("link"))
    .evaluateAll((elements) =>
      elements
        .filter((e) => e.getClientRects().length > 0)
        .map((e) => e.getAttribute("aria-label") ?? (e instanceof HTMLInputElement ? e.value : (e.textContent ?? ""))),
    );
  return [...new Set(names.map((name) => inertLine(name).replace(/\s+/g, " ").trim()).filter(Boolean))];
}

const quoted = (names: string[]) => names.map((name) => `"${name}"`).join(", ");

/**
 * Waits for the session token, pressing the page's one log-in control if the page asks for it
 * first: on the CLI login's own page only (`cliPath`), once the page is there. The token may come
 * without any press (a site that confirms at once); whichever comes first wins, and nothing is
 * pressed after the token came. `pressed` hears the press, so the token is asked for at once.
 */
export async function finishCliLogin(
  page: Page,
  steps: Steps,
  cliPath: string,
  token: Promise<Secret>,
  pressed: () => void,
): Promise<Secret> {
  let arrived = false;
  void token.then(
    () => (arrived = true),
    () => undefined,
  );
  const controls: Locator = page.getByRole("button", { name: LOGS_THE_CLI_IN }).or(page.getByRole("link", { name: LOGS_THE_CLI_IN }));
  const onCliPage = () => new URL(page.url()).pathname.startsWith(cliPath);
  const confirmation = (async (): Promise<Secret> => {
    // Only on the CLI login's page: the sign-in's own "Sign In" says the same words.
    await page.waitForURL((u) => u.pathname.startsWith(cliPath), { timeout: 0 });
    // first(): any one shows the page is there; all of them are counted next. Times out (the step's time) when none comes.
    await controls
      .first()
      .waitFor()
      .catch(() => undefined);
    if (arrived) return token;
    const count = onCliPage() ? await controls.count() : 0;
    if (count === 1) {
      await controls.click();
      pressed();
      return steps.awaitOrHandOff("npm's confirmation of the sign-in", token, {
        instruction: "finish signing in in the browser window (npm shows something rotate does not know how to answer)",
        until: () => token,
      });
    }
    const shown = await shownControls(page);
    const why =
      count > 1
        ? `npm's page for this sign-in offers ${count} controls that could log the CLI in (${quoted(await controls.allInnerTexts())})`
        : `npm's page for this sign-in shows no single control that logs the CLI in${shown.length > 0 ? ` (it shows ${quoted(shown)})` : ""}`;
    return steps.handOff(why, {
      instruction: "click the one control on that page that logs the npm command line in (not one that cancels)",
      until: () => token,
    });
  })();
  confirmation.catch(() => undefined); // raced below; abandoned when the token came first
  return Promise.race([token, confirmation]);
}
