// `rotate init`: ask the few questions a rotation needs and write rotate.config.json.
// The file never holds a secret: answers that look like one are refused.
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Command } from "commander";
import { Ask, inquirerPrompter } from "../ask.js";
import { looksLikeSecret, validateConfig, type SettingsSection } from "../config.js";
import { UsageError } from "../errors.js";
import type { Runtime } from "./rotate.js";

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

export async function runInit(sections: SettingsSection[], flags: { force?: boolean }, runtime: Runtime): Promise<number> {
  const path = join(runtime.cwd, "rotate.config.json");
  if (existsSync(path) && !flags.force) throw new UsageError(`${path} exists already: edit it, or pass --force to write it again`);
  const ask = new Ask(runtime.io, inquirerPrompter(runtime.io));
  const how = "run rotate init in a terminal, or write rotate.config.json by hand (see README)";
  const question = async (message: string, fallback = ""): Promise<string> => {
    const answer = (await ask.text(fallback ? `${message} [${fallback}]` : message, how)) || fallback;
    if (looksLikeSecret(answer)) throw new UsageError("that answer looks like a token and rotate.config.json never holds secrets, so nothing was written: run rotate init again and give tokens only to rotate's own prompts or the environment");
    return answer;
  };
  const list = (answer: string) => answer.split(",").map((item) => item.trim()).filter(Boolean);

  const projectSlug = await question("CircleCI project slug (vcs/org/repo, e.g. gh/mozilla/nimbus-shared):");
  const context = await question("CircleCI context holding the tokens (empty: project variables):");
  const config: Record<string, Record<string, unknown>> = { circleci: { projectSlug, ...(context ? { context } : {}) } };

  if (await ask.confirm("Does the project publish to npm?", true, how)) {
    config.npm = {
      envVar: await question("CircleCI variable for the npm token:", "NPM_TOKEN"),
      packages: list(await question("npm packages and scopes the token may publish (comma list):")),
      username: await question("npm account username:"),
      websiteUrl: await question("npm website URL (where you sign in):"),
    };
  }
  if (await ask.confirm("Does the project publish to PyPI?", true, how)) {
    config.pypi = {
      envVar: await question("CircleCI variable for the PyPI token:", "PYPI_TOKEN"),
      project: await question("PyPI project name:"),
      username: await question("PyPI account username:"),
      websiteUrl: await question("PyPI website URL (where you sign in):"),
      uploadUrl: await question("PyPI upload endpoint URL (twine's repository URL):"),
    };
  }

  // The same validation every run uses, so a bad answer is caught before anything is written.
  // Unanswered questions leave the key out, so a run reports it with every place it can be given.
  const unanswered = (value: unknown) => value === "" || (Array.isArray(value) && value.length === 0);
  const cleaned = JSON.parse(JSON.stringify(config, (_, value: unknown) => (unanswered(value) ? undefined : value))) as unknown;
  validateConfig(cleaned, path, sections);
  writeFileSync(path, `${JSON.stringify(cleaned, null, 2)}\n`, { mode: 0o644 });
  runtime.io.out(`Wrote ${path}. Secrets stay out of it: give them in the environment or at the prompts.\n`);
  return 0;
}
