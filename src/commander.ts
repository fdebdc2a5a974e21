// commander, loaded through require(): its ES module entry makes Node scan each of its CommonJS
// files for export names before running them, a cost every `rotate --help` paid (npm run bench
// measures the start; tests/e2e/startup.spec.ts what it loads).
import { createRequire } from "node:module";
import type * as Commander from "commander";

const commander = createRequire(import.meta.url)("commander") as typeof Commander;

export const { Argument, Command, CommanderError, InvalidArgumentError, Option } = commander;
export type Argument = Commander.Argument;
export type Command = Commander.Command;
export type CommanderError = Commander.CommanderError;
export type InvalidArgumentError = Commander.InvalidArgumentError;
export type Option = Commander.Option;
