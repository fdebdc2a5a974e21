// `rotate status`: no changes, and no browser unless --trust. For each registry's variable: does
// CircleCI hold it, its last four characters and when it was set, and the expiry rotate recorded
// when it put that value there (the project's rotate.history.jsonl, this machine's audit record),
// with a warning when fewer than 14 days remain. `--expiring-within DAYS` is for scheduled jobs:
// one line per token, and exit 5 when one expires within DAYS.
// `--trust` also signs in to npm (in the isolated browser: reading trust settings needs a session
// and a one-time code) to show each package's trusted publisher and the kind of token CircleCI holds.
// What it does is in status-run.ts, loaded only when it runs: `rotate --help` never pays for it.
import { Command } from "../commander.js";
import type { Registry } from "../registry.js";
import { addSettingOptions, browserSection, circleciSection, onlySettings, type SettingsSection } from "../settings/declarations.js";

export interface StatusFlags {
  json?: boolean;
  all?: boolean;
  sandbox?: boolean;
  expiringWithin?: string;
  trust?: boolean;
  trustUrls?: boolean;
  config?: string;
  [setting: string]: unknown;
}

/** What status --trust reads of a trusting registry's settings, as flags (the variable's name comes from each registry's own setting). */
function trustStatusSection(registry: Registry): SettingsSection[] {
  return registry.trust
    ? [
        onlySettings(
          registry.section,
          registry.trust.settingKeys.filter((key) => key !== "envVar"),
        ),
      ]
    : [];
}

export function statusCommand(registries: Registry[], run: (flags: StatusFlags) => Promise<number>): Command {
  const command = new Command("status").summary(
    "show which tokens CircleCI holds and when they expire (no changes; a browser only with --trust)",
  );
  addSettingOptions(command, circleciSection);
  for (const section of registries.flatMap(trustStatusSection)) addSettingOptions(command, section);
  addSettingOptions(command, browserSection);
  return command
    .option("--trust", "also sign in to npm in an isolated browser: each package's trusted publisher, and the kind of token CircleCI holds")
    .option(
      "--expiring-within <days>",
      "one line per token; exit 5 when one expires within this many days (for a scheduled job; opens no browser)",
    )
    .option(
      "--all",
      "every destination of every rotation the config names, with its last four, expiry and warnings (otherwise a line per rotation)",
    )
    .option("--json", "print one machine-readable object")
    .option("--sandbox", "the status of the built-in local replicas' drill world (a running rotate sandbox, or its own)")
    .option("--trust-urls", "accept a CircleCI address other than the official one without asking")
    .option("--config <path>", "config file (default ./rotate.config.json)")
    .addHelpText(
      "after",
      `
Examples:
  $ rotate status                      # the project and variables in ./rotate.config.json
  $ CIRCLECI_TOKEN=… rotate status --project-slug gh/mozilla/nimbus-shared
  $ rotate status --json | jq '.variables[] | select(.warning)'
  $ rotate status --trust              # signs in to npm: trusted publishers, the kind of token held
  $ rotate status --expiring-within 14 # in a weekly job: exit 5 two weeks before a token expires
  $ rotate status --all                # an organisation's fleet: every destination of every rotation
The expiry comes from rotate's records of the value CircleCI holds: the project's
rotate.history.jsonl (beside rotate.config.json, committed, so every teammate sees it) and the
audit record on this machine ($XDG_STATE_HOME/rotate/audit.jsonl, or the platform's equivalent).
A value no record matches was changed outside rotate: its expiry is unknown.
Exit codes: 0 done (with --expiring-within: nothing expires within DAYS) · 1 failed · 2 usage
            5 a token CircleCI holds expires within --expiring-within DAYS`,
    )
    .action(async (flags: StatusFlags) => {
      process.exitCode = await run(flags);
    });
}
