// One object owns stdin, stdout and stderr and answers "may I prompt?". Everything the tool
// writes goes through it, and through redact(), so no secret reaches a terminal or a pipe.
import type { Readable, Writable } from "node:stream";
import { redact } from "./secret.js";

export interface IO {
  stdin: Readable & { isTTY?: boolean };
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable & { isTTY?: boolean };
  /** stdin and stdout are terminals and prompting was not switched off. */
  canPrompt: boolean;
  /** Colours and spinners: only on a terminal, and never when NO_COLOR is set. */
  color: boolean;
  /** Results for people or machines (the checklist, the team note, --json). */
  out(text: string): void;
  /** Progress and errors. */
  err(text: string): void;
}

export interface IOOptions {
  noPrompt?: boolean;
  env?: NodeJS.ProcessEnv;
}

export function processIO(options: IOOptions = {}): IO {
  const env = options.env ?? process.env;
  const { stdin, stdout, stderr } = process;
  const interactive = Boolean(stdin.isTTY && stdout.isTTY);
  return {
    stdin,
    stdout,
    stderr,
    canPrompt: interactive && !options.noPrompt,
    color: Boolean(stderr.isTTY) && env.NO_COLOR === undefined,
    out: (text) => void stdout.write(redact(text)),
    err: (text) => void stderr.write(redact(text)),
  };
}

/**
 * A last line of defence: wrap the process's own stdout and stderr so that anything written
 * by a dependency (a prompt library, Playwright's debug output, a stray console.log) is
 * redacted too.
 */
export function redactProcessOutput(): void {
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      const text = typeof chunk === "string" ? chunk : Buffer.isBuffer(chunk) ? chunk.toString("utf8") : chunk;
      return write(typeof text === "string" ? redact(text) : text, ...rest);
    }) as typeof stream.write;
  }
}
