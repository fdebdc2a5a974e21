#!/usr/bin/env node
// The entry point: build the runtime, parse argv, run the command, and turn every outcome into
// output and an exit code in exactly one place. What it imports here only defines the commands;
// heavy modules (validation, Playwright, prompts, replicas, axios) load only when a command runs,
// so `rotate --help` starts fast (tests/e2e/startup.spec.ts).
import { readFileSync } from "node:fs";
import { Command, CommanderError } from "./commander.js";
import { demoCommand } from "./commands/demo.js";
import { discoverCommand } from "./commands/discover.js";
import { initCommand } from "./commands/init.js";
import { passwordCommand } from "./commands/password.js";
import { rotateCommand } from "./commands/rotate.js";
import { sandboxCommand } from "./commands/sandbox.js";
import { statusCommand } from "./commands/status.js";
import { trustCommand } from "./commands/trust.js";
import { debugSwitchOn, refusal } from "./browser/debug-switches.js";
import { CancelledError, ExitCode, InterruptedError, RotateError, RunFailed, exitCodeOf, failureJson } from "./errors.js";
import { processIO, redactProcessOutput, type IO } from "./io.js";
import { registries } from "./registries.js";
import type { Runtime } from "./runtime.js";
import { describeError } from "./secrets/secret.js";

const version = (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;

/** Prints the failure and returns its exit code. */
function report(error: unknown, io: IO): number {
  const reason = error instanceof RunFailed ? error.reason : error;
  if (reason instanceof CancelledError) {
    io.err(`rotate: ${reason.message}\n`);
  } else if (error instanceof RunFailed) {
    // Whatever stopped it, say where each system stands and what to do next.
    io.err(`\nrotate: ${error.message}\n${error.journal.whereThingsStand()}\nNext step: ${error.nextStep()}\n`);
  } else if (error instanceof InterruptedError) {
    io.err("rotate: interrupted before anything changed\n");
  } else if (error instanceof RotateError) {
    io.err(`rotate: ${describeError(error)}\n`);
  } else {
    io.err(`rotate: failed before changing anything: ${describeError(error)}\n`);
  }
  return exitCodeOf(error);
}

/** Ctrl-C or SIGTERM aborts the run, which then cleans up; a second one stops at once. */
function interruptOnSignals(io: IO): AbortSignal {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      io.err(
        `\nrotate: stopped by a second ${signal} during clean-up; check the registry (its tokens, its settings) and CircleCI for what this run changed\n`,
      );
      process.exit(ExitCode.needsHuman);
    }
    io.err(`\nrotate: ${signal} received, stopping and cleaning up (press Ctrl-C again to stop at once)\n`);
    controller.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return controller.signal;
}

/**
 * The real collaborators, built when a command runs (never for --help or --version); heavy ones
 * (Playwright, axios) load on first use. Core dumps go off here, before anything reads a secret.
 */
async function processRuntime(io: IO, signal: AbortSignal): Promise<Runtime> {
  const cautions = [(await import("./browser/core-dumps.js")).keepCoreDumpsOff().note].filter((note): note is string => note !== undefined);
  if (!(await import("./browser/profile.js")).useSandbox())
    cautions.push("Chromium runs without its sandbox, because rotate runs as root: run rotate as an ordinary user where you can");
  const { inquirerPrompter } = await import("./ask.js");
  const { abortableSleep } = await import("./http/retry.js");
  const { CircleciClient } = await import("./circleci/client.js");
  const { findBrowser } = await import("./browser/finder.js");
  return {
    io,
    prompter: inquirerPrompter(io),
    env: process.env,
    cwd: process.cwd(),
    clock: () => new Date(),
    signal,
    registries,
    circleci: ({ baseUrl, token, onRetry }) =>
      new CircleciClient({ baseUrl, token, signal, retry: { sleep: abortableSleep, ...(onRetry ? { onRetry } : {}) } }),
    findBrowser,
    launchBrowser: async (options) => {
      const { browserEnv, launchIsolated } = await import("./browser/launch.js");
      return launchIsolated({ ...options, env: browserEnv(options.env) });
    },
    reachable: async (url) => (await import("./http/reachable.js")).reachable(url),
    sleep: abortableSleep,
    replicas: async () => (await import("./drill/replicas.js")).loadReplicas(),
    cautions,
  };
}

