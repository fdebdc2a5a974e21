// The bare WebOb error pages Warehouse answers with outside its own templates: "400 Bad CSRF
// Token" (docs/sites/pypi.md, "Sessions and CSRF"), "429 Too Many Failed Login Attempts" (docs/sites/pypi.md, "Sessions and CSRF") and the upload endpoint's errors,
// whose message is both the HTTP reason phrase and the detail (`_exc_with_message`, docs/sites/pypi.md, "Upload-endpoint probe").
import { STATUS_CODES } from "node:http";
import type { ErrorRequestHandler, Response } from "express";
import escapeHtml from "escape-html";

export interface WebobError {
  status: number;
  /** The reason phrase; WebOb also prints "{status} {reason}" as the page's title and h1. */
  reason: string;
  explanation: string;
  detail?: string;
  headers?: Record<string, string>;
}

export const EXPLANATIONS = {
  400: "The server could not comply with the request since it is either malformed or otherwise incorrect.",
  403: "Access was denied to this resource.",
  429: "The client has sent too many requests in a given amount of time.",
} as const;

export function webobError(res: Response, error: WebobError): void {
  const statusLine = `${error.status} ${error.reason}`;
  res.status(error.status);
  res.statusMessage = error.reason;
  for (const [name, value] of Object.entries(error.headers ?? {})) res.setHeader(name, value);
  // (inferred) WebOb picks text/html for any Accept that allows it (browsers, curl, axios all do);
  // it substitutes the status line unescaped and html-escapes the detail (quotes too).
  res
    .type("html")
    .send(
      `<html>\n <head>\n  <title>${statusLine}</title>\n </head>\n <body>\n  <h1>${statusLine}</h1>\n  ` +
        `${error.explanation}<br /><br />\n${escapeHtml(error.detail ?? "")}\n\n\n </body>\n</html>`,
    );
}

/** Last handler of each app: answers any stray error with a WebOb page and prints nothing. */
export const webobErrorHandler: ErrorRequestHandler = (err: { status?: number; statusCode?: number }, _req, res, _next) => {
  const status = err.status ?? err.statusCode ?? 500;
  webobError(res, {
    status,
    reason: STATUS_CODES[status] ?? "Error",
    explanation: status === 400 ? EXPLANATIONS[400] : "The server has either erred or is incapable of performing the requested operation.",
  });
};
