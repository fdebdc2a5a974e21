// Request values read the way Warehouse's WebOb/WTForms see them: the first value of a field,
// absent when it was not sent. Bodies are urlencoded (site) or also multipart (upload).
import type { Request } from "express";

export function formField(req: Request, name: string): string | undefined {
  return firstString((req.body as Record<string, unknown> | undefined)?.[name]);
}

export function queryField(req: Request, name: string): string | undefined {
  return firstString((req.query as Record<string, unknown>)[name]);
}

/** WebOb's `request.params`: the query string first, then the body. */
export function requestParam(req: Request, name: string): string | undefined {
  return queryField(req, name) ?? formField(req, name);
}

function firstString(value: unknown): string | undefined {
  const first: unknown = Array.isArray(value) ? value[0] : value;
  return typeof first === "string" ? first : undefined;
}
