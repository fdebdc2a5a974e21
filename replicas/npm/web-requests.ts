// The registry's pending browser hand-offs: a CLI login (`sessionId`) or a web one-time code
// (`authId`), each waiting for the person to finish on the website while the client polls the
// done URL (docs/sites/npm.md, "Web login" and "Web one-time codes").
import { randomUUID } from "node:crypto";

export type WebRequestKind = "login" | "otp";

interface WebRequest {
  kind: WebRequestKind;
  /** A one-time code is for one account; a login is for whoever signs in. */
  username?: string;
  created: number;
  /** The session token or one-time code, once the person finished. */
  result?: string;
}

/** How long a hand-off waits for the person; npm does not say (docs: open questions) [I]. */
const WAIT_MS = 10 * 60_000;

export class WebRequests {
  private readonly pending = new Map<string, WebRequest>();

  constructor(private readonly now: () => Date) {}

  open(kind: WebRequestKind, username?: string): string {
    const id = randomUUID();
    this.pending.set(id, { kind, username, created: this.now().getTime() });
    return id;
  }

  /** A hand-off of this kind that is still waiting for the person (not finished, not expired). */
  waiting(kind: WebRequestKind, id: string): { username?: string } | undefined {
    const request = this.live(kind, id);
    return request && request.result === undefined ? { username: request.username } : undefined;
  }

  finish(id: string, result: string): void {
    const request = this.pending.get(id);
    if (request) request.result = result;
  }

  /**
   * What the done URL answers: still waiting, the result (handed out once, then forgotten [I]),
   * or nothing for an unknown or expired id.
   */
  collect(kind: WebRequestKind, id: string): { waiting: true } | { result: string } | undefined {
    const request = this.live(kind, id);
    if (!request) return undefined;
    if (request.result === undefined) return { waiting: true };
    this.pending.delete(id);
    return { result: request.result };
  }

  private live(kind: WebRequestKind, id: string): WebRequest | undefined {
    const request = this.pending.get(id);
    if (!request || request.kind !== kind) return undefined;
    if (this.now().getTime() - request.created > WAIT_MS) {
      this.pending.delete(id);
      return undefined;
    }
    return request;
  }
}
