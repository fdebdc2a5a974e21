// One object owns stdin, stdout and stderr and answers "may I prompt?". Everything the tool
// writes goes through it, and through redact(), so no secret reaches a terminal or a pipe.
import type { Readable, Writable } from "node:stream";
import { inert, terminalSafe } from "./secrets/inert.js";
import { redact, type Secret } from "./secrets/secret.js";
import { UsageError } from "./errors.js";
import { keyQuiet } from "./secrets/quiet-keys.js";

export interface IO {
  stdin: Readable & { isTTY?: boolean };
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable & { isTTY?: boolean };
  /** stdin and stdout are terminals and prompting was not switched off. */
  canPrompt: boolean;
  /** Colours and spinners: only on a terminal, and never when NO_COLOR is set. */
  color: boolean;
  /** Set while a question holds the terminal: the checklist draws nothing then. */
  prompting: boolean;
  /** Swallows keys typed on the terminal while rotate works, whenever stdin is one (see secrets/quiet-keys.ts). */
  quietKeys(on: boolean): void;
  /** Results for people or machines (the checklist, the team note, --json). */
  out(text: string): void;
  /** Progress and errors. */
  err(text: string): void;
  /**
   * The one deliberate exception to redaction: show a secret the responder must copy (a new
   * account password), on the terminal only, never into a pipe or file.
   */
  showSecretOnce(label: string, secret: Secret): void;
}

export interface IOOptions {
  noPrompt?: boolean;
  env?: NodeJS.ProcessEnv;
}

export function processIO(options: IOOptions = {}): IO {
  const env = options.env ?? process.env;
  const { stdin, stdout, stderr } = process;
  const interactive = Boolean(stdin.isTTY && stdout.isTTY);
  const quiet = keyQuiet(stdin);
  return {
    stdin,
    stdout,
    stderr,
    canPrompt: interactive && !options.noPrompt,
    prompting: false,
    quietKeys: (on) => quiet.set(on),
    // no-color.org: NO_COLOR counts when it is set to anything but the empty string.
    color: Boolean(stderr.isTTY) && !env.NO_COLOR,
    out: (text) => void stdout.write(redact(text)),
    err: (text) => void stderr.write(redact(text)),
    showSecretOnce(label, secret) {
      if (!stdout.isTTY) throw new UsageError(`${label} is shown only on a terminal, never into a pipe or a file: run this in a terminal`);
      unredactedWrite(stdout, `${label}: ${secret.reveal()}\n`);
    },
  };
}

/** The stream's own write, as it was before redactProcessOutput() wrapped it. */
const originalWrites = new WeakMap<object, (chunk: string) => boolean>();

function unredactedWrite(stream: Writable, text: string): void {
  (originalWrites.get(stream) ?? stream.write.bind(stream))(text);
}

/**
 * A last line of defence: wrap the process's own stdout and stderr so that anything written
 * by a dependency (a prompt library, a stray console.log) is redacted too, and cannot drive
 * the terminal. A terminal keeps the sequences rotate's spinner and prompts write on purpose;
 * a pipe or file gets none (rotate draws nothing there, and `cat` would replay them later).
 */
export function redactProcessOutput(): void {
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
    originalWrites.set(stream, write);
    const safe = stream.isTTY ? terminalSafe : inert;
    stream.write = (chunk: unknown, ...rest: unknown[]) => {
      const text = typeof chunk === "string" ? chunk : Buffer.isBuffer(chunk) ? chunk.toString("utf8") : chunk;
      return write(typeof text === "string" ? redact(safe(text)) : text, ...rest);
    };
  }
}
