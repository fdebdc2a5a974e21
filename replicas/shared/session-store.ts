// The session store both website replicas use: memory only, and silent.
import session, { type SessionData } from "express-session";

/**
 * Sessions live in a MemoryStore, reached through this thin Store: express-session prints a
 * warning when handed a MemoryStore under NODE_ENV=production, and replicas must print nothing.
 */
export class SilentMemoryStore extends session.Store {
  private readonly memory = new session.MemoryStore();

  get(sid: string, callback: (err: unknown, data?: SessionData | null) => void): void {
    this.memory.get(sid, callback);
  }

  set(sid: string, data: SessionData, callback?: (err?: unknown) => void): void {
    this.memory.set(sid, data, callback);
  }

  destroy(sid: string, callback?: (err?: unknown) => void): void {
    this.memory.destroy(sid, callback);
  }
}
