// The live checklist of runbook steps on stderr: a spinner and timings on a terminal, plain
// lines otherwise (pipes, CI, NO_COLOR). Each finished step is also recorded in the journal.
import type { IO } from "./io.js";

export interface StepResult {
  label: string;
  outcome: "ok" | "failed" | "skipped";
  ms: number;
  detail?: string;
}

const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
const MARKS = { ok: "✔", failed: "✖", skipped: "–" } as const;
const CLEAR_LINE = "\x1b[2K";

/** Calls `tick` every `ms` until stopped; tests pass one they drive by hand. */
export type Ticker = (tick: () => void, ms: number) => { stop(): void };

const intervalTicker: Ticker = (tick, ms) => {
  const timer = setInterval(tick, ms);
  timer.unref();
  return { stop: () => clearInterval(timer) };
};

export class Progress {
  readonly results: StepResult[] = [];
  private spinner: { stop(): void } | undefined;
  private current: { label: string; started: number } | undefined;
  private frame = 0;

  constructor(
    private readonly io: IO,
    private readonly now: () => number = Date.now,
    private readonly ticker: Ticker = intervalTicker,
  ) {}

  async step<T>(label: string, run: () => Promise<T>, describe?: (value: T) => string | undefined): Promise<T> {
    this.begin(label);
    try {
      const value = await run();
      this.end("ok", describe?.(value));
      return value;
    } catch (error) {
      this.end("failed");
      throw error;
    }
  }

  skip(label: string, why: string): void {
    this.results.push({ label, outcome: "skipped", ms: 0, detail: why });
    this.print(`${MARKS.skipped} ${label}: ${why}\n`);
  }

  /** A line under the current step (a retry, a wait, an instruction); the spinner goes on below it. */
  note(text: string): void {
    this.print(`  ${text}\n`);
  }

  private begin(label: string): void {
    this.current = { label, started: this.now() };
    if (!this.io.color) {
      this.io.err(`• ${label} …\n`);
      return;
    }
    this.frame = 0;
    this.draw();
    this.spinner = this.ticker(() => this.draw(), 100);
  }

  private draw(): void {
    if (!this.current || promptOpen(this.io)) return;
    const seconds = ((this.now() - this.current.started) / 1000).toFixed(0);
    this.io.err(`\r${CLEAR_LINE}${FRAMES[this.frame++ % FRAMES.length]} ${this.current.label} (${seconds}s)`);
  }

  /** Writes whole lines above the spinner, which is then drawn again under them. */
  private print(text: string): void {
    this.clearSpinnerLine();
    this.io.err(text);
    if (this.spinner) this.draw();
  }

  private end(outcome: "ok" | "failed", detail?: string): void {
    if (!this.current || promptOpen(this.io)) return;
    const ms = this.now() - this.current.started;
    this.results.push({ label: this.current.label, outcome, ms, ...(detail ? { detail } : {}) });
    this.clearSpinnerLine();
    this.spinner?.stop();
    this.spinner = undefined;
    const timing = `${(ms / 1000).toFixed(1)}s`;
    this.io.err(`${MARKS[outcome]} ${this.current.label} (${timing})${detail ? `: ${detail}` : ""}\n`);
    this.current = undefined;
  }

  private clearSpinnerLine(): void {
    if (this.spinner && !promptOpen(this.io)) this.io.err(`\r${CLEAR_LINE}`);
  }
}

/**
 * @inquirer/prompts holds the terminal in raw mode while a question is open (a password asked
 * in the middle of "Sign in"); drawing then would overwrite the question being answered.
 */
function promptOpen(io: IO): boolean {
  return (io.stdin as { isRaw?: boolean }).isRaw === true;
}
