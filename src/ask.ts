// Interactive prompts, in one module the tests can replace wholesale. Every question also has
// a non-interactive answer (flag, environment, config); when neither exists and prompting is
// impossible, the error says how to provide it. Prompts write to stderr: stdout is for results.
import type { IO } from "./io.js";
import { InterruptedError, UsageError } from "./errors.js";
import { Secret } from "./secrets/secret.js";

export interface Choice<T extends string> {
  name: string;
  value: T;
  /** Shown, but not choosable: why. */
  disabled?: string;
}

export interface InputOptions {
  default?: string;
  /** true, or why the answer cannot be taken (the prompt shows it and asks again, the refused answer cleared). */
  validate?: (answer: string) => true | string;
  /** How the answer reads once given (a yes/no question shows "yes" or "no", even for Enter). */
  shown?: (answer: string) => string;
}

export interface Prompter {
  input(message: string, options?: InputOptions): Promise<string>;
  /** Masked input; the answer is wrapped at once. */
  secret(message: string, label: string, options?: { showLast4?: boolean }): Promise<Secret>;
  confirm(message: string, defaultAnswer: boolean): Promise<boolean>;
  select<T extends string>(message: string, choices: Array<Choice<T>>): Promise<T>;
}

/** Ctrl-C at a prompt: the prompt library gives up with its own error; rotate says it in its words. */
async function interruptible<T>(prompt: Promise<T>): Promise<T> {
  try {
    return await prompt;
  } catch (error) {
    if (error instanceof Error && error.name === "ExitPromptError") throw new InterruptedError();
    throw error;
  }
}

const YES = /^(y|yes)$/i;
const YES_OR_NO = /^(y|yes|n|no)$/i;

export function inquirerPrompter(io: IO): Prompter {
  // Loaded on first use: most runs that need no prompt never pay for it.
  const prompts = () => import("@inquirer/prompts");
  const context = { input: io.stdin, output: io.stderr, clearPromptOnDone: false };
  const prompter: Prompter = {
    async input(message, options = {}) {
      const { input } = await prompts();
      const { validate, shown } = options;
      const answer = await interruptible(
        input(
          {
            message,
            ...(options.default ? { default: options.default } : {}),
            ...(validate ? { validate: (text: string) => validate(text.trim()) } : {}),
            ...(shown ? { transformer: (text: string, { isFinal }: { isFinal: boolean }) => (isFinal ? shown(text.trim()) : text) } : {}),
            // A refused answer is cleared, so the next one is not typed onto its end.
            theme: { validationFailureMode: "clear" },
          },
          context,
        ),
      );
      return answer.trim();
    },
    async secret(message, label, options = {}) {
      const { password } = await prompts();
      const value = await interruptible(password({ message, mask: "*" }, context));
      return new Secret(value.trim(), label, options);
    },
    // Only yes or no: "leaked" typed at "Was the old token exposed?" must not count as no.
    async confirm(message, defaultAnswer) {
      const yes = (text: string) => (text === "" ? defaultAnswer : YES.test(text));
      const answer = await prompter.input(`${message} (${defaultAnswer ? "Y/n" : "y/N"})`, {
        validate: (text) => text === "" || YES_OR_NO.test(text) || "answer yes or no (y/n)",
        shown: (text) => (yes(text) ? "yes" : "no"),
      });
      return yes(answer);
    },
    async select(message, choices) {
      const { select } = await prompts();
      return interruptible(select({ message, choices }, context));
    },
  };
  return prompter;
}

/** The asker flows and the runbook use: a prompt when one is possible, else a clear usage error. */
export class Ask {
  constructor(
    readonly io: IO,
    readonly prompter: Prompter,
  ) {}

  get canPrompt(): boolean {
    return this.io.canPrompt;
  }

  /** `howToProvide` completes "… is needed: <howToProvide>" for non-interactive runs. */
  async text(message: string, howToProvide: string, options: InputOptions = {}): Promise<string> {
    this.requirePrompt(message, howToProvide);
    return this.holding(() => this.prompter.input(message, options));
  }

  async secret(message: string, label: string, howToProvide: string): Promise<Secret> {
    this.requirePrompt(message, howToProvide);
    return this.holding(() => this.prompter.secret(message, label));
  }

  /**
   * A one-time code, echoed as it is typed (as npm's own CLI does), so a mistyped digit can be
   * seen: a code is single-use and expires in seconds.
   */
  async code(message: string, label: string, howToProvide: string): Promise<Secret> {
    this.requirePrompt(message, howToProvide);
    return new Secret((await this.holding(() => this.prompter.input(message))).replace(/\s+/g, ""), label);
  }

  async confirm(message: string, defaultAnswer: boolean, howToProvide: string): Promise<boolean> {
    this.requirePrompt(message, howToProvide);
    return this.holding(() => this.prompter.confirm(message, defaultAnswer));
  }

  async select<T extends string>(message: string, choices: Array<Choice<T>>, howToProvide: string): Promise<T> {
    this.requirePrompt(message, howToProvide);
    return this.holding(() => this.prompter.select(message, choices));
  }

  /**
   * A question holds the terminal: the spinner stops drawing, its line is cleared so the question
   * starts a line of its own, and typed keys go to the question again.
   */
  private async holding<T>(ask: () => Promise<T>): Promise<T> {
    this.io.prompting = true;
    this.io.quietKeys(false);
    if (this.io.color) this.io.err("\r\x1b[2K");
    try {
      return await ask();
    } finally {
      this.io.prompting = false;
    }
  }

  private requirePrompt(message: string, howToProvide: string): void {
    if (!this.io.canPrompt) {
      const question = message.replace(/[?:]\s*$/, "");
      throw new UsageError(`no terminal to ask "${question}": ${howToProvide}`);
    }
  }
}
