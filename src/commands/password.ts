// `rotate password npm|pypi`: the runbook's other procedure. The shared publishing account's
// password is never handed on; whoever needs the account resets it. rotate asks the site to
// email a reset link, opens the link the responder pastes from that email, sets a long random
// password, shows it once on the terminal, and prints the note that tells the team the reset
// (and the emails it caused) was legitimate.
// What it does is in password-run.ts, loaded only when it runs: `rotate --help` never pays for it.
import { Argument, Command } from "../commander.js";
import { addSettingOptions, browserSection } from "../settings/declarations.js";
import { resetSection } from "../password/reset.js";
import type { Registry } from "../registry.js";

export interface PasswordFlags {
  sandbox?: boolean;
  trustUrls?: boolean;
  config?: string;
  [setting: string]: unknown;
}

export function passwordCommand(registries: Registry[], run: (registry: string, flags: PasswordFlags) => Promise<number>): Command {
  const command = new Command("password")
    .summary("reset the shared publishing account's password (guided; the new one is shown once)")
    .description(
      "Asks the registry to email a password reset link to the account's address, opens the link you paste from that email in an isolated browser, sets a long random password, shows it once on this terminal, and prints the note for the team's mailing-list thread.",
    )
    .addArgument(new Argument("<registry>", "whose account").choices(registries.map((registry) => registry.id)));
  for (const registry of registries) addSettingOptions(command, resetSection(registry.section));
  addSettingOptions(command, browserSection);
  return command
    .option(
      "--sandbox",
      "drill on the built-in local replicas (the running rotate sandbox, if any); the reset email lands in the drill's outbox",
    )
    .option("--config <path>", "config file (default ./rotate.config.json)")
    .option("--trust-urls", "accept a website address other than the official one without asking")
    .addHelpText(
      "after",
      `
Examples:
  $ rotate password pypi                         # website URL and username from rotate.config.json
  $ rotate password npm --npm-user acme-bot      # then paste the link from the email when asked
  $ rotate password pypi --sandbox               # a drill on the local replicas
It needs a terminal: you paste the reset link, and the new password is shown there once and never saved.`,
    )
    .action(async (registry: string, flags: PasswordFlags) => {
      process.exitCode = await run(registry, flags);
    });
}
