// `rotate demo` (what `npm start` runs): a full rotation of every registry's token on the
// built-in replicas, headless, with no real account anywhere; then what a real run would need.
// What it does is in demo-run.ts, loaded only when it runs: `rotate --help` never pays for it.
import { Command } from "../commander.js";

export function demoCommand(run: () => Promise<number>): Command {
  return new Command("demo")
    .summary("run a full demo rotation of every token on the built-in replicas (no real accounts)")
    .addHelpText(
      "after",
      `
Examples:
  $ npm start        # builds, then runs rotate demo
  $ rotate demo      # headless; prints at the end what a real run needs
To drive a drill yourself, in a visible browser: rotate sandbox.`,
    )
    .action(async () => {
      process.exitCode = await run();
    });
}
