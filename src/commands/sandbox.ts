// `rotate sandbox`: serve the replicas for a drill, so a team can rehearse the runbook in a real
// browser with the drill account's credentials. Runs until Ctrl-C.
// What it does is in sandbox-run.ts, loaded only when it runs: `rotate --help` never pays for it.
import { Command } from "../commander.js";

export function sandboxCommand(run: () => Promise<number>): Command {
  return new Command("sandbox")
    .summary("serve local replicas of the registries' websites and the CircleCI API for drills")
    .addHelpText(
      "after",
      `
Example:
  $ rotate sandbox
  # then, in another terminal, the commands it prints (each a drill of one registry)`,
    )
    .action(async () => {
      process.exitCode = await run();
    });
}
