// The registry's browser two-factor step may offer to skip the second factor for a few minutes
// (npm: "skip 2FA for the next 5 minutes", made for bulk trusted-publishing setups). Whether to take
// it is the person's call: asked once per run, in plain words, only where it saves them something
// (several packages or rotations, each needing their key), never without a terminal, never ticked
// silently.
import type { Ask } from "../ask.js";

/** `rest`: what the window would spare the person ("set up the other 2 package(s)"); none: never offered. */
export function skipWindowChoice(ask: Ask, title: string, rest: string | undefined): (minutes: number) => Promise<boolean> {
  let answer: Promise<boolean> | undefined;
  return (minutes) => {
    if (!rest || !ask.canPrompt) return Promise.resolve(false);
    answer ??= ask.confirm(
      `${title}'s security-key page offers to skip two-factor authentication for the next ${minutes} minutes. Tick it, so rotate can ${rest} without asking for your key each time? (For those ${minutes} minutes ${title} asks this account for no second factor, from anywhere.)`,
      false,
      "",
    );
    return answer;
  };
}

/** What the window spares when there are several of something; undefined for one. */
export function otherOnes(count: number, doing: string, noun: string): string | undefined {
  return count > 1 ? `${doing} the other ${count - 1} ${noun}(s)` : undefined;
}
