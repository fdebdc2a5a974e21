// `rotate status`: no browser, no changes. For each registry's variable: does CircleCI hold it,
// its last four characters and when it was set, and the expiry recorded at the last rotation
// (npm write tokens live 90 days at most), with a warning when fewer than 14 days remain.
// What it does is in status-run.ts, loaded only when it runs: `rotate --help` never pays for it.
import { Command } from "commander";
import { addSettingOptions } from "../config.js";
import { circleciSection } from "../run-settings.js";

export interface StatusFlags {
  json?: boolean;
  trustUrls?: boolean;
  config?: string;
  [setting: string]: unknown;
}

export function statusCommand(run: (flags: StatusFlags) => Promise<number>): Command {
  const command = new Command("status").summary("show which tokens CircleCI holds and when they expire (no browser, no changes)");
  addSettingOptions(command, circleciSection);
  return command
    .option("--json", "print one machine-readable object")
    .option("--trust-urls", "accept a CircleCI address other than the official one without asking")
    .option("--config <path>", "config file (default ./rotate.config.json)")
    .addHelpText(
      "after",
      `
Examples:
  $ rotate status                      # the project and variables in ./rotate.config.json
  $ CIRCLECI_TOKEN=… rotate status --project-slug gh/mozilla/nimbus-shared
  $ rotate status --json | jq '.variables[] | select(.warning)'
The expiry comes from the audit record of the last rotation on this machine
($XDG_STATE_HOME/rotate/audit.jsonl, or the platform's equivalent).`,
    )
    .action(async (flags: StatusFlags) => {
      process.exitCode = await run(flags);
    });
}

export const runStatus: typeof import("./status-run.js").runStatus = async (...args) => (await import("./status-run.js")).runStatus(...args);
