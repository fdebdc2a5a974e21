// HTTP for the registries' token checks (PyPI's upload probe, npm's whoami): bounded retries
// on 429/5xx/timeouts that honour Retry-After, with a note to the responder on every wait.
import type { AxiosRequestConfig, AxiosResponse } from "axios";
import { createHttp } from "./policy.js";
import { abortableSleep, defaultRetryPolicy, sendWithRetries } from "./retry.js";
import type { Steps } from "../rotation/steps.js";

const http = () => createHttp({ timeout: 20_000, maxRedirects: 0 });

/** The final answer, or undefined when the registry could not be reached at all. */
export async function checkRequest(
  request: AxiosRequestConfig,
  ctx: { steps: Steps; signal: AbortSignal },
): Promise<AxiosResponse | undefined> {
  try {
    return await sendWithRetries(http(), { ...request, signal: ctx.signal }, defaultRetryPolicy, {
      sleep: abortableSleep,
      onRetry: ({ waitMs, reason }) =>
        ctx.steps.note(`${request.method ?? "GET"} ${request.url} ${reason}; trying again in ${(waitMs / 1000).toFixed(1)}s`),
    });
  } catch (error) {
    if (ctx.signal.aborted) throw error;
    return undefined;
  }
}
