// `rotate discover --org gh/ORG [--project gh/ORG/REPO …]`: which publishing tokens CircleCI holds
// in an organization's contexts and the projects named, each with its last four, and a `rotations`
// proposal for rotate.config.json (names and destinations only). Changes nothing, opens no
// browser. What it does is in discover-run.ts, loaded only when it runs.
import { Command } from "../commander.js";
import type { Registry } from "../registry.js";
import { addSettingOptions, circleciSection, onlySettings } from "../settings/declarations.js";

export interface DiscoverFlags {
  org: string;
  project?: string[];
  json?: boolean;
  trustUrls?: boolean;
  config?: string;
  [setting: string]: unknown;
}

export function discoverCommand(registries: Registry[], run: (flags: DiscoverFlags) => Promise<number>): Command {
  const command = new Command("discover").summary(
    "list the publishing tokens CircleCI holds in an organization, and propose the rotations (no changes)",
  );
  addSettingOptions(command, onlySettings(circleciSection, ["url"]));
  const names = registries.map((r) => `${r.title}: ${r.discovery.says}`).join("\n  ");
  const scopes = registries.map((r) => `${r.discovery.scopeSetting} (${r.title})`).join(" or ");
  return command
    .requiredOption("--org <vcs/org>", "the CircleCI organization, e.g. gh/mozilla: all its contexts are read")
    .option(
      "--project <slug>",
      "a project of the organization whose variables to read too (repeat for several)",
      (item: string, all: string[] = []) => [...all, item],
    )
    .option("--json", "print one machine-readable object")
    .option("--trust-urls", "accept a CircleCI address other than the official one without asking")
    .option("--config <path>", "config file for the CircleCI address (default ./rotate.config.json)")
    .addHelpText(
      "after",
      `
Examples:
  $ CIRCLECI_TOKEN=… rotate discover --org gh/mozilla
  $ rotate discover --org gh/mozilla --project gh/mozilla/nimbus-shared --project gh/mozilla/glean
  $ rotate discover --org gh/mozilla --json | jq .proposal
Variables are taken for publishing tokens by their names:
  ${names}
CircleCI shows no value, only the last four characters (of project variables, and of context
variables where it shows them). The proposal groups destinations that show the same variable and
last four into one rotation; add each rotation's ${scopes} before running it.`,
    )
    .action(async (flags: DiscoverFlags) => {
      process.exitCode = await run(flags);
    });
}
