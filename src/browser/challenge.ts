// Sites interrupt sensitive actions with a challenge that drops the action itself: PyPI's
// "Confirm password to continue" page (docs/sites/pypi.md, "Re-authentication") and npm's /escalate/otp step
// (docs/sites/npm.md, "Escalation"). The pattern is the same as npm's otplease: run the step, recognise the
// challenge, answer it once, run the step again.
export const CHALLENGED = Symbol("challenged");

export async function withChallenge<T>(
  action: () => Promise<T | typeof CHALLENGED>,
  answer: () => Promise<void>,
  what: string,
): Promise<T> {
  const first = await action();
  if (first !== CHALLENGED) return first;
  await answer();
  const second = await action();
  if (second === CHALLENGED) throw new Error(`the site asked to confirm again right after ${what} was confirmed; sign in again and rerun`);
  return second;
}
