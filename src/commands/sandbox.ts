// `rotate sandbox`: serve the replicas for a drill, so a team can rehearse the runbook in a real
// browser with the drill account's credentials. Runs until Ctrl-C.
import { Command } from "commander";
import { loadReplicas } from "../replicas.js";
import type { Runtime } from "./rotate.js";

export function sandboxCommand(run: () => Promise<number>): Command {
  return new Command("sandbox")
    .summary("serve local replicas of the npm and PyPI websites and the CircleCI API for drills")
    .addHelpText(
      "after",
      `
Example:
  $ rotate sandbox
  # then, in another terminal, with the values it prints:
  $ rotate pypi --pypi-url http://127.0.0.1:… --pypi-upload-url … --circleci-url … --project-slug … --pypi-project …`,
    )
    .action(async () => {
      process.exitCode = await run();
    });
}

export async function runSandbox(runtime: Runtime): Promise<number> {
  const { startSandboxWorld, DEMO } = await loadReplicas();
  const world = await startSandboxWorld({ now: runtime.clock });
  const { pypi, npm } = world.accounts;
  // Drill credentials, made up at this start and valid only on these replicas: safe to show.
  runtime.io.out(
    [
      "Drill replicas are running (Ctrl-C to stop):",
      `  PyPI website         ${world.pypi.url}   upload endpoint ${world.pypi.uploadUrl}`,
      `  npm website          ${world.npm.url}   registry ${world.npm.registryUrl}`,
      `  CircleCI API         ${world.circleci.apiUrl}`,
      "",
      "Drill account (made up for this drill; nothing real):",
      `  CircleCI token       ${world.circleciToken}   project ${DEMO.projectSlug}`,
      `  PyPI                 user ${pypi.username}  password ${pypi.password}  TOTP secret ${pypi.totpSecret}  project ${DEMO.pypi.project}`,
      `  npm                  user ${npm.username}  password ${npm.password}  TOTP secret ${npm.totpSecret}  packages ${DEMO.npm.packages.join(",")}`,
      "",
      "Rehearse with, for example:",
      `  rotate pypi --pypi-url ${world.pypi.url} --pypi-upload-url ${world.pypi.uploadUrl} --circleci-url ${world.circleci.apiUrl} --project-slug ${DEMO.projectSlug} --pypi-project ${DEMO.pypi.project} --pypi-user ${pypi.username}`,
      `  rotate npm --npm-url ${world.npm.url} --npm-registry-url ${world.npm.registryUrl} --circleci-url ${world.circleci.apiUrl} --project-slug ${DEMO.projectSlug} --npm-packages ${DEMO.npm.packages.join(",")} --npm-user ${npm.username}`,
      "Add an authenticator entry with the TOTP secret, or set ROTATE_PYPI_TOTP_SECRET / ROTATE_NPM_TOTP_SECRET.",
      "",
    ].join("\n"),
  );
  await new Promise<void>((resolve) => runtime.signal.addEventListener("abort", () => resolve(), { once: true }));
  await world.close();
  return 0;
}
