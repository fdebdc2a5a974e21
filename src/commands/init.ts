// `rotate init`: ask only what is specific to the project and write rotate.config.json. The sites'
// addresses are built in; what rotate can find in the checkout (the CircleCI slug from the git
// remote, the package names from package.json or pyproject.toml) is proposed. Each answer is
// checked as it is typed, and the file never holds a secret.
// What it does is in init-run.ts, loaded only when it runs: `rotate --help` never pays for it.
import { Command } from "../commander.js";

export function initCommand(run: (flags: { force?: boolean }) => Promise<number>): Command {
  return new Command("init")
    .summary("ask a few questions and write rotate.config.json (no secrets)")
    .option("--force", "overwrite an existing rotate.config.json")
    .addHelpText(
      "after",
      `
Examples:
  $ rotate init            # in the repository whose CircleCI project publishes
  $ rotate init --force    # answer the questions again and replace the file
Secrets (CircleCI token, passwords, TOTP secrets) never go in the file: rotate asks for them,
or reads CIRCLECI_TOKEN, ROTATE_PYPI_PASSWORD, ROTATE_NPM_PASSWORD, … from the environment.`,
    )
    .action(async (flags: { force?: boolean }) => {
      process.exitCode = await run(flags);
    });
}
