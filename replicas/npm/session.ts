// The npm website's session side (docs/sites/npm.md, "Website session internals" "Other website internals"): the session
// cookie `wub`, the CSRF cookie `cs` that every form echoes in a hidden `csrftoken` field, and
// what the session remembers: who is signed in, a pending second step, escalation, one-off notices.
import { randomBytes, timingSafeEqual } from "node:crypto";
import type { Request, RequestHandler, Response } from "express";
import session, { type Session } from "express-session";
import { SilentMemoryStore } from "../shared/session-store.js";

export interface Notice {
  kind: "success" | "error";
  text: string;
}

interface NpmSessionData {
  username?: string;
  /** Password accepted; the second factor is still due. */
  pendingUsername?: string;
  /** Escalated until this instant (ms on the injected clock): the "don't ask again" cooldown. */
  escalatedUntil?: number;
  /** Escalated without the cooldown box: good for the next sensitive action only. */
  escalatedForOneAction?: boolean;
  notice?: Notice;
  /** A token value generated a moment ago; the list shows it once, then forgets it (docs/sites/npm.md, "The new token, shown once" step 9). */
  newToken?: string;
  /** The form an escalation interrupted, for the variant page shape to finish after the code. */
  pendingAction?: PendingAction;
}

export interface PendingAction {
  path: string;
  fields: Array<[string, string]>;
}

const SESSION_COOKIE = "wub";
const CSRF_COOKIE = "cs";
export const CSRF_FIELD = "csrftoken";
const CSRF_LOCAL = "npmCsrf";

export function sessionMiddleware(): RequestHandler {
  return session({
    name: SESSION_COOKIE,
    secret: randomBytes(32).toString("hex"),
    store: new SilentMemoryStore(),
    resave: false,
    saveUninitialized: false,
    // Plain http on loopback, so not Secure; the real lifetime is unknown (docs/sites/npm.md, "Website session internals"), so no Max-Age.
    cookie: { httpOnly: true, sameSite: "lax", secure: false, path: "/" },
  });
}

export function sessionOf(req: Request): Session & NpmSessionData {
  return req.session;
}

/** The value the `cs` cookie holds, set on first sight, for the page's hidden `csrftoken`. */
export function csrfToken(req: Request, res: Response): string {
  const known = (req.cookies as Record<string, string | undefined>)[CSRF_COOKIE] ?? (res.locals[CSRF_LOCAL] as string | undefined);
  if (known) return known;
  const token = randomBytes(24).toString("base64url");
  res.cookie(CSRF_COOKIE, token, { httpOnly: true, sameSite: "lax", path: "/" });
  res.locals[CSRF_LOCAL] = token;
  return token;
}

/**
 * Every POST must echo the `cs` cookie in `csrftoken` (the field keybridge captured, docs/sites/npm.md, "Website session internals"). What
 * npm answers otherwise is not documented: a 403 "Invalid CSRF token" page is inferred [I].
 */
export function requireCsrf(onFailure: RequestHandler): RequestHandler {
  return (req, res, next) => {
    if (req.method !== "POST") return next();
    const expected = (req.cookies as Record<string, string | undefined>)[CSRF_COOKIE];
    const given = (req.body as Record<string, unknown> | undefined)?.[CSRF_FIELD];
    if (expected && typeof given === "string" && sameText(expected, given)) return next();
    onFailure(req, res, next);
  };
}

function regenerate(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.regenerate((err) => (err ? reject(err) : resolve())));
}

/** After the password: a fresh session that only knows whose second factor is due. */
export async function startSecondStep(req: Request, username: string): Promise<void> {
  await regenerate(req);
  sessionOf(req).pendingUsername = username;
}

export async function signIn(req: Request, username: string): Promise<void> {
  await regenerate(req);
  sessionOf(req).username = username;
}

export async function signOut(req: Request): Promise<void> {
  await regenerate(req);
}

export function escalate(req: Request, cooldownUntil: number | undefined): void {
  const data = sessionOf(req);
  if (cooldownUntil === undefined) data.escalatedForOneAction = true;
  else data.escalatedUntil = cooldownUntil;
}

/** Shown on the next page that asks for it, then gone. */
export function popOnce<K extends "notice" | "newToken" | "pendingAction">(req: Request, key: K): NpmSessionData[K] {
  const data = sessionOf(req);
  const value = data[key];
  if (value !== undefined) delete data[key];
  return value;
}

/** `next` may only be a path on this site: "/x", never "//elsewhere" or "/\elsewhere". */
export function safeNext(next: unknown): string {
  return typeof next === "string" && /^\/(?![/\\])/.test(next) ? next : "/";
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Every field of a posted form, repeated names kept. */
export function formFields(req: Request): Array<[string, string]> {
  return Object.entries((req.body as Record<string, unknown> | undefined) ?? {}).flatMap(([name, value]) =>
    [value]
      .flat()
      .filter((v): v is string => typeof v === "string")
      .map((v): [string, string] => [name, v]),
  );
}

/** A single form field as text ("" when absent or repeated oddly). */
export function formText(req: Request, name: string): string {
  const value = (req.body as Record<string, unknown> | undefined)?.[name];
  return typeof value === "string" ? value : "";
}
