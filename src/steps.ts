// What a flow may ask of the runbook while it drives a page: say something to the responder,
// hand a step to the human at the visible browser (security key, captcha), or, when the site
// no longer matches what the flow expects, say what was missing and let the human do that step.
import type { Progress } from "./progress.js";

/** The site did not show what a step needed; the message names the step and what was missing. */
export class SiteChangedError extends Error {
  override name = "SiteChangedError";
}

/** The step needs a human at a visible browser, and the browser is headless. */
export class HumanNeededError extends Error {
  override name = "HumanNeededError";
}

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
}

export function isTimeout(error: unknown): boolean {
  return error instanceof Error && error.name === "TimeoutError";
}

export function createSteps(progress: Progress, options: { headed: boolean }): Steps {
  const handOff = async <T>(why: string, step: ManualStep<T>): Promise<T> => {
    if (!options.headed) {
      throw new HumanNeededError(`${why}: a human has to ${step.instruction}; run again without --headless to do it in the browser window`);
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
        if (!manual) throw new SiteChangedError(`${why}; do this step by hand on the website`);
        if (!options.headed) throw new SiteChangedError(`${why}; run without --headless to do this step by hand`);
        return handOff(why, manual);
      }
    },
  };
}
