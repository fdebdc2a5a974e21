// Every error rotate raises on purpose, each with the exit code it ends the run with. cli.ts turns
// them into output and an exit code in exactly one place. Messages are one line: the cause, then
// what to do next.
export const ExitCode = {
  /** Done. */
  done: 0,
  /** Failed; every system is as it was before (or was put back). */
  nothingChanged: 1,
  /** Bad flags or configuration, or an answer missing in a non-interactive run. Nothing was touched. */
  usage: 2,
  /** Stopped part-way; the output says what a human must do. */
  needsHuman: 3,
  /** The responder said no at the confirmation; nothing changed. */
  cancelled: 4,
  /** `rotate status --expiring-within DAYS`: a token CircleCI holds expires within those days (a result, not an error). */
  expiringSoon: 5,
  /** Ctrl-C (or SIGTERM) before anything changed; 128 + SIGINT, as shells report it. */
  interrupted: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export abstract class RotateError extends Error {
  abstract readonly exitCode: ExitCodeValue;
}

export class UsageError extends RotateError {
  override name = "UsageError";
  readonly exitCode = ExitCode.usage;
}

export class NothingChangedError extends RotateError {
  override name = "NothingChangedError";
  readonly exitCode: ExitCodeValue = ExitCode.nothingChanged;
}

export class CancelledError extends RotateError {
  override name = "CancelledError";
  readonly exitCode = ExitCode.cancelled;
  constructor() {
    super("Cancelled, nothing changed");
  }
}

export class NeedsHumanError extends RotateError {
  override name = "NeedsHumanError";
  readonly exitCode = ExitCode.needsHuman;
}

export class InterruptedError extends RotateError {
  override name = "InterruptedError";
  readonly exitCode = ExitCode.interrupted;
  constructor() {
    super("interrupted (Ctrl-C)");
  }
}

/** The registry refused something (password, code, scope, a field): nothing changed by it. */
export class RegistryError extends NothingChangedError {
  override name = "RegistryError";
}

/** The site did not show what a step needed; the message names the step and what was missing. */
export class SiteChangedError extends NothingChangedError {
  override name = "SiteChangedError";
  constructor(
    message: string,
    /** What the step waited for on the page ("the npm sign-in form"), so the page it was on can be named. */
    readonly waitedFor?: string,
  ) {
    super(message);
  }
}

/** A step needs a person at a visible browser (a security key, a captcha), and the browser is headless. */
export class VisibleBrowserNeededError extends NothingChangedError {
  override name = "VisibleBrowserNeededError";
}

/** CircleCI refused or could not be reached; the message is the sentence a responder needs. */
export class CircleciError extends NothingChangedError {
  override name = "CircleciError";
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** What the outbound HTTP policy refused (src/http/policy.ts): where the request or the redirect was going. */
export interface Refused {
  kind: "redirect" | "credential" | "plain-http";
  /** The origin that would have received it. */
  to: string;
  /** For a redirect: the request that was answered with it. */
  from?: string;
  method?: string;
  path?: string;
  status?: number;
}

/** The outbound HTTP policy refused a request or an answer: nothing was sent where it does not belong. */
export class OutboundRefusedError extends NothingChangedError {
  override name = "OutboundRefusedError";
  constructor(
    message: string,
    readonly refused: Refused,
  ) {
    super(message);
  }
}

/** The browser was sent where the registry does not live: phishing, or a hijacked redirect. */
export class NavigationBlockedError extends NothingChangedError {
  override name = "NavigationBlockedError";
}

/** The responder closed the browser window, or the browser crashed. */
export class BrowserClosedError extends NothingChangedError {
  override name = "BrowserClosedError";
}

/** What a run that stopped part-way can tell: where each system stands, and the one next step. */
export interface Standing {
  readonly changedAnything: boolean;
  whereThingsStand(): string;
  /** `interrupted`: Ctrl-C stopped the run, which is then the whole cause. */
  nextStep(interrupted: boolean): string;
  /** What `--json`'s failure object adds (a fleet's entry per rotation). */
  details?(): Record<string, unknown>;
}

/**
 * A run (a rotation, a move to trusted publishing) stopped after it began; its journal says what
 * changed where. Anything changed: 3, a human must look; nothing changed: the code of what
 * stopped it (1, or 4 cancelled, 130 Ctrl-C).
 */
export class RunFailed extends RotateError {
  override name = "RunFailed";
  constructor(
    message: string,
    readonly reason: unknown,
    readonly journal: Standing,
  ) {
    super(message);
  }

  nextStep(): string {
    return this.journal.nextStep(this.reason instanceof InterruptedError);
  }

  get exitCode(): ExitCodeValue {
    if (this.journal.changedAnything) return ExitCode.needsHuman;
    return this.reason instanceof RotateError ? this.reason.exitCode : ExitCode.nothingChanged;
  }
}

/** The exit code any thrown value ends the run with. */
export function exitCodeOf(error: unknown): ExitCodeValue {
  return error instanceof RotateError ? error.exitCode : ExitCode.nothingChanged;
}

/** `--json`'s one object when a command fails, whatever stopped it: the error, the exit code, and where things stand. */
export function failureJson(error: unknown, describe: (error: unknown) => string): Record<string, unknown> {
  return {
    ok: false,
    error: describe(error),
    exitCode: exitCodeOf(error),
    ...(error instanceof RunFailed
      ? {
          whereThingsStand: error.journal
            .whereThingsStand()
            .split("\n")
            .slice(1)
            .map((line) => line.trim()),
          nextStep: error.nextStep(),
          ...error.journal.details?.(),
        }
      : {}),
  };
}
