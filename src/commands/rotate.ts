// `rotate npm` / `rotate pypi`: the flags and help, and flags → a rotation request (a pure
// function, tested on its own). The same code serves every registry; the registry brings its flow
// and its flags. What it does is in rotate-run.ts, loaded only when it runs: `rotate --help`
// never pays for it.
import { Command, Option } from "../commander.js";
import type { TargetSpec } from "../circleci/targets.js";
import { addSettingOptions, browserSection, circleciSection } from "../settings/declarations.js";
import { UsageError } from "../errors.js";
import type { Registry } from "../registry.js";
import type { FleetRequest } from "../rotation/fleet.js";
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
  all?: boolean;
  only?: string;
  skipUnreachable?: boolean;
  again?: boolean;
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
    .addOption(
      new Option("--all", `every ${registry.title} rotation rotate.config.json names ("rotations"), with one sign-in`).conflicts("only"),
    )
    .option("--only <names>", "just these rotations of rotate.config.json (comma list of their names)")
    .option("--skip-unreachable", "with --all: leave out a rotation whose CircleCI destination cannot be reached (a terminal asks)")
    .option("--again", "with --all: rotate again what was rotated to the end within the last hour (otherwise left as done)")
    .addHelpText(
      "after",
      `
Examples:
  $ rotate ${registry.id}                      # settings from rotate.config.json; asks for the rest
  $ rotate ${registry.id} --leaked             # the old token was exposed: delete it first
  $ rotate ${registry.id} --dry-run            # preflight, sign in, show the plan; change nothing
  $ rotate ${registry.id} --sandbox            # a drill on the built-in replicas
  $ rotate ${registry.id} --all --leaked       # every rotation of the config: one sign-in, incident order
  $ rotate ${registry.id} --all --sandbox      # a drill of exactly that fleet, on replicas built from the config
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

/** Whether the flags ask for a fleet (`--all` or `--only`) rather than one token. */
export const wantsFleet = (flags: RotateFlags) => Boolean(flags.all) || flags.only !== undefined;

/** --only's names, each once. */
export function onlyNames(flags: RotateFlags): string[] | undefined {
  if (flags.only === undefined) return undefined;
  const names = [...new Set(flags.only.split(",").map((name) => name.trim()))].filter(Boolean);
  if (names.length === 0) throw new UsageError("--only: give the names of one or more rotations, comma-separated");
  return names;
}

/**
 * Flags → what the responder asked of a fleet. `named`: the config names its rotations (a rotation
 * is rerun with --only NAME); otherwise the fleet is the single token of the config's single form.
 */
export function fleetRequest(flags: RotateFlags, registry: Registry, env: NodeJS.ProcessEnv, named: boolean): FleetRequest {
  if (flags.oldToken)
    throw new UsageError("--old-token names one token: a fleet finds each rotation's old token on its own (--keep-old deletes none)");
  // What a fleet asks of each rotation, checked as a single run's flags are.
  const { all: _all, only: _only, again: _again, skipUnreachable: _skip, ...each } = flags;
  const one = rotationRequest(each, registry, [], env);
  const sandbox = flags.sandbox ? " --sandbox" : "";
  return {
    command: `rotate ${registry.id} ${flags.all ? "--all" : `--only ${onlyNames(flags)?.join(",") ?? ""}`}${sandbox}`,
    commandFor: (name) => (named ? `rotate ${registry.id} --only ${name}${sandbox}` : one.command),
    ...(one.order ? { order: one.order } : {}),
    graceSeconds: one.graceSeconds,
    yes: one.yes,
    dryRun: one.dryRun,
    deleteOrphans: one.deleteOrphans,
    keepOld: Boolean(flags.keepOld),
    createEnvVar: one.createEnvVar,
    skipUnreachable: Boolean(flags.skipUnreachable),
    again: Boolean(flags.again),
  };
}

/** Flags → what the responder asked for. Pure: no prompts, no network. */
export function rotationRequest(flags: RotateFlags, registry: Registry, targets: TargetSpec[], env: NodeJS.ProcessEnv): RotationRequest {
  if (!wantsFleet(flags) && (flags.skipUnreachable || flags.again))
    throw new UsageError(`${flags.again ? "--again" : "--skip-unreachable"} applies to a fleet: add --all (or --only NAME)`);
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
