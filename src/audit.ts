// The audit record: one JSON line per step outcome, appended as the run goes, under the user's
// state directory. Names, last four characters, timestamps and who ran it; never a secret, and
// never a control sequence (jsonl.ts).
import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import { homedir, platform, userInfo } from "node:os";
import { dirname, join } from "node:path";
import { z } from "zod";
import { appendJsonLine, readJsonLines } from "./jsonl.js";

export function auditPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.XDG_STATE_HOME) return join(env.XDG_STATE_HOME, "rotate", "audit.jsonl");
  const home = env.HOME ?? homedir();
  if (platform() === "darwin") return join(home, "Library", "Application Support", "rotate", "audit.jsonl");
  if (platform() === "win32") return join(env.LOCALAPPDATA ?? join(home, "AppData", "Local"), "rotate", "audit.jsonl");
  return join(home, ".local", "state", "rotate", "audit.jsonl");
}

const AuditLine = z.object({
  at: z.string(),
  run: z.string(),
  by: z.string(),
  registry: z.string(),
  /** The rotation's name, when it was one of a fleet's (`rotations` in rotate.config.json). */
  rotation: z.string().optional(),
  envVar: z.string(),
  where: z.string(),
  step: z.string(),
  outcome: z.enum(["ok", "failed", "skipped", "warning"]),
  detail: z.string().optional(),
  newToken: z.object({ name: z.string(), last4: z.string(), expires: z.string().nullable() }).optional(),
});
export type AuditLine = z.infer<typeof AuditLine>;

export function whoRan(env: NodeJS.ProcessEnv = process.env): string {
  try {
    return userInfo().username;
  } catch {
    return env.USER ?? env.USERNAME ?? "unknown";
  }
}

/** One run's writer: every line it appends carries the same run id and who ran it. */
export type AuditRun = (line: Omit<AuditLine, "run" | "by">) => void;

export class AuditLog {
  constructor(readonly path: string) {}

  /** The audit record under the user's state directory, opened for one run. */
  static startRun(env: NodeJS.ProcessEnv): AuditRun {
    const log = new AuditLog(auditPath(env));
    const stamp = { run: randomUUID(), by: whoRan(env) };
    return (line) => log.append({ ...line, ...stamp });
  }

  append(line: AuditLine): void {
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    appendJsonLine(this.path, line, 0o600);
  }

  /** Every well-formed line; a damaged line is skipped rather than failing a status check. */
  read(): AuditLine[] {
    return readJsonLines(this.path, AuditLine);
  }
}
