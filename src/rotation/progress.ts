// The live checklist of runbook steps on stderr: a spinner and timings on a terminal, plain
// lines otherwise (pipes, CI, NO_COLOR). Each finished step is also recorded in the journal.
import type { IO } from "../io.js";

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
    // Keys typed while rotate works would be echoed in clear by the terminal: swallow them,
    // whatever the colours (NO_COLOR says nothing about echo; the IO acts only when stdin is a terminal).
    this.io.quietKeys(true);
    if (!this.io.color) {
      this.io.err(`• ${label} …\n`);
      return;
    }
    this.frame = 0;
    this.draw();
    this.spinner = this.ticker(() => this.draw(), 100);
  }

  private draw(): void {
    if (!this.current || this.io.prompting) return;
    const seconds = ((this.now() - this.current.started) / 1000).toFixed(0);
    // A spinner line that wraps could not be redrawn in place: it is cut to the terminal's width.
    this.io.err(`\r${CLEAR_LINE}${fitLine(`${FRAMES[this.frame++ % FRAMES.length]} ${this.current.label}`, ` (${seconds}s)`, this.width)}`);
  }

  /** Writes whole lines above the spinner, which is then drawn again under them. */
  private print(text: string): void {
    this.clearSpinnerLine();
    this.io.err(text);
    if (this.spinner) this.draw();
  }

  private end(outcome: "ok" | "failed", detail?: string): void {
    if (!this.current || this.io.prompting) return;
    const ms = this.now() - this.current.started;
    this.results.push({ label: this.current.label, outcome, ms, ...(detail ? { detail } : {}) });
    this.clearSpinnerLine();
    this.spinner?.stop();
    this.spinner = undefined;
    const timing = `${(ms / 1000).toFixed(1)}s`;
    const line = this.io.color
      ? fitLine(`${MARKS[outcome]} ${this.current.label}`, ` (${timing})${detail ? `: ${detail}` : ""}`, this.width)
      : `${MARKS[outcome]} ${this.current.label} (${timing})${detail ? `: ${detail}` : ""}`;
    this.io.err(`${line}\n`);
    this.current = undefined;
  }

  /** The terminal's width; a log (no terminal) keeps whole lines. */
  private get width(): number {
    return (this.io.stderr as { columns?: number }).columns ?? Number.POSITIVE_INFINITY;
  }

  private clearSpinnerLine(): void {
    if (this.spinner && !this.io.prompting) this.io.err(`\r${CLEAR_LINE}`);
  }
}

/**
 * One checklist line cut to the width: the label gives way (ending in "…"), the tail — timing and
 * detail, where a token's last four characters are — stays whole; only a tail too long for the
 * line is cut, at its start.
 */
export function fitLine(head: string, tail: string, width: number): string {
  if (head.length + tail.length <= width) return head + tail;
  const room = width - tail.length - 1;
  if (room >= 8) return `${head.slice(0, room)}…${tail}`;
  return `${head.slice(0, 2)}…${tail.slice(tail.length - (width - 3))}`;
}
