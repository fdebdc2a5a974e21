// What a flow may ask of the runbook while it drives a page: say something to the responder,
// hand a step to the human at the visible browser (security key, captcha), or, when the site
// no longer matches what the flow expects, say what was missing and let the human do that step.
import { isTimeout } from "../browser/waits.js";
import { SiteChangedError, VisibleBrowserNeededError } from "../errors.js";
import type { Progress } from "./progress.js";

export interface ManualStep<T> {
  /** What the human should do, phrased as an instruction. */
  instruction: string;
  /** Resolves with the step's result once the page shows the human did it. */
  until: () => Promise<T>;
}

export interface Steps {
  note(text: string): void;
  /** Waits for the human to act in the visible browser; headless, it fails at once. */
  handOff<T>(why: string, step: ManualStep<T>): Promise<T>;
  /**
   * Runs a page action. If it times out looking for an element (the site changed), a headed
   * run asks the human to do it by hand; a headless run fails naming the step.
   */
  expect<T>(what: string, action: () => Promise<T>, manual?: ManualStep<T>): Promise<T>;
  /**
   * Waits for something the site will deliver once the person is done (npm's session token).
   * If it has not come within a step's time, a headed run says what the person should do and
   * keeps waiting; a headless run fails naming what never came.
   */
  awaitOrHandOff<T>(what: string, result: Promise<T>, manual: ManualStep<T>): Promise<T>;
}

export function createSteps(progress: Progress, options: { headed: boolean; stepTimeoutMs: number }): Steps {
  const handOff = async <T>(why: string, step: ManualStep<T>): Promise<T> => {
    if (!options.headed) {
      throw new VisibleBrowserNeededError(
        `${why}: a human has to ${step.instruction}; run again without --headless to do it in the browser window`,
      );
    }
    progress.note(`${why}. In the browser window, please ${step.instruction}. rotate continues when that is done.`);
    return step.until();
  };
  return {
    note: (text) => progress.note(text),
    handOff,
    async expect(what, action, manual) {
      try {
        return await action();
      } catch (error) {
        if (!isTimeout(error)) throw error;
        const why = `the page no longer shows ${what} (the site may have changed)`;
        if (!manual) throw new SiteChangedError(`${why}; do this step by hand on the website`, what);
        if (!options.headed) throw new SiteChangedError(`${why}; run without --headless to do this step by hand`, what);
        return handOff(why, manual);
      }
    },
    async awaitOrHandOff(what, result, manual) {
      let timer: NodeJS.Timeout | undefined;
      const late = Symbol("late");
      const timeout = new Promise<typeof late>((resolve) => {
        timer = setTimeout(() => resolve(late), options.stepTimeoutMs);
      });
      const first = await Promise.race([result, timeout]).finally(() => clearTimeout(timer));
      if (first !== late) return first;
      if (!options.headed)
        throw new SiteChangedError(
          `${what} did not come within ${options.stepTimeoutMs / 1000}s (the site may be waiting for something rotate does not know); run without --headless to finish by hand`,
        );
      return handOff(`${what} has not come yet`, manual);
    },
  };
}
