// Bounded retries for the HTTP calls rotate makes (CircleCI, registry token checks): 429, 5xx,
// timeouts and dropped connections are retried with backoff that honours Retry-After; every
// other answer is returned to the caller to map.
import type { AxiosInstance, AxiosRequestConfig, AxiosResponse } from "axios";

export interface RetryPolicy {
  /** Total tries, the first one included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Give up rather than wait longer than this in total (a responder is waiting). */
  maxTotalWaitMs: number;
  /**
   * A service that accepts connections but does not answer is given this long, all tries
   * together, before the call fails as "not answering": a responder waits for it.
   */
  noAnswerBudgetMs: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  attempts: 5,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxTotalWaitMs: 120_000,
  noAnswerBudgetMs: 30_000,
};

/** How long one request waits for an answer: three tries fit the no-answer budget. */
export const ANSWER_TIMEOUT_MS = 10_000;

/** A service that took every try of its no-answer budget without answering. */
export class NoAnswerError extends Error {
  override name = "NoAnswerError";
  constructor(
    readonly seconds: number,
    override readonly cause: unknown,
  ) {
    super(`no answer within ${seconds} s`);
  }
}

export interface RetryNotice {
  attempt: number;
  waitMs: number;
  reason: string;
}

export interface RetryDeps {
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  onRetry?: (notice: RetryNotice) => void;
  random?: () => number;
  now?: () => number;
}

export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

const RETRYABLE_CODES = new Set(["ECONNABORTED", "ETIMEDOUT", "ECONNRESET", "EPIPE", "EAI_AGAIN", "ERR_NETWORK"]);

function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

/** Retry-After is either delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function retryAfterMs(header: unknown, now: number): number | undefined {
  if (typeof header !== "string" || header.trim() === "") return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function backoffMs(attempt: number, policy: RetryPolicy, random: () => number): number {
  const exponential = policy.baseDelayMs * 2 ** (attempt - 1);
  return Math.min(policy.maxDelayMs, exponential * (0.5 + random() / 2));
}

/**
 * Sends the request, retrying what is worth retrying. Resolves with the last response (which
 * may still be a 429 or 5xx when the budget ran out); rejects with the last network error.
 */
export async function sendWithRetries(
  http: AxiosInstance,
  request: AxiosRequestConfig,
  policy: RetryPolicy,
  deps: RetryDeps,
): Promise<AxiosResponse> {
  const random = deps.random ?? Math.random;
  const now = deps.now ?? Date.now;
  const started = now();
  let waited = 0;
  for (let attempt = 1; ; attempt++) {
    let response: AxiosResponse | undefined;
    let failure: unknown;
    try {
      const answer = await http.request<unknown, AxiosResponse>({ ...request, validateStatus: () => true });
      if (!isRetryableStatus(answer.status)) return answer;
      response = answer;
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (!code || !RETRYABLE_CODES.has(code)) throw error;
      failure = error;
    }
    const wait = (response && retryAfterMs(response.headers["retry-after"], now())) ?? backoffMs(attempt, policy, random);
    // No answer at all (a timeout, a dropped connection) is retried only within its budget.
    const silentTooLong = !response && now() - started + wait >= policy.noAnswerBudgetMs;
    if (silentTooLong) throw new NoAnswerError(Math.round(policy.noAnswerBudgetMs / 1000), failure);
    const giveUp = attempt >= policy.attempts || waited + wait > policy.maxTotalWaitMs;
    if (giveUp) {
      if (response) return response;
      throw failure;
    }
    const reason = response ? `answered ${response.status}` : `failed (${(failure as { code: string }).code})`;
    deps.onRetry?.({ attempt, waitMs: wait, reason });
    await deps.sleep(wait, request.signal as AbortSignal | undefined);
    waited += wait;
  }
}
