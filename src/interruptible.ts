// Races a step against the signals that mean "stop now" (Ctrl-C, the browser window closed): the
// step may go on in the background, the run does not wait for it.
import { InterruptedError } from "./errors.js";

export function interruptible<T>(work: Promise<T>, signals: AbortSignal[]): Promise<T> {
  if (signals.some((s) => s.aborted)) return Promise.reject(new InterruptedError());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new InterruptedError());
    for (const signal of signals) signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signals.forEach((signal) => signal.removeEventListener("abort", onAbort)));
  });
}
