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
  /**
   * Answers questions in whatever order they come, until the program exits: each time the screen
   * shows one of the patterns (after the last answer), types what its answer function gives.
   * Resolves with how many times each pattern was answered.
   */
  answerUntilDone(
    questions: Array<[question: RegExp, answer: () => string | Promise<string>]>,
  ): Promise<{ code: number; answered: number[] }>;
  done: Promise<{ code: number }>;
}

/** Strips ANSI escape sequences, for assertions on what a person reads. */
export function plain(text: string): string {
  return text.replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, "").replace(/\x1b[()][A-Z0-9]/g, "");
}

/** Answers the questions in order: waits for each one to appear after the previous answer. */
export async function converse(run: PtyRun, exchanges: Array<[question: RegExp, answer: string]>): Promise<void> {
  let from = 0;
  for (const [question, answer] of exchanges) {
    await run.expect(question, { from });
    from = run.screen().length;
    run.answer(answer);
  }
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
    async answerUntilDone(questions) {
      const answered = questions.map(() => 0);
      let from = 0;
      // After an answer the question is redrawn as it is typed, then marked ✔ when taken: look for
      // the next question only after that mark.
      let confirming = false;
      const look = () => {
        if (confirming) {
          // The answered question's own line ends it: what follows is new.
          const mark = screen.indexOf("✔", from);
          const lineEnd = mark < 0 ? -1 : screen.indexOf("\n", mark);
          if (lineEnd < 0) return;
          from = lineEnd + 1;
          confirming = false;
        }
        const shown = plain(screen.slice(from));
        const index = questions.findIndex(([question]) => question.test(shown));
        const found = questions[index];
        if (!found) return;
        answered[index] = (answered[index] ?? 0) + 1;
        from = screen.length;
        confirming = true;
        // An answer may have to be looked up first (the drill's current one-time code).
        void Promise.resolve(found[1]()).then((text) => pty.write(`${text}\r`));
      };
      waiters.add(look);
      look();
      const { code } = await done;
      waiters.delete(look);
      return { code, answered };
    },
    done,
  };
}
