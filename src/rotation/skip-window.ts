// The registry's browser two-factor step may offer to skip the second factor for a few minutes
// (npm: "skip 2FA for the next 5 minutes", made for bulk trusted-publishing setups). Whether to take
// it is the person's call: asked once per run, in plain words, only where it saves them something
// (several packages, each needing their key), never without a terminal, never ticked silently.
import type { Ask } from "../ask.js";

export function skipWindowChoice(ask: Ask, packages: string[], title: string): (minutes: number) => Promise<boolean> {
  let answer: Promise<boolean> | undefined;
  return (minutes) => {
    if (packages.length < 2 || !ask.canPrompt) return Promise.resolve(false);
    answer ??= ask.confirm(
      `${title}'s security-key page offers to skip two-factor authentication for the next ${minutes} minutes. Tick it, so rotate can set up the other ${packages.length - 1} package(s) without asking for your key each time? (For those ${minutes} minutes ${title} asks this account for no second factor, from anywhere.)`,
      false,
      "",
    );
    return answer;
  };
}
