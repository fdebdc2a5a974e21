// `rotate npm` / `rotate pypi`: the flags and help, and flags → a rotation request (a pure
// function, tested on its own). The same code serves every registry; the registry brings its flow
// and its flags. What it does is in rotate-run.ts, loaded only when it runs: `rotate --help`
// never pays for it.
import { Command, Option } from "../commander.js";
import type { TargetSpec } from "../circleci/targets.js";
import { addSettingOptions, browserSection, circleciSection } from "../settings/declarations.js";
import { UsageError } from "../errors.js";
import type { Registry } from "../registry.js";
import type { Order, RotationRequest } from "../rotation/runbook.js";
import { Secret } from "../secrets/secret.js";

export interface RotateFlags {
  leaked?: boolean;
  routine?: boolean;
  grace?: string;
  yes?: boolean;
  dryRun?: boolean;
  trustUrls?: boolean;
  deleteOrphans?: boolean;
  oldToken?: string;
  keepOld?: boolean;
  createEnvVar?: boolean;
  json?: boolean;
  input?: boolean;
  otp?: string;
  passwordStdin?: boolean;
  sandbox?: boolean;
  config?: string;
  [setting: string]: unknown;
}

export function rotateCommand(registry: Registry, run: (flags: RotateFlags) => Promise<number>): Command {
  const command = new Command(registry.id)
    .summary(`replace the ${registry.title} token CircleCI holds (${registry.defaultEnvVar}) with a new one`)
    .description(
      `Signs in to ${registry.title} in an isolated browser, creates a new token, puts it in CircleCI, verifies it, and deletes the old one.`,
    );
  registry.addOptions(command);
  addSettingOptions(command, circleciSection);
  addSettingOptions(command, browserSection);
  const env = `ROTATE_${registry.id.toUpperCase()}`;
  command
    .addOption(new Option("--leaked", "the old token was exposed: delete it first (incident order)").conflicts("routine"))
    .option("--routine", "the old token was not exposed: new token first, old one last (the default without a terminal)")
    .option("--grace <seconds>", "routine order: wait this long before deleting the old token, so running publishes finish")
    .option("--old-token <name>", "the name of the token CircleCI holds now, if rotate cannot tell")
    .option("--keep-old", "delete no old token")
    .option("--delete-orphans", "also delete tokens earlier runs left behind")
    .option("--create-env-var", "the CircleCI variable does not exist yet: create it")
    .option("--dry-run", "preflight, sign in and show the plan; change nothing")
    .option("--trust-urls", "accept addresses other than the sites' official ones without asking (they are still named)")
    .option(
      "--otp <code>",
      "a one-time code for the first challenge, used again while the registry takes it (it expires in seconds, so it may sit on the command line)",
    )
    .option("--password-stdin", `read the ${registry.title} password from stdin (instead of ${env}_PASSWORD or a prompt)`)
    .option("-y, --yes", "do not ask for confirmation (required without a terminal)")
    .option("--json", "print one machine-readable object, on success and on failure")
    .option("--no-input", "never prompt; fail if an answer is missing")
    .option("--sandbox", "run against the built-in local replicas (drill; no real accounts)")
    .option("--config <path>", "config file (default ./rotate.config.json)")
    .addHelpText(
      "after",
      `
Examples:
  $ rotate ${registry.id}                      # settings from rotate.config.json; asks for the rest
  $ rotate ${registry.id} --leaked             # the old token was exposed: delete it first
  $ rotate ${registry.id} --dry-run            # preflight, sign in, show the plan; change nothing
  $ rotate ${registry.id} --sandbox            # a drill on the built-in replicas
  $ rotate ${registry.id} --yes --routine      # non-interactive: CIRCLECI_TOKEN, ${env}_PASSWORD and
                                      # ${env}_TOTP_SECRET exported from your secret store
Exit codes: 0 done · 1 failed, nothing changed · 2 usage or config error · 3 partly done, a human must act
            4 cancelled at the confirmation · 130 interrupted before anything changed`,
    )
    .action(async (flags: RotateFlags) => {
      process.exitCode = await run(flags);
    });
  return command;
}

/** Flags → what the responder asked for. Pure: no prompts, no network. */
export function rotationRequest(flags: RotateFlags, registry: Registry, targets: TargetSpec[], env: NodeJS.ProcessEnv): RotationRequest {
  const grace = flags.grace === undefined ? 0 : Number(flags.grace);
  if (!Number.isFinite(grace) || grace < 0) throw new UsageError(`--grace ${flags.grace}: give a number of seconds`);
  if (flags.leaked && grace > 0) throw new UsageError("--grace applies to the routine order only: an exposed token is deleted at once");
  if (flags.oldToken && flags.keepOld) throw new UsageError("--old-token and --keep-old contradict each other: give one");
  const order: Order | undefined = flags.leaked ? "incident" : flags.routine ? "routine" : undefined;
  const oldValue = env[`ROTATE_${registry.id.toUpperCase()}_OLD_TOKEN`];
  return {
    // A drill's next step is a drill command too.
    command: `rotate ${registry.id}${flags.sandbox ? " --sandbox" : ""}`,
    targets,
    ...(order ? { order } : {}),
    graceSeconds: grace,
    yes: Boolean(flags.yes),
    dryRun: Boolean(flags.dryRun),
    deleteOrphans: Boolean(flags.deleteOrphans),
    ...(flags.keepOld ? { oldToken: "none" as const } : flags.oldToken ? { oldToken: { name: flags.oldToken } } : {}),
    ...(oldValue ? { oldTokenValue: new Secret(oldValue, `old ${registry.title} token`, { showLast4: true }) } : {}),
    createEnvVar: Boolean(flags.createEnvVar),
  };
}
