// The one outbound HTTP policy: every HTTP client rotate makes (CircleCI, the npm registry, the
// registries' token checks, the reachability check, OIDC exchange, the drill's front desk) is built
// here, and only here (tests/unit/outbound-policy.spec.ts finds every other place that could make
// one). A defence belongs to the layer every path goes through: the browser stopped following
// off-site redirects, and then the HTTP clients still did, carrying Circle-Token and the new token
// to whatever host a 307 named. So, for every request and every answer:
//  - no redirect is followed: a 3xx is an error that names where it pointed, and nothing is sent there;
//  - a credential (Circle-Token, Authorization, npm-otp, a cookie, basic auth, or a known secret
//    anywhere in the URL or the body) goes only to the one origin the client was made for;
//  - plain http:// only to this machine (loopback), and loopback never through a proxy from the
//    environment (HTTP_PROXY would carry it off the machine, in clear).
// axios loads on the first HTTP call, so commands that make none (`rotate --help`) start fast;
// and from its single-file CommonJS build, which Node reads in about two thirds of the time its
// tree of ES modules takes.
import { createRequire } from "node:module";
import type { AxiosInstance, AxiosResponse, AxiosStatic, InternalAxiosRequestConfig } from "axios";
import { OutboundRefusedError } from "../errors.js";
import { containsSecret } from "../secrets/secret.js";

export interface HttpOptions {
  timeoutMs: number;
  /**
   * The one origin this client's credentials belong to (CircleCI's API, the npm registry, the
   * upload endpoint a check probes). A client made without one sends no credential at all.
   */
  credentialsFor?: string;
  baseURL?: string;
  headers?: Record<string, string>;
  /** How an answer's body is read (default: JSON when it parses, else text). */
  transformResponse?: Array<(data: unknown) => unknown>;
}

/** Headers that carry a credential, lower-cased. */
const CREDENTIAL_HEADERS = ["circle-token", "authorization", "proxy-authorization", "npm-otp", "cookie"];
const REDIRECT = (status: number) => status >= 300 && status < 400;

/** 127.0.0.0/8, ::1 and localhost: the only hosts plain http may reach. */
export function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  return host === "localhost" || host === "::1" || /^127(?:\.\d{1,3}){3}$/.test(host);
}

/** Where a request goes, as the policy judges it (axios joins baseURL and url the same way). */
function destination(http: AxiosInstance, config: InternalAxiosRequestConfig): URL {
  return new URL(http.getUri(config));
}

/** What credential a request carries, in words for the refusal; undefined when none. */
function credentialOf(config: InternalAxiosRequestConfig, url: URL): string | undefined {
  const headers = config.headers.toJSON(true) as Record<string, unknown>;
  const header = Object.keys(headers).find((name) => CREDENTIAL_HEADERS.includes(name.toLowerCase()) && headers[name] != null);
  if (header) return `the ${header} header`;
  if (config.auth) return "basic authentication";
  if (containsSecret(url.href)) return "a secret in its address";
  const body: unknown = config.data;
  if (body !== undefined && body !== null && containsSecret(typeof body === "string" ? body : bodyText(body)))
    return "a secret in its body";
  return undefined;
}

function bodyText(body: unknown): string {
  if (body instanceof URLSearchParams) return body.toString();
  if (Buffer.isBuffer(body)) return body.toString("latin1");
  return JSON.stringify(body) ?? "";
}

export function createHttp(options: HttpOptions): AxiosInstance {
  const axios = createRequire(import.meta.url)("axios") as AxiosStatic;
  const owner = options.credentialsFor === undefined ? undefined : new URL(options.credentialsFor).origin;
  const http = axios.create({
    timeout: options.timeoutMs,
    maxRedirects: 0,
    // Every status is an answer the caller maps; a redirect never reaches it (below).
    validateStatus: () => true,
    ...(options.baseURL ? { baseURL: options.baseURL } : {}),
    ...(options.headers ? { headers: options.headers } : {}),
    ...(options.transformResponse ? { transformResponse: options.transformResponse } : {}),
  });

  http.interceptors.request.use((config) => {
    // Per-request settings cannot take the policy back.
    config.maxRedirects = 0;
    config.beforeRedirect = undefined;
    const url = destination(http, config);
    if (url.protocol !== "https:" && !(url.protocol === "http:" && isLoopback(url.hostname))) {
      throw new OutboundRefusedError(
        `rotate refused to send a request to ${url.origin}: only https:// may leave this machine (plain http:// only to 127.0.0.1 or localhost); check the address settings, then rerun`,
        { kind: "plain-http", to: url.origin },
      );
    }
    if (isLoopback(url.hostname)) config.proxy = false;
    const credential = credentialOf(config, url);
    if (credential && url.origin !== owner) {
      throw new OutboundRefusedError(
        owner
          ? `rotate refused to send ${credential} to ${url.origin}: it belongs to ${owner} only, so nothing was sent there`
          : `rotate refused to send ${credential} to ${url.origin}: this request was never meant to carry a credential, so nothing was sent`,
        { kind: "credential", to: url.origin },
      );
    }
    return config;
  });

  const refuseRedirect = (response: AxiosResponse): AxiosResponse => {
    if (!REDIRECT(response.status)) return response;
    const config = response.config;
    const from = destination(http, config);
    const location = String(response.headers.location ?? "");
    const target = URL.canParse(location, from) ? new URL(location, from).origin : "an address it did not give";
    const method = (config.method ?? "get").toUpperCase();
    throw new OutboundRefusedError(
      `${from.origin} answered the ${method} of ${from.pathname} with a redirect (${response.status}) to ${target}; rotate follows no redirect, so nothing was sent to ${target}`,
      { kind: "redirect", to: target, from: from.origin, method, path: from.pathname, status: response.status },
    );
  };
  http.interceptors.response.use(refuseRedirect, (error: unknown) => {
    const response = (error as { response?: AxiosResponse }).response;
    if (response) refuseRedirect(response);
    throw error;
  });
  return http;
}
