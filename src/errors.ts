// The error types that become exit codes, in exactly one place (cli.ts maps them).
// Messages are one line: the cause, then what to do next.

export const ExitCode = {
  done: 0,
  nothingChanged: 1,
  usage: 2,
  needsHuman: 3,
} as const;

/** Bad flags, bad config, a missing answer in a non-interactive run. Nothing was touched. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** The run failed and every system is as it was before (or was put back). */
export class NothingChangedError extends Error {
  override name = "NothingChangedError";
}

/** The run stopped part-way; the message says what a human must do. */
export class NeedsHumanError extends Error {
  override name = "NeedsHumanError";
}
