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

export class Progress {
  readonly results: StepResult[] = [];
  private spinner: NodeJS.Timeout | undefined;
  private current: { label: string; started: number } | undefined;

  constructor(
    private readonly io: IO,
    private readonly now: () => number = Date.now,
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
    this.io.err(`${MARKS.skipped} ${label}: ${why}\n`);
  }

  /** A line under the current step (a retry, a wait, an instruction). */
  note(text: string): void {
    this.clearSpinnerLine();
    this.io.err(`  ${text}\n`);
  }

  private begin(label: string): void {
    this.current = { label, started: this.now() };
    if (!this.io.color) {
      this.io.err(`• ${label} …\n`);
      return;
    }
    let frame = 0;
    const draw = () => {
      const seconds = ((this.now() - (this.current?.started ?? this.now())) / 1000).toFixed(0);
      this.io.err(`\r\x1b[2K${FRAMES[frame++ % FRAMES.length]} ${label} (${seconds}s)`);
    };
    draw();
    this.spinner = setInterval(draw, 100);
    this.spinner.unref();
  }

  private end(outcome: "ok" | "failed", detail?: string): void {
    if (!this.current) return;
    const ms = this.now() - this.current.started;
    this.results.push({ label: this.current.label, outcome, ms, ...(detail ? { detail } : {}) });
    this.clearSpinnerLine();
    const timing = `${(ms / 1000).toFixed(1)}s`;
    this.io.err(`${MARKS[outcome]} ${this.current.label} (${timing})${detail ? `: ${detail}` : ""}\n`);
    this.current = undefined;
  }

  private clearSpinnerLine(): void {
    if (this.spinner) {
      clearInterval(this.spinner);
      this.spinner = undefined;
    }
    if (this.io.color && this.current) this.io.err("\r\x1b[2K");
  }
}
