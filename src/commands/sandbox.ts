// `rotate sandbox`: serve the replicas for a drill, so a team can rehearse the runbook in a real
// browser with the drill account's credentials. Runs until Ctrl-C.
import { Command } from "commander";
import type { Runtime } from "../runtime.js";

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

const kebab = (attribute: string) => `--${attribute.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

export async function runSandbox(runtime: Runtime): Promise<number> {
  const { startSandboxWorld, DEMO } = await runtime.replicas();
  const world = await startSandboxWorld({ registries: runtime.registries.map((r) => r.id), now: runtime.clock });
  // Drill credentials, made up at this start and valid only on these replicas: safe to show.
  const lines = [
    "Drill replicas are running (Ctrl-C to stop):",
    `  CircleCI API   ${world.circleci.apiUrl}   token ${world.circleciToken}   project ${DEMO.projectSlug}`,
    ...world.drills.map((d) => `  ${d.id.padEnd(14)} user ${d.account.username}  password ${d.account.password}  TOTP secret ${d.account.totpSecret}`),
    "",
    "Rehearse with, for example:",
    ...world.drills.map((d) => `  rotate ${d.id} ${Object.entries(world.flags(d.id)).map(([key, value]) => `${kebab(key)} ${String(value)}`).join(" ")}`),
    "Add an authenticator entry with the TOTP secret, or export it as ROTATE_<REGISTRY>_TOTP_SECRET.",
    "",
  ];
  runtime.io.out(lines.join("\n"));
  await new Promise<void>((resolve) => runtime.signal.addEventListener("abort", () => resolve(), { once: true }));
  await world.close();
  return 0;
}
