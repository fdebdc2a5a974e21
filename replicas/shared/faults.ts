// Fault injection shared by the replicas: a test (or a drill) says "the next N requests that
// match this method and path answer like this", and the replica's first middleware obeys.
import type { NextFunction, Request, RequestHandler, Response } from "express";

export type Fault =
  /** Answer with this status (and headers/body) instead of the real handler. */
  | { kind: "status"; status: number; headers?: Record<string, string>; body?: string }
  /** Never answer; the connection stays open until the client gives up or the replica closes. */
  | { kind: "hang" }
  /** Answer normally, but only once `release` settles; `onHeld` fires when the request arrives. */
  | { kind: "hold"; release: Promise<unknown>; onHeld?: () => void }
  /** Forget the caller's session before the handler runs, as if it had expired. */
  | { kind: "session-expired" }
  /** Make the handler demand re-authentication (PyPI "Confirm password", npm escalation). */
  | { kind: "reauth" }
  /**
   * Answer normally, with this script added at the end of the HTML page: a page that an
   * attacker injected into or hijacked, for drills of the browser guard.
   */
  | { kind: "script"; source: string };

export interface FaultRule {
  method?: string;
  /** Exact path (no query string) or a pattern tested against it. */
  path: string | RegExp;
  /** Narrows the match further, e.g. on a parsed form field (create vs delete on one route). */
  when?: (req: Request) => boolean;
  /** How many matching requests to let through untouched first. */
  skip?: number;
  /** How many matching requests get the fault; default 1. */
  times?: number;
  fault: Fault;
}

export interface FaultHit {
  method: string;
  path: string;
  kind: Fault["kind"];
}

interface ArmedRule extends FaultRule {
  skipLeft: number;
  timesLeft: number;
}

/** Set on res.locals when a "reauth" fault matched; replicas check it in their re-auth gate. */
export const FORCE_REAUTH = "forceReauth";

export class FaultPlan {
  private rules: ArmedRule[] = [];
  readonly hits: FaultHit[] = [];

  add(rule: FaultRule): this {
    this.rules.push({ ...rule, skipLeft: rule.skip ?? 0, timesLeft: rule.times ?? 1 });
    return this;
  }

  clear(): void {
    this.rules = [];
  }

  /** The express middleware; mount it after the session and body parsers, before every route. */
  middleware(): RequestHandler {
    return (req: Request, res: Response, next: NextFunction) => {
      const rule = this.take(req);
      if (!rule) return next();
      this.hits.push({ method: req.method, path: req.path, kind: rule.fault.kind });
      applyFault(rule.fault, req, res, next);
    };
  }

  private take(req: Request): ArmedRule | undefined {
    for (const rule of this.rules) {
      if (rule.timesLeft <= 0) continue;
      if (rule.method && rule.method.toUpperCase() !== req.method.toUpperCase()) continue;
      const matches = typeof rule.path === "string" ? rule.path === req.path : rule.path.test(req.path);
      if (!matches || (rule.when && !rule.when(req))) continue;
      if (rule.skipLeft > 0) {
        rule.skipLeft -= 1;
        continue;
      }
      rule.timesLeft -= 1;
      return rule;
    }
    return undefined;
  }
}

function applyFault(fault: Fault, req: Request, res: Response, next: NextFunction): void {
  switch (fault.kind) {
    case "status":
      res.status(fault.status);
      for (const [name, value] of Object.entries(fault.headers ?? {})) res.setHeader(name, value);
      res.send(fault.body ?? "");
      return;
    case "hang":
      return;
    case "hold":
      fault.onHeld?.();
      fault.release.then(
        () => next(),
        () => next(),
      );
      return;
    case "session-expired": {
      const session = (req as Request & { session?: { regenerate(cb: (err?: unknown) => void): void } }).session;
      if (!session) return next();
      session.regenerate(() => next());
      return;
    }
    case "reauth":
      res.locals[FORCE_REAUTH] = true;
      next();
      return;
    case "script": {
      const send = res.send.bind(res);
      res.send = ((body?: unknown) =>
        send(
          typeof body === "string" && body.includes("</body>") ? body.replace("</body>", `<script>${fault.source}</script></body>`) : body,
        )) as Response["send"];
      next();
      return;
    }
  }
}
