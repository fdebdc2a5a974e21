// The work of `rotate sandbox` (its help is in sandbox.ts): start the drill world on the fixed
// port, with a fresh key in a file only this user can read (drills attach only to a front desk
// that proves it knows it: src/drill/open.ts), and print how to rehearse on it. Beside a config
// that names CircleCI destinations, the world is what it names (every project, context and
// destination, each rotation of a fleet), which the drills run in that directory then use.
import { askRunningSandbox, configuredFleet, sandboxPort, writeSandboxKey } from "../drill/open.js";
import { UsageError } from "../errors.js";
import type { Runtime } from "../runtime.js";

const kebab = (attribute: string) => `--${attribute.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

export async function runSandbox(runtime: Runtime): Promise<number> {
  const { startSandboxWorld, DEMO } = await runtime.replicas();
  const port = sandboxPort(runtime.env);
  // Its key file is this user's running sandbox's: keep it (a killed one's is replaced below).
  const running = await askRunningSandbox(runtime.env, port);
  if (running && "directory" in running)
    throw new UsageError(
      `your rotate sandbox already runs on port ${port}: use it, or stop it first, or set ROTATE_SANDBOX_PORT to another port for both`,
    );
  const fleet = configuredFleet(runtime, {});
  const key = writeSandboxKey(runtime.env, port);
  const world = await startSandboxWorld({
    registries: runtime.registries.map((r) => r.id),
    now: runtime.clock,
    controlPort: port,
    controlKey: key.key,
    ...(fleet ? { fleet } : {}),
  }).catch((error: unknown) => {
    key.remove();
    if ((error as { code?: string }).code === "EADDRINUSE")
      throw new UsageError(`port ${port} is taken (another rotate sandbox?): stop it, or set ROTATE_SANDBOX_PORT to another port for both`);
    throw error;
  });
  // Drill credentials, made up at this start and valid only on these replicas: safe to show.
  const lines = [
    "Drill replicas are running (Ctrl-C to stop):",
    `  front desk     ${world.controlUrl}   (the drill accounts and their passwords now; one-time codes: /code/<registry>; reset emails: /outbox)`,
    `  CircleCI API   ${world.circleci.apiUrl}   token ${world.circleciToken}   ${fleet ? `what rotate.config.json names: ${Object.values(fleet).flat().length} rotation(s)` : `project ${DEMO.projectSlug}`}`,
    ...world.drills.map(
      (d) => `  ${d.id.padEnd(14)} user ${d.account.username}  password ${d.account.password}  TOTP secret ${d.account.totpSecret}`,
    ),
    "",
    "Rehearse in another terminal: these find this sandbox on their own and ask what a real run asks:",
    ...world.drills.map((d) => `  rotate ${d.id}${fleet ? " --all" : ""} --sandbox            rotate password ${d.id} --sandbox`),
    "  rotate trust npm --sandbox      (trusted publishing, proven by a job's token the front desk mints)",
    "or point a run at it by hand, as a real run is pointed at the real sites:",
    ...world.drills.map(
      (d) =>
        `  rotate ${d.id} --trust-urls ${Object.entries(world.flags(d.id))
          .map(([key, value]) => `${kebab(key)} ${String(value)}`)
          .join(" ")}`,
    ),
    "",
  ];
  runtime.io.out(lines.join("\n"));
  await new Promise<void>((resolve) => runtime.signal.addEventListener("abort", () => resolve(), { once: true }));
  await world.close();
  key.remove();
  return 0;
}
