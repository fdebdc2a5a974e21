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

/** What the runbook reports its steps to: the whole checklist, or one rotation's line of a fleet's. */
export interface Checklist {
  step<T>(label: string, run: () => Promise<T>, describe?: (value: T) => string | undefined): Promise<T>;
  skip(label: string, why: string): void;
  /** A line under the current step (a retry, a wait, an instruction). */
  note(text: string): void;
}

/** One rotation of a fleet as one line: its steps show on the spinner while they run, then one line says how it went. */
export interface RotationLine extends Checklist {
  end(outcome: StepResult["outcome"], text: string): void;
}

export class Progress implements Checklist {
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

  /**
   * A fleet's rotation on one line, not a line per step: on a terminal the spinner shows
   * "name: <the step it is at>"; without one nothing is printed until it ends. Notes print as usual.
   */
  line(name: string): RotationLine {
    const started = this.now();
    return {
      step: async (label, run, describe) => {
        this.begin(`${name}: ${label}`, true);
        try {
          const value = await run();
          this.end("ok", describe?.(value), true);
          return value;
        } catch (error) {
          this.end("failed", undefined, true);
          throw error;
        }
      },
      skip: (label, why) => void this.results.push({ label: `${name}: ${label}`, outcome: "skipped", ms: 0, detail: why }),
      note: (text) => this.note(`${name}: ${text}`),
      end: (outcome, text) => {
        const timing = `${((this.now() - started) / 1000).toFixed(1)}s`;
        this.print(
          `${this.io.color ? fitLine(`${MARKS[outcome]} ${name}`, ` (${timing}): ${text}`, this.width) : `${MARKS[outcome]} ${name} (${timing}): ${text}`}\n`,
        );
      },
    };
  }

  skip(label: string, why: string): void {
    this.results.push({ label, outcome: "skipped", ms: 0, detail: why });
    this.print(`${MARKS.skipped} ${label}: ${why}\n`);
  }

  /** A line under the current step (a retry, a wait, an instruction); the spinner goes on below it. */
  note(text: string): void {
    this.print(`  ${text}\n`);
  }

  /** `quiet`: a step of a fleet's rotation line, which prints no line of its own. */
  private begin(label: string, quiet = false): void {
    this.current = { label, started: this.now() };
    // Keys typed while rotate works would be echoed in clear by the terminal: swallow them,
    // whatever the colours (NO_COLOR says nothing about echo; the IO acts only when stdin is a terminal).
    this.io.quietKeys(true);
    if (!this.io.color) {
      if (!quiet) this.io.err(`• ${label} …\n`);
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

  private end(outcome: "ok" | "failed", detail?: string, quiet = false): void {
    if (!this.current || this.io.prompting) return;
    const ms = this.now() - this.current.started;
    this.results.push({ label: this.current.label, outcome, ms, ...(detail ? { detail } : {}) });
    this.clearSpinnerLine();
    this.spinner?.stop();
    this.spinner = undefined;
    if (quiet) {
      this.current = undefined;
      return;
    }
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
