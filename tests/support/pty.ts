// Runs the real CLI in a pseudo-terminal, so its prompts are the real masked prompts a responder
// sees, and a test can answer them like a person typing.
import { spawn as spawnPty, type IPty } from "node-pty";
import { CLI, type Sandbox } from "./cli.js";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

export interface PtyRun {
  pty: IPty;
  /** Everything the terminal showed so far, escape sequences included. */
  screen(): string;
  /** Waits until the terminal shows text matching the pattern (after `from`, an index into screen()). */
  expect(pattern: RegExp, options?: { timeoutMs?: number; from?: number }): Promise<void>;
  /** Types text followed by Enter. */
  answer(text: string): void;
  done: Promise<{ code: number }>;
}

/** Strips ANSI escape sequences, for assertions on what a person reads. */
export function plain(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, "").replace(/\x1b[()][A-Z0-9]/g, "");
}

export function startPty(args: string[], options: { dirs: Sandbox; env?: NodeJS.ProcessEnv; cols?: number }): PtyRun {
  const { dirs } = options;
  for (const dir of [dirs.home, dirs.tmp, dirs.cwd]) mkdirSync(dir, { recursive: true });
  const pty = spawnPty(process.execPath, [CLI, ...args], {
    name: "xterm-256color",
    cols: options.cols ?? 160,
    rows: 50,
    cwd: dirs.cwd,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: dirs.home,
      TMPDIR: dirs.tmp,
      XDG_STATE_HOME: join(dirs.home, ".local", "state"),
      TERM: "xterm-256color",
      ...options.env,
    },
  });
  let screen = "";
  const waiters = new Set<() => void>();
  pty.onData((data) => {
    screen += data;
    waiters.forEach((w) => w());
  });
  const done = new Promise<{ code: number }>((resolve) => pty.onExit(({ exitCode }) => resolve({ code: exitCode })));
  return {
    pty,
    screen: () => screen,
    expect(pattern, { timeoutMs = 30_000, from = 0 } = {}) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (pattern.test(plain(screen.slice(from)))) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve();
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`the terminal never showed ${pattern}; it shows:\n${plain(screen)}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    answer(text) {
      pty.write(`${text}\r`);
    },
    done,
  };
}