async function main(argv: string[]): Promise<number> {
  // Before anything reads a secret: no debug logging or inspection (core dumps go off as a command starts).
  const debugging = debugSwitchOn(process.env, process.execArgv);
  if (debugging) {
    process.stderr.write(`${refusal(debugging)}\n`);
    return ExitCode.usage;
  }
  // `rotate --help | head -1`: the reader went away; that is the end, not a failure.
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(ExitCode.done);
  });
  redactProcessOutput();
  const io = processIO({ noPrompt: argv.includes("--no-input") });
  process.on("unhandledRejection", (reason) => {
    io.err(`rotate: unexpected failure: ${describeError(reason)}\n`);
    process.exit(ExitCode.nothingChanged);
  });
  const signal = interruptOnSignals(io);
  // `--json` promises one object on stdout in every outcome: a failure's is printed here, for every command.
  const json = argv.slice(2, argv.includes("--") ? argv.indexOf("--") : undefined).includes("--json");
  const guarded = async (work: (runtime: Runtime) => Promise<number>) => {
    try {
      return await work(await processRuntime(io, signal));
    } catch (error) {
      if (json) io.out(`${JSON.stringify(failureJson(error, describeError))}\n`);
      return report(error, io);
    }
  };

  const program = new Command("rotate")
    .version(version)
    .description("Rotate the npm and PyPI publishing tokens that CircleCI holds, as a guided runbook.")
    .showSuggestionAfterError(true)
    .showHelpAfterError("(run rotate --help for usage)")
    .addHelpText(
      "after",
      `
Examples:
  $ npm start                 # a demo rotation of both tokens on the built-in replicas
  $ rotate init               # write rotate.config.json for your project (no secrets)
  $ rotate status             # which tokens CircleCI holds and when they expire
  $ rotate npm                # rotate NPM_TOKEN, guided
  $ rotate pypi --leaked      # PYPI_TOKEN leaked: delete it first, then replace it
  $ rotate trust npm          # npm trusted publishing from CircleCI; then retire NPM_TOKEN
  $ rotate discover --org gh/mozilla   # every publishing token CircleCI holds there (no changes)
Run rotate <command> --help for each command's options.`,
    )
    .configureOutput({ writeOut: (text) => io.out(text), writeErr: (text) => io.err(text) })
    .exitOverride();
  // Each command's work (its -run.ts) loads when it runs: `rotate --help` never pays for it.
  const commands = [
    ...registries.map((registry) =>
      rotateCommand(registry, (flags) =>
        guarded(async (runtime) => (await import("./commands/rotate-run.js")).runRotate(registry, flags, runtime)),
      ),
    ),
    demoCommand(() => guarded(async (runtime) => (await import("./commands/demo-run.js")).runDemo(runtime))),
    initCommand((flags) => guarded(async (runtime) => (await import("./commands/init-run.js")).runInit(flags, runtime))),
    statusCommand(registries, (flags) => guarded(async (runtime) => (await import("./commands/status-run.js")).runStatus(flags, runtime))),
    passwordCommand(registries, (registry, flags) =>
      guarded(async (runtime) => (await import("./commands/password-run.js")).runPassword(registry, flags, runtime)),
    ),
    trustCommand(registries, (registry, flags) =>
      guarded(async (runtime) => (await import("./commands/trust-run.js")).runTrust(registry, flags, runtime)),
    ),
    sandboxCommand(() => guarded(async (runtime) => (await import("./commands/sandbox-run.js")).runSandbox(runtime))),
    discoverCommand(registries, (flags) =>
      guarded(async (runtime) => (await import("./commands/discover-run.js")).runDiscover(flags, runtime)),
    ),
  ];
  // addCommand() does not pass on exitOverride, suggestions and output: copy them explicitly.
  for (const command of commands) program.addCommand(command.copyInheritedSettings(program));

  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version "fail" with code 0; everything else commander rejects is usage.
      if (error.exitCode === 0) return ExitCode.done;
      if (json) io.out(`${JSON.stringify({ ok: false, error: error.message.replace(/^error: /, ""), exitCode: ExitCode.usage })}\n`);
      return ExitCode.usage;
    }
    throw error;
  }
  return typeof process.exitCode === "number" ? process.exitCode : ExitCode.done;
}

// Exit as soon as the outcome is printed: a step abandoned on Ctrl-C or a dead browser may still
// be retrying in the background, and nothing it could do matters any more. (Writes to pipes,
// files and terminals are synchronous on Linux and macOS, so nothing printed is lost.)
process.exit(await main(process.argv));
