// `rotate demo` (what `npm start` runs): a full rotation of both tokens on the built-in
// replicas, headless, with no real account anywhere; then what a real run would need.
import { Command } from "commander";
import type { Registry } from "../flow.js";
import { loadReplicas } from "../replicas.js";
import { runRotate, type Runtime } from "./rotate.js";

const REAL_RUN_NEEDS = `
That was a drill on local replicas. A real run needs:
  - a CircleCI personal API token (CIRCLECI_TOKEN, or rotate asks for it)
  - the publishing account's username, password and authenticator app or security key, on npm and PyPI
  - rotate.config.json with the project slug, npm packages, PyPI project and the sites' URLs (run \`rotate init\`)
  - a visible browser (leave out --headless) so you can step in: security key, captcha, an unexpected page
Then: \`rotate npm\` and \`rotate pypi\`. Rehearse first with \`rotate sandbox\`.
`;

export function demoCommand(run: () => Promise<number>): Command {
  return new Command("demo")
    .summary("run a full demo rotation of both tokens on the built-in replicas (no real accounts)")
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

export async function runDemo(registries: Array<Registry<unknown>>, runtime: Runtime): Promise<number> {
  const { startSandboxWorld } = await loadReplicas();
  const world = await startSandboxWorld({ now: runtime.clock });
  try {
    for (const registry of registries) {
      runtime.io.err(`\n== ${registry.flow.title}: rotating ${registry.flow.defaultEnvVar} of the demo project ==\n`);
      const code = await runRotate(registry, { headless: true, yes: true, routine: true, input: false }, runtime, world);
      if (code !== 0) return code;
    }
    runtime.io.out(REAL_RUN_NEEDS);
    return 0;
  } finally {
    await world.close();
  }
}
