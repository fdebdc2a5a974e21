// Request plumbing shared by every route: reading the credentials, recording each call, answering
// errors as `{"message" : …}` the way the live API prints JSON, and routing both slug encodings.
import type { IncomingMessage, RequestListener } from "node:http";
import type { ErrorRequestHandler, Request, RequestHandler, Response } from "express";
import type { z } from "zod";
import { MESSAGES } from "./messages.js";
import type { RecordedCall } from "./options.js";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function fail(status: number, message: string): never {
  throw new ApiError(status, message);
}

export function parse<T>(schema: z.ZodType<T>, input: unknown): T {
  const result = schema.safeParse(input);
  return result.success ? result.data : fail(400, result.error.issues[0]?.message ?? MESSAGES.badBody);
}

// docs/sites/circleci.md, "Errors": the live API pretty-prints JSON with a space before each colon ("message" : "…").
function liveJson(body: unknown): string {
  return JSON.stringify(body, null, 2).replace(/^(\s*"(?:[^"\\]|\\.)*"):/gm, "$1 :");
}

export function send(res: Response, status: number, body: unknown): void {
  res.status(status).type("application/json").send(liveJson(body));
}

export function queryOf(req: Request): Record<string, string> {
  return Object.fromEntries(new URL(req.originalUrl, "http://replica").searchParams);
}

export interface Credentials {
  kind: RecordedCall["auth"];
  token?: string;
}

// docs/sites/circleci.md, "Authentication": Circle-Token, Bearer and Basic ("<token>:" or the bare token) all carry the token.
function readCredentials(req: Request): Credentials {
  if ("circle-token" in queryOf(req)) return { kind: "query" };
  const circleToken = req.get("circle-token");
  if (circleToken) return { kind: "circle-token", token: circleToken };
  const [scheme = "", param = ""] = (req.get("authorization") ?? "").trim().split(/\s+/);
  if (/^bearer$/i.test(scheme)) return { kind: "bearer", token: param };
  if (/^basic$/i.test(scheme)) {
    const [token = ""] = Buffer.from(param, "base64").toString("utf8").split(":", 1);
    return { kind: "basic", token };
  }
  return { kind: "none" };
}

/** Where the URL as sent is kept once the slashes in it are decoded. */
const RAW_URL = Symbol("raw url");

interface RequestState {
  call: RecordedCall;
  credentials: Credentials;
}
const STATE = "circleciRequest";
const stateOf = (res: Response): RequestState => res.locals[STATE] as RequestState;

export const credentialsOf = (res: Response): Credentials => stateOf(res).credentials;

/** Records every request on arrival, before anything can reject it. */
export function recordCalls(calls: RecordedCall[]): RequestHandler {
  return (req, res, next) => {
    const credentials = readCredentials(req);
    const rawPath = ((req as Request & { [RAW_URL]?: string })[RAW_URL] ?? req.originalUrl).split("?")[0] ?? "";
    const call: RecordedCall = {
      method: req.method,
      path: req.path,
      rawPath,
      query: queryOf(req),
      body: undefined,
      auth: credentials.kind,
    };
    calls.push(call);
    res.locals[STATE] = { call, credentials } satisfies RequestState;
    next();
  };
}

export const keepBody: RequestHandler = (req, res, next) => {
  stateOf(res).call.body = req.body;
  next();
};

export const answerErrors: ErrorRequestHandler = (err: unknown, _req, res, _next) => {
  if (err instanceof ApiError) return send(res, err.status, { message: err.message });
  const status = (err as { status?: unknown }).status;
  if (typeof status === "number" && status >= 400 && status < 500) {
    // body-parser keeps the unparseable text on the error; the test record wants it.
    const rawBody = (err as { body?: unknown }).body;
    if (typeof rawBody === "string") stateOf(res).call.body = rawBody;
    return send(res, status, { message: MESSAGES.badBody });
  }
  send(res, 500, { message: MESSAGES.internal });
};

// docs/sites/circleci.md, "Project slugs": "The `/` characters may be URL-escaped"; decode them
// before routing so both slug forms match, as CircleCI's own CLI fake does. The query string is left alone.
export function decodeEscapedSlashes(app: RequestListener): RequestListener {
  return (req, res) => {
    const url = req.url ?? "/";
    (req as IncomingMessage & { [RAW_URL]?: string })[RAW_URL] = url;
    const queryStart = url.includes("?") ? url.indexOf("?") : url.length;
    req.url = url.slice(0, queryStart).replace(/%2F/gi, "/") + url.slice(queryStart);
    app(req, res);
  };
}
