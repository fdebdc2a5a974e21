#!/usr/bin/env node
// The entry point: parse argv, run the command, and turn every outcome into an exit code in
// exactly one place. Heavy modules (Playwright, prompts, replicas) load only when a command
// needs them, so `rotate --help` starts fast.
import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { keepCoreDumpsOff } from "./core-dumps.js";
import { debugSwitchOn, refusal } from "./debug-switches.js";
import { ExitCode, NeedsHumanError, NothingChangedError, UsageError } from "./errors.js";
import { processIO, redactProcessOutput, type IO } from "./io.js";
import { describeError } from "./secret.js";
import type { Runtime } from "./commands/rotate.js";

const version = (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;

/** Prints the failure and returns its exit code. */
async function report(error: unknown, io: IO): Promise<number> {
  const { RotationFailed, InterruptedError } = await import("./runbook.js");
  if (error instanceof RotationFailed) {
    const { whereThingsStand, nextStep } = await import("./standing.js");
    const command = `rotate ${error.journal.registry.toLowerCase()}`;
    io.err(`\nrotate: ${error.message}\n${whereThingsStand(error.journal)}\nNext step: ${nextStep(error.journal, command)}\n`);
    return error.journal.changedAnything ? ExitCode.needsHuman : ExitCode.nothingChanged;
  }
  if (error instanceof UsageError) {
    io.err(`rotate: ${error.message}\n`);
    return ExitCode.usage;
  }
  if (error instanceof NeedsHumanError) {
    io.err(`rotate: ${error.message}\n`);
    return ExitCode.needsHuman;
  }
  if (error instanceof InterruptedError) {
    io.err("rotate: interrupted before anything changed\n");
    return ExitCode.nothingChanged;
  }
  const prefix = error instanceof NothingChangedError ? "" : "failed before changing anything: ";
  io.err(`rotate: ${prefix}${describeError(error)}\n`);
  return ExitCode.nothingChanged;
}

/** Ctrl-C or SIGTERM aborts the run, which then cleans up; a second one stops at once. */
function interruptOnSignals(io: IO): AbortSignal {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      io.err(`\nrotate: stopped by a second ${signal} during clean-up; check the registry's token list for a token this run created\n`);
      process.exit(ExitCode.needsHuman);
    }
    io.err(`\nrotate: ${signal} received, stopping and cleaning up (press Ctrl-C again to stop at once)\n`);
    controller.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return controller.signal;
}

async function main(argv: string[]): Promise<number> {
  // Before anything reads a secret: no debug logging or inspection, no core dump.
  const debugging = debugSwitchOn(process.env, process.execArgv);
  if (debugging) {
    process.stderr.write(`${refusal(debugging)}\n`);
    return ExitCode.usage;
  }
  keepCoreDumpsOff();
  redactProcessOutput();
  const io = processIO({ noPrompt: argv.includes("--no-input") });
  process.on("unhandledRejection", (reason) => {
    io.err(`rotate: unexpected failure: ${describeError(reason)}\n`);
    process.exit(ExitCode.nothingChanged);
  });
  const runtime: Runtime = { io, env: process.env, cwd: process.cwd(), clock: () => new Date(), signal: interruptOnSignals(io) };
  const guarded = async (work: () => Promise<number>) => {
    try {
      return await work();
    } catch (error) {
      return report(error, io);
    }
  };

  const { registries } = await import("./registries.js");
  const { rotateCommand, runRotate } = await import("./commands/rotate.js");
  const { demoCommand, runDemo } = await import("./commands/demo.js");
  const { sandboxCommand, runSandbox } = await import("./commands/sandbox.js");
  const { statusCommand, runStatus } = await import("./commands/status.js");
  const { initCommand, runInit } = await import("./commands/init.js");
  const { passwordCommand, runPassword } = await import("./commands/password.js");
  const { browserSection, circleciSection } = await import("./run-settings.js");

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
Run rotate <command> --help for each command's options.`,
    )
    .configureOutput({ writeOut: (text) => io.out(text), writeErr: (text) => io.err(text) })
    .exitOverride();
  const commands = [
    ...registries.map((registry) => rotateCommand(registry, (flags) => guarded(() => runRotate(registry, flags, runtime)))),
    demoCommand(() => guarded(() => runDemo(registries, runtime))),
    initCommand((flags) => guarded(() => runInit([circleciSection, browserSection, ...registries.map((r) => r.section)], flags, runtime))),
    statusCommand((flags) => guarded(() => runStatus(registries, flags, runtime))),
    passwordCommand((registry, flags) => guarded(() => runPassword(registry, flags, runtime))),
    sandboxCommand(() => guarded(() => runSandbox(runtime))),
  ];
  // addCommand() does not pass on exitOverride, suggestions and output: copy them explicitly.
  for (const command of commands) program.addCommand(command.copyInheritedSettings(program));

  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version "fail" with code 0; everything else commander rejects is usage.
      return error.exitCode === 0 ? ExitCode.done : ExitCode.usage;
    }
    throw error;
  }
  return typeof process.exitCode === "number" ? process.exitCode : ExitCode.done;
}

process.exitCode = await main(process.argv);
