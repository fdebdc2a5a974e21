// The work of `rotate demo` (its help is in demo.ts): one drill world, every registry rotated in
// it, then what a real run needs.
import { startDrill } from "../drill/open.js";
import type { Runtime } from "../runtime.js";
import { runRotate } from "./rotate-run.js";

function realRunNeeds(runtime: Runtime): string {
  const titles = runtime.registries.map((r) => r.title).join(" and ");
  return `
That was a drill on local replicas. A real run needs:
  - a CircleCI personal API token (CIRCLECI_TOKEN, or rotate asks for it)
  - the publishing account's username, password and authenticator app or security key, on ${titles}
  - rotate.config.json with the project slug, the packages and projects it publishes (run \`rotate init\`)
  - a visible browser (leave out --headless) so you can step in: security key, captcha, an unexpected page
Then: ${runtime.registries.map((r) => `\`rotate ${r.id}\``).join(" and ")}. Rehearse first with \`rotate sandbox\`.
`;
}

export async function runDemo(runtime: Runtime): Promise<number> {
  const world = await startDrill(runtime);
  try {
    for (const registry of runtime.registries) {
      runtime.io.err(`\n== ${registry.title}: rotating ${registry.defaultEnvVar} of the demo project ==\n`);
      const code = await runRotate(registry, { sandbox: true, headless: true, yes: true, routine: true, input: false }, runtime, world);
      if (code !== 0) return code;
    }
    runtime.io.out(realRunNeeds(runtime));
    return 0;
  } finally {
    await world.close();
  }
}
