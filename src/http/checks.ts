// HTTP for the registries' token checks (PyPI's upload probe, npm's whoami): bounded retries
// on 429/5xx/timeouts that honour Retry-After, with a note to the responder on every wait.
import type { AxiosRequestConfig, AxiosResponse } from "axios";
import { OutboundRefusedError } from "../errors.js";
import { createHttp } from "./policy.js";
import { abortableSleep, defaultRetryPolicy, sendWithRetries } from "./retry.js";
import type { Steps } from "../rotation/steps.js";

/**
 * The final answer, or undefined when the registry could not be reached at all. The token goes
 * to the check's own address (a setting the responder confirmed) and nowhere else: a redirect
 * is refused, never followed.
 */
export async function checkRequest(
  request: AxiosRequestConfig & { url: string },
  ctx: { steps: Steps; signal: AbortSignal },
): Promise<AxiosResponse | undefined> {
  const http = createHttp({ timeoutMs: 20_000, credentialsFor: request.url });
  try {
    return await sendWithRetries(http, { ...request, signal: ctx.signal }, defaultRetryPolicy, {
      sleep: abortableSleep,
      onRetry: ({ waitMs, reason }) =>
        ctx.steps.note(`${request.method ?? "GET"} ${request.url} ${reason}; trying again in ${(waitMs / 1000).toFixed(1)}s`),
    });
  } catch (error) {
    if (ctx.signal.aborted || error instanceof OutboundRefusedError) throw error;
    return undefined;
  }
}
